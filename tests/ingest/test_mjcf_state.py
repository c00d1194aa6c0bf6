"""Which state-row columns hold which joints of a robosuite MJCF."""

from __future__ import annotations

from robofuel.ingest.hdf5.mjcf_state import qpos_columns

MODEL = """<mujoco><worldbody>
  <body name="cube"><freejoint name="cube_joint0"/></body>
  <body name="robot0_base">
    <joint name="robot0_joint1" type="hinge"/>
    <body><joint name="robot0_joint2"/><body><joint name="gripper0_finger_joint1" type="slide"/></body></body>
    <body><joint name="robot0_ball" type="ball"/><joint name="robot0_joint3"/></body>
  </body>
</worldbody></mujoco>"""


def test_columns_follow_qpos_addresses_in_document_order() -> None:
    # [time | cube x y z qw qx qy qz | joint1 | joint2 | finger | ball (4) | joint3]
    assert qpos_columns(MODEL, "cube") == [1]
    assert qpos_columns(MODEL, "robot0_joint") == [8, 9, 15]
    assert qpos_columns(MODEL, "finger") == [10]
    assert qpos_columns(MODEL, "robot0_ball") == [11]
    assert qpos_columns(MODEL, "no_such_joint") == []
