"""Runs GMR (General Motion Retargeting, github.com/YanjieZe/GMR) on key-body poses prepared by bench_humanoid_gmr.py.

Runs in GMR's own environment (tools/gmr-venv), not robofuel's. It imports GMR's ``GeneralMotionRetargeting`` from a
checkout (``--gmr-repo``) without running the package's ``__init__`` (which imports its viewer, torch and the
kinematics model, none of which the BVH -> robot solve uses), then calls ``retarget`` frame by frame exactly as GMR's
``scripts/bvh_to_robot.py`` does (warm-started, same IK config ``bvh_to_g1.json``, same solver and damping defaults).

Input ``.npz``: ``bodies`` (B,) GMR's human body names, ``pos`` (N, B, 3) m, z up, ``quat`` (N, B, 4) scalar first,
``height`` (m, GMR's ``actual_human_height``), ``repeat``. Output ``.npz``: ``qpos`` (N, nq: base xyz, quaternion
wxyz, joints; the last repeat), ``joints`` (names in qpos order), ``cpu_s`` (CPU seconds of each repeat's solve).
"""

from __future__ import annotations

import argparse
import sys
import time
import types

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmr-repo", required=True)
    parser.add_argument("--robot", default="unitree_g1")
    parser.add_argument("inp")
    parser.add_argument("out")
    args = parser.parse_args()
    pkg = types.ModuleType("general_motion_retargeting")
    pkg.__path__ = [f"{args.gmr_repo}/general_motion_retargeting"]
    sys.modules["general_motion_retargeting"] = pkg
    import mujoco as mj
    from general_motion_retargeting.motion_retarget import GeneralMotionRetargeting

    data = np.load(args.inp)
    bodies = [str(b) for b in data["bodies"]]
    pos, quat = data["pos"], data["quat"]
    cpu, qpos = [], np.zeros(0)
    for _ in range(int(data["repeat"])):
        gmr = GeneralMotionRetargeting("bvh", args.robot, actual_human_height=float(data["height"]))
        frames = [{b: (pos[i, j].copy(), quat[i, j].copy()) for j, b in enumerate(bodies)} for i in range(len(pos))]
        out = np.zeros((len(frames), gmr.model.nq))
        start = time.process_time()
        for i, frame in enumerate(frames):
            out[i] = gmr.retarget(frame)
        cpu.append(time.process_time() - start)
        qpos = out
    model = gmr.model
    joints = [mj.mj_id2name(model, mj.mjtObj.mjOBJ_JOINT, j) for j in range(1, model.njnt)]
    np.savez(args.out, qpos=qpos, joints=np.array(joints), cpu_s=np.array(cpu))


if __name__ == "__main__":
    main()
