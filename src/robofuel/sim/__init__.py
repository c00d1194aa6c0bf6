"""Physical checks of episodes in simulation (MuJoCo, the ``sim`` extra), imported lazily.

:mod:`robofuel.sim.records` holds the records (a scene, a trajectory, a result); :func:`check` replays a trajectory
in a scene and says whether the task succeeded.
"""

from robofuel.sim.api import SimObject, SimResult, SimScene, SimTrajectory, check
from robofuel.sim.render import choose_gl

choose_gl()  # MUJOCO_GL (when unset) must name a headless backend before anything imports mujoco

__all__ = ["SimObject", "SimResult", "SimScene", "SimTrajectory", "check"]
