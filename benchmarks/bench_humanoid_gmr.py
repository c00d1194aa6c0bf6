"""Human body to humanoid, side by side: robofuel's whole-body retargeting and GMR (General Motion Retargeting,
github.com/YanjieZe/GMR, MIT) on the same BVH clips onto the Unitree G1, in the same run, with the same quality
metrics computed by robofuel's own functions (``robofuel.embodiment.humanoid_quality.quality``) on both outputs.

GMR runs in its own environment (``tools/gmr-venv DIR``) through ``gmr_driver.py`` in a subprocess, from a GMR
checkout or a bare git mirror of it (``--gmr-repo``; from a mirror, its code and the G1's assets are extracted to a
temporary folder; nothing of GMR is kept in this repository). GMR's BVH loader reads LAFAN1 files only (cm, y up,
LAFAN1 bone names and rest frames: it rejects the ``mixamorig:`` names and has no toe for MocapBank), so an adapter
here gives GMR the same key points robofuel reads (``robofuel.embodiment.body_source.body_points``: m, z up), as the
poses of the human bodies of GMR's ``bvh_to_g1.json``:

- positions: the person's joints (Hips, hips, knees, ankles, shoulders, elbows, wrists), the origin under the first
  frame's pelvis and the person's ground (2nd percentile of the feet's lowest points) at z = 0 (robofuel's world);
  GMR scales them itself (its table, ``actual_human_height`` = 1.75 m as its ``bvh_to_robot.py`` passes for BVH);
- orientations: for each GMR task link, the orientation the G1 link would have if it followed the person: pelvis
  and torso frames from the hips' and shoulders' lines (robofuel's), the feet flat at the toe's heading (robofuel's
  unplanted foot targets), each limb segment its parent's frame (pelvis for legs, torso for arms) times the
  smallest rotation taking the robot's rest bone direction to the person's; then GMR's rotation offset of that body
  is divided out so that GMR's own ``R_human * R_offset`` gives back that orientation.

GMR's output (base xyz, quaternion wxyz, 29 joints, the same names and order as robofuel's G1) is mapped to
robofuel's configuration layout and scored with ``quality`` against robofuel's targets without planting (the
person's motion at robofuel's scale) and the same foot contacts. GMR runs twice: as its BVH script runs it
(``gmr``: human height 1.75 m, so legs scaled by 0.875, not robofuel's robot-leg / person-leg ratio ``scale``,
which changes its skating and key-link error) and at robofuel's scale (``gmr_matched``: the height at which GMR's
leg scale equals ``scale``; its arm scale follows its own table). Speed: frames per CPU second of the solve
(``time.process_time`` of each process), medians of ``--repeat``.

Usage: tools/gmr-venv .tmp/gmr-venv   (once)
       .venv/bin/python benchmarks/bench_humanoid_gmr.py --gmr-python .tmp/gmr-venv/bin/python
       [--gmr-repo /work/.mirror/YanjieZe+GMR/repo] [--repeat 3] [--data ../shared/data] [--corpus ../corpus]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from bench_humanoid import CLIPS, load
from scipy.spatial.transform import Rotation

from robofuel.embodiment import Registry
from robofuel.embodiment.body_source import BodyPoints, body_points
from robofuel.embodiment.humanoid import body_to_humanoid, whole_body
from robofuel.embodiment.humanoid_ik import WholeBody
from robofuel.embodiment.humanoid_quality import quality
from robofuel.embodiment.humanoid_targets import BodyTargets, TargetOptions, body_targets
from robofuel.errors import RobofuelError

HERE = Path(__file__).parent
GMR_HEIGHT_M = 1.75  # GMR's scripts/bvh_to_robot.py: load_lafan1_file returns this for every BVH
#: GMR body -> (person's key point for its position, G1 link of its task, how its orientation is made)
BODIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Hips": ("pelvis", "pelvis", ("target", "pelvis")),
    "Spine2": ("neck", "torso_link", ("target", "torso")),
    **{
        f"{S}{name}": (f"{s}_{point}", f"{s}_{link}", spec)
        for S, s in (("Left", "left"), ("Right", "right"))
        for name, point, link, spec in (
            (
                "UpLeg",
                "hip",
                "hip_yaw_link",
                ("swing", "pelvis", "hip", "knee", f"{s}_hip_pitch_link", f"{s}_knee_link"),
            ),
            (
                "Leg",
                "knee",
                "knee_link",
                ("swing", "pelvis", "knee", "ankle", f"{s}_knee_link", f"{s}_ankle_roll_link"),
            ),
            ("FootMod", "ankle", "ankle_roll_link", ("target", f"{s}_foot")),
            (
                "Arm",
                "shoulder",
                "shoulder_yaw_link",
                ("swing", "torso", "shoulder", "elbow", f"{s}_shoulder_pitch_link", f"{s}_elbow_link"),
            ),
            (
                "ForeArm",
                "elbow",
                "elbow_link",
                ("swing", "torso", "elbow", "wrist", f"{s}_elbow_link", f"{s}_rubber_hand"),
            ),
            (
                "Hand",
                "wrist",
                "wrist_yaw_link",
                ("swing", "torso", "elbow", "wrist", f"{s}_elbow_link", f"{s}_rubber_hand"),
            ),
        )
    },
}
PARENT_LINK = {"pelvis": "pelvis", "torso": "torso_link"}


def gmr_checkout(repo: Path, robot_dir: str, dest: Path) -> tuple[Path, list[str]]:
    """A folder holding GMR's package and the robot's assets: ``repo`` itself when it is a checkout, else the files
    of HEAD of the bare mirror ``repo`` written under ``dest`` (blobs absent from the mirror are listed, not fatal)."""
    if (repo / "general_motion_retargeting").is_dir():
        return repo, []
    git = ["git", "-C", str(repo)]
    tree = subprocess.run(
        [*git, "ls-tree", "-r", "HEAD", "general_motion_retargeting", f"assets/{robot_dir}", "LICENSE"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    absent = []
    for line in tree.splitlines():
        meta, path = line.split("\t", 1)
        blob = subprocess.run([*git, "cat-file", "blob", meta.split()[2]], capture_output=True)
        if blob.returncode:
            absent.append(path)
            continue
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / path).write_bytes(blob.stdout)
    return dest, absent


def _unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)
    return out


def _smallest_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 3, 3) the smallest rotations taking the unit vector ``a`` (3,) to the unit vectors ``b`` (N, 3)."""
    v, c = np.cross(a, b), b @ a
    k = np.zeros((len(b), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    k -= k.transpose(0, 2, 1)
    out: np.ndarray = np.eye(3) + k + (k @ k) / np.maximum(1.0 + c, 1e-6)[:, None, None]
    return out


def _rest(model: WholeBody) -> dict[str, np.ndarray]:
    """4x4 world poses of the G1's links (by URDF name) standing at rest."""
    model.place(model.standing)
    names = set(PARENT_LINK.values())
    for _, link, spec in BODIES.values():
        names |= {link, *(spec[4:] if spec[0] == "swing" else ())}
    out = {}
    for n in names:
        if model.model.existFrame(n):
            out[n] = np.asarray(model.data.oMf[model.model.getFrameId(n)].homogeneous)
    return out


def gmr_inputs(body: BodyPoints, free: BodyTargets, model: WholeBody, config: dict[str, Any]) -> dict[str, Any]:
    """The per-frame poses of GMR's human bodies (see the module docstring): names, positions (N, B, 3), quaternions
    (N, B, 4, scalar first)."""
    rest = _rest(model)
    lows = np.concatenate(
        [
            np.minimum(body[f"{s}_ankle"][:, 2], body.points.get(f"{s}_toe", body[f"{s}_ankle"])[:, 2])
            for s in ("left", "right")
        ]
    )
    origin = np.array([body["pelvis"][0, 0], body["pelvis"][0, 1], float(np.nanpercentile(lows, 2))])
    frames = {"pelvis": free.rotations["pelvis"], "torso": free.rotations["torso"]}
    table = config["ik_match_table1"]
    names, pos, quat = [], [], []
    for name, (point, link, spec) in BODIES.items():
        key = point if point in body.points else "head"  # Spine2's position has no weight in GMR's tables
        if spec[0] == "target":
            rot = free.rotations[spec[1]]
        else:
            _, parent, a, b, link_a, link_b = spec
            p_rest = rest[PARENT_LINK[parent]][:3, :3]
            d_rest = p_rest.T @ _unit(rest[link_b][:3, 3] - rest[link_a][:3, 3])
            side = name[: 4 if name.startswith("Left") else 5].lower()
            d = np.einsum("nji,nj->ni", frames[parent], _unit(body[f"{side}_{b}"] - body[f"{side}_{a}"]))
            rot = frames[parent] @ _smallest_rotation(d_rest, d) @ (p_rest.T @ rest[link][:3, :3])
        offset = Rotation.from_quat(next(e[4] for e in table.values() if e[0] == name), scalar_first=True)
        quat.append((Rotation.from_matrix(rot) * offset.inv()).as_quat(scalar_first=True))
        pos.append(body[key] - origin)
        names.append(name)
    return {"bodies": np.array(names), "pos": np.stack(pos, axis=1), "quat": np.stack(quat, axis=1)}


def run_gmr(args: argparse.Namespace, repo: Path, inputs: dict[str, Any], tmp: Path, height: float) -> dict[str, Any]:
    """GMR's configurations and CPU seconds per repeat, from the driver in GMR's environment."""
    inp, out = tmp / "gmr_in.npz", tmp / "gmr_out.npz"
    np.savez(inp, height=height, repeat=args.repeat, **inputs)
    cmd = [str(args.gmr_python), str(HERE / "gmr_driver.py"), "--gmr-repo", str(repo), str(inp), str(out)]
    subprocess.run(cmd, check=True, timeout=3600)
    got = np.load(out)
    return {"qpos": got["qpos"], "joints": [str(j) for j in got["joints"]], "cpu_s": got["cpu_s"].tolist()}


def gmr_quality(model: WholeBody, gmr: dict[str, Any], free: BodyTargets) -> dict[str, Any]:
    """robofuel's metrics of GMR's output (mapped to robofuel's layout: base xyz, quaternion xyzw, joints), and the
    balance fraction of the same output raised out of the ground as robofuel raises its own (``WholeBody.lift``):
    sole points below the ground count as support in the static criterion."""
    qpos = gmr["qpos"]
    qs = np.zeros((len(qpos), model.model.nq))
    qs[:, :3] = qpos[:, :3]
    qs[:, 3:7] = qpos[:, [4, 5, 6, 3]]
    qs[:, 7:] = qpos[:, [7 + gmr["joints"].index(j) for j in model.joint_names]]
    out = quality(model, qs, free)
    if out["penetration_frames"]:
        lifted = np.array([model.lift(q) for q in qs])
        out["balance_fraction_lifted"] = quality(model, lifted, free)["balance_fraction"]
    return out


def compare(path: Path, args: argparse.Namespace, repo: Path, tmp: Path) -> dict[str, Any]:
    """Both tools on one clip: robofuel (planted, ``--repeat`` solves) and GMR (``--repeat`` solves)."""
    tmp.mkdir(parents=True, exist_ok=True)
    data = load(path, tmp)
    g1 = Registry().get("unitree_g1")
    model = whole_body(g1)
    ours = [body_to_humanoid(data, g1).report for _ in range(args.repeat)]
    body = body_points(data)
    free = body_targets(body, model.size(), TargetOptions(plant=False))
    config = json.loads((repo / "general_motion_retargeting/ik_configs/bvh_to_g1.json").read_text())
    inputs = gmr_inputs(body, free, model, config)
    # the height at which GMR's leg scale equals robofuel's (robot leg / person's leg): same size, fair skating
    matched = config["human_height_assumption"] * free.scale / config["human_scale_table"]["LeftUpLeg"]
    keys = (
        "foot_skating_m",
        "penetration_m",
        "penetration_frames",
        "joint_limit_violations",
        "velocity_limit_violations",
        "key_link_error_m",
        "balance_fraction",
    )
    rf = {k: ours[0][k] for k in keys} | {"fps_per_core": statistics.median(r["fps_per_core"] for r in ours)}
    rf["fps_per_core_runs"] = [r["fps_per_core"] for r in ours]
    rf["foot_skating_unplanted_m"] = body_to_humanoid(data, g1, TargetOptions(plant=False)).report["foot_skating_m"]
    out: dict[str, Any] = {"clip": path.name, "frames": ours[0]["frames"], "scale": ours[0]["scale"], "robofuel": rf}
    for label, height in (("gmr", GMR_HEIGHT_M), ("gmr_matched", matched)):
        gmr = run_gmr(args, repo, inputs, tmp, height)
        frames = len(gmr["qpos"])
        gm = {k: v for k, v in gmr_quality(model, gmr, free).items() if k in (*keys, "balance_fraction_lifted")}
        gm |= {"human_height_m": round(height, 3), "fps_per_core": round(frames / statistics.median(gmr["cpu_s"]), 1)}
        gm["fps_per_core_runs"] = [round(frames / c, 1) for c in gmr["cpu_s"]]
        out[label] = gm
        out[f"{label}_speed_ratio"] = round(rf["fps_per_core"] / gm["fps_per_core"], 2)
        out[f"{label}_skating_ratio"] = round(gm["foot_skating_m"] / max(rf["foot_skating_m"], 1e-9), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmr-python", type=Path, required=True, help="python of tools/gmr-venv")
    parser.add_argument("--gmr-repo", type=Path, default=Path("/work/.mirror/YanjieZe+GMR/repo"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE.parent / ".." / "shared" / "data")
    parser.add_argument("--corpus", type=Path, default=HERE.parent / ".." / "corpus")
    args = parser.parse_args()
    found = [base / c for c in CLIPS for base in (args.data, args.corpus) if (base / c).is_file()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        repo, absent = gmr_checkout(args.gmr_repo, "unitree_g1", tmp / "gmr")
        if absent:
            print(json.dumps({"gmr_files_absent_from_mirror": absent}), file=sys.stderr)
        for i, path in enumerate(found):
            try:
                row = compare(path, args, repo, tmp / f"clip{i}")
            except RobofuelError as exc:
                row = {"clip": path.name, "skipped": str(exc)}
            print(json.dumps(row), flush=True)
            rows.append(row)


if __name__ == "__main__":
    main()
