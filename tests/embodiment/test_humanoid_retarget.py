"""Human body to humanoid: a walking skeleton written as BVH by the test (known contacts) onto the G1's whole body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robofuel.embodiment.humanoid import body_to_humanoid, whole_body
from robofuel.embodiment.humanoid_targets import TargetOptions
from robofuel.embodiment.registry import Registry
from robofuel.lake import Lake, load_episode
from robofuel.standard import EpisodeData

RATE, SECONDS, SPEED = 60.0, 4.0, 0.6  # Hz, s, m/s
STANCE = 0.6  # fraction of the 1 s stride each foot is on the ground
THIGH, SHIN, ANKLE, HIP_DROP, HIP_HEIGHT = 44.0, 42.0, 8.0, 5.0, 95.0  # cm

SKELETON = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT LeftUpLeg
  { OFFSET 10 -5 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT LeftLeg
    { OFFSET 0 -44 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT LeftFoot
      { OFFSET 0 -42 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT LeftToeBase
        { OFFSET 0 -8 14
          CHANNELS 3 Zrotation Xrotation Yrotation
          End Site
          { OFFSET 0 0 4 }
        }
      }
    }
  }
  JOINT RightUpLeg
  { OFFSET -10 -5 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT RightLeg
    { OFFSET 0 -44 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT RightFoot
      { OFFSET 0 -42 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT RightToeBase
        { OFFSET 0 -8 14
          CHANNELS 3 Zrotation Xrotation Yrotation
          End Site
          { OFFSET 0 0 4 }
        }
      }
    }
  }
  JOINT Spine
  { OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Neck
    { OFFSET 0 45 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT Head
      { OFFSET 0 15 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        End Site
        { OFFSET 0 12 0 }
      }
    }
    JOINT LeftArm
    { OFFSET 18 40 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT LeftForeArm
      { OFFSET 0 -28 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT LeftHand
        { OFFSET 0 -25 0
          CHANNELS 3 Zrotation Xrotation Yrotation
          End Site
          { OFFSET 0 -8 0 }
        }
      }
    }
    JOINT RightArm
    { OFFSET -18 40 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT RightForeArm
      { OFFSET 0 -28 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT RightHand
        { OFFSET 0 -25 0
          CHANNELS 3 Zrotation Xrotation Yrotation
          End Site
          { OFFSET 0 -8 0 }
        }
      }
    }
  }
}
"""
#: Joints in channel order after the root: (name, which leg part or arm it is)
ORDER = ["LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase"]
ORDER += ["Spine", "Neck", "Head", "LeftArm", "LeftForeArm", "LeftHand", "RightArm", "RightForeArm", "RightHand"]


def _ankle_z(t: np.ndarray, phase: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward (cm) and height (cm) of one ankle, and its stance flag: still on the ground for STANCE of each
    1 s stride (under the hips at mid-stance), then swung forward one stride with a 10 cm lift."""
    s = (t + phase) % 1.0
    k = np.floor(t + phase)
    stride = SPEED * 100.0
    planted = (k + STANCE / 2) * stride - phase * stride
    u = np.clip((s - STANCE) / (1 - STANCE), 0, 1)
    z = np.where(s < STANCE, planted, planted + u * stride)
    y = ANKLE + np.where(s < STANCE, 0.0, 10.0 * np.sin(np.pi * u))
    return z, y, s < STANCE


def _leg(dz: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee X rotations (degrees) putting the ankle ``dz`` forward and ``dy`` below the hip joint."""
    r = np.hypot(dz, dy)
    knee = np.arccos(np.clip((r**2 - THIGH**2 - SHIN**2) / (2 * THIGH * SHIN), -1, 1))
    thigh = np.arctan2(dz, dy) + np.arctan2(SHIN * np.sin(knee), THIGH + SHIN * np.cos(knee))
    return -np.degrees(thigh), np.degrees(knee)


def walking_bvh(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write the walk (cm, y up, forward +z, 3 mm of mocap noise on the root) and return the true stance flags."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(RATE * SECONDS)) / RATE
    root = np.stack([np.zeros_like(t), np.full_like(t, HIP_HEIGHT), SPEED * 100.0 * t], axis=1)
    root += rng.normal(0.0, 0.3, root.shape)
    angles = {name: np.zeros((len(t), 3)) for name in ORDER}  # Z X Y rotations, degrees
    stance = {}
    for side, phase in (("Left", 0.0), ("Right", 0.5)):
        z, y, stance[side.lower()] = _ankle_z(t, phase)
        hip, knee = _leg(z - root[:, 2], root[:, 1] - HIP_DROP - y)
        angles[f"{side}UpLeg"][:, 1], angles[f"{side}Leg"][:, 1] = hip, knee
        angles[f"{side}Foot"][:, 1] = -(hip + knee)  # foot flat
        swing = 20.0 * np.sin(2 * np.pi * (t + phase))
        angles[f"{side}Arm"][:, 1] = swing
        angles[f"{side}ForeArm"][:, 1] = -30.0
    rows = np.hstack([root, np.zeros((len(t), 3))] + [angles[n] for n in ORDER])
    motion = "\n".join(" ".join(f"{v:.4f}" for v in row) for row in rows)
    path.write_text(f"{SKELETON}MOTION\nFrames: {len(t)}\nFrame Time: {1 / RATE:.6f}\n{motion}\n")
    return stance


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[EpisodeData, dict[str, np.ndarray], Path]:
    from typer.testing import CliRunner

    from robofuel.cli import app

    root = tmp_path_factory.mktemp("walk")
    stance = walking_bvh(root / "walk.bvh")
    result = CliRunner().invoke(app, ["ingest", str(root / "walk.bvh"), "--lake", str(root / "lake")])
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["ls", "--lake", str(root / "lake"), "--json"])
    ids = [e["id"] for e in json.loads(listed.output)["episodes"]]
    return load_episode(Lake(str(root / "lake")), ids[0]), stance, root / "lake"


def test_walk_is_planted_without_penetration_within_limits(walk: Any) -> None:
    data, stance, _ = walk
    g1 = Registry().get("unitree_g1")
    planted = body_to_humanoid(data, g1)
    free = body_to_humanoid(data, g1, TargetOptions(plant=False))
    r, base = planted.report, free.report
    assert r["source_unit_m"] == 0.01  # cm found from the body's height
    leg = whole_body(g1).size().leg_m
    assert r["scale"] == pytest.approx(leg / 0.86, rel=1e-3)  # robot leg / person's 44 + 42 cm
    for side in ("left", "right"):  # contacts found where the generator planted the feet
        assert np.mean(planted.targets.contact[side] == stance[side]) > 0.85
    assert r["foot_skating_m"] < 0.03, r["foot_skating_m"]
    assert base["foot_skating_m"] > 5 * max(r["foot_skating_m"], 0.01), (r["foot_skating_m"], base["foot_skating_m"])
    assert r["penetration_m"] <= 1e-3 and r["penetration_frames"] == 0
    assert r["joint_limit_violations"] == 0 and r["velocity_limit_violations"] == 0
    assert r["key_link_error_m"] < 0.05
    for link in ("left_foot", "right_foot", "pelvis"):
        assert r["tracking_error_m"][link]["median"] < 0.02, (link, r["tracking_error_m"][link])
    assert 0.0 <= r["balance_fraction"] <= 1.0 and r["fps_per_core"] > 0
    walked = planted.base_pose[-1, 0] - planted.base_pose[0, 0]
    assert walked == pytest.approx(SPEED * (SECONDS - 1 / RATE) * r["scale"], abs=0.1)  # forward along x


def test_standing_is_balanced(tmp_path: Path) -> None:
    """The standing configuration: CoM over the support polygon of both soles, soles on the ground."""
    from robofuel.embodiment.humanoid_quality import _hull, inside

    body = whole_body(Registry().get("unitree_g1"))
    body.place(body.standing)
    soles = np.vstack([body.sole_world(f) for f in ("left_foot", "right_foot")])
    assert abs(soles[:, 2].min()) < 1e-9
    com = body.pin.centerOfMass(body.model, body.data, body.standing)
    assert inside(_hull(soles[:, :2]), np.asarray(com)[:2])


def test_cli_retarget_json_reports_foot_skating(walk: Any, cli: Any, tmp_path: Path) -> None:
    data, _, lake = walk
    r = cli("retarget", data.meta.id, "--to", "unitree_g1", "--lake", str(lake), "--json")
    assert r.code == 0, r.err
    report = r.json()
    assert report["foot_skating_m"] < 0.03 and report["method"] == "whole_body_floating_base"
    out = cli(
        "export",
        "--format",
        "mcap",
        "--out",
        str(tmp_path / "o"),
        "--embodiment",
        "unitree_g1",
        "--lake",
        str(lake),
        "--all",
    )
    assert out.code == 0, out.err
    assert len(list((tmp_path / "o").glob("*.mcap"))) == 1


def test_real_bvh_walk(shared_data: Path, tmp_path: Path, cli: Any) -> None:
    """PyMO's captured walk (inches, 120 Hz): the retarget runs and reports its metrics."""
    path = shared_data / "pymo" / "AV_8Walk_Meredith_HVHA_Rep1.bvh"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert cli("ingest", str(path), "--lake", str(tmp_path / "lake")).code == 0
    ids = [e["id"] for e in cli("ls", "--lake", str(tmp_path / "lake"), "--json").json()["episodes"]]
    r = body_to_humanoid(load_episode(Lake(str(tmp_path / "lake")), ids[0]), Registry().get("unitree_g1"))
    rep = r.report
    assert rep["frames"] == 1064 and rep["source_unit_m"] == 0.0254
    assert rep["penetration_frames"] == 0 and rep["joint_limit_violations"] == 0
    assert rep["velocity_limit_violations"] == 0
    assert rep["foot_skating_m"] < 0.5 and rep["key_link_error_m"] < 0.05


def test_walk_onto_a_second_humanoid(walk: Any) -> None:
    """TALOS (example-robot-data): the same walk, feet planted, on the ground, within its limits."""
    data, _, _ = walk
    talos = Registry().get("talos")
    assert talos.id == "pal_talos" and talos.kind == "humanoid"
    r = body_to_humanoid(data, talos).report
    assert r["model"]["joints"] == 28 and r["scale"] == pytest.approx(0.705 / 0.86, rel=1e-3)  # hip-knee-ankle
    assert r["foot_skating_m"] < 0.03 and r["penetration_frames"] == 0
    assert r["joint_limit_violations"] == 0 and r["velocity_limit_violations"] == 0
    assert r["tracking_error_m"]["left_foot"]["median"] < 0.02
