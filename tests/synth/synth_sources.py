"""Source lakes for the synth tests: generated Panda teleop pick-and-place recordings, and robosuite's real Lift
demos (human operator, simulated Panda) with the arm and finger joints taken from the demos' MuJoCo state."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from factories import store
from robofuel.catalog import Catalog
from robofuel.engine.local import LocalEngine
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.hdf5.mjcf_state import qpos_columns
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake, recording_sha256
from robofuel.standard import EpisodeData, NumericData, numeric_stream
from robofuel.steps.annotate import Annotate
from robofuel.steps.registry import build_pipeline

PANDA_ARM = [f"panda_joint{i}" for i in range(1, 8)]
PANDA_FINGERS = ["panda_finger_joint1", "panda_finger_joint2"]


def teleop_lake(root: Path, seeds: tuple[int, ...] = (101, 102)) -> tuple[Lake, list[Path]]:
    """Generated teleop recordings ingested (consent: internal use) and annotated into ``root/lake``; the lake and
    the truth files."""
    from robofuel.generate import generate_teleop

    recs = [generate_teleop(root / "gen", f"t{s}", seed=s, cameras=1) for s in seeds]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(
        [r.path for r in recs], metadata={"consent": "internal", "license": "CC-BY-4.0"}
    )
    LocalEngine(lake, catalog, progress=False).run(build_pipeline(["annotate"]), catalog.episode_ids())
    catalog.close()
    return lake, [r.truth_path for r in recs]


def robosuite_episode(data: EpisodeData) -> EpisodeData:
    """A robosuite demo with its Panda's arm (role joint_position) and finger (gripper_joint) joints as streams,
    named as the registry's franka_panda, and the Lift task declared; annotated."""
    states = data.numeric("states")
    model = str(data.meta.extra["model_file"])
    streams, payloads = list(data.meta.streams), dict(data.payloads)
    for name, part, role, joints in (
        ("arm", "robot0_joint", "joint_position", PANDA_ARM),
        ("fingers", "finger", "gripper_joint", PANDA_FINGERS),
    ):
        payloads[name] = NumericData(states.timestamps_ns, states.values[:, qpos_columns(model, part)])
        cols = [f"{j}.position" for j in joints]
        unit = "rad" if role == "joint_position" else "m"
        streams.append(numeric_stream(name, payloads[name], cols, role=role, unit=unit))
    task = data.meta.task.model_copy(update={"id": "lift.cube", "instruction": "Lift the cube."})
    meta = data.meta.model_copy(update={"streams": streams, "embodiment": "franka_panda", "task": task})
    annotated = Annotate().run(EpisodeData(meta, payloads)).meta
    return EpisodeData(annotated, payloads)


def cube_positions(data: EpisodeData) -> np.ndarray:
    """(N, 3) the cube's centre in the world frame (m), from the demo's state (its free joint)."""
    model = str(data.meta.extra["model_file"])
    col = qpos_columns(model, "cube")[0]
    return data.numeric("states").values[:, col : col + 3]


def robot_base(data: EpisodeData) -> np.ndarray:
    """The Panda base's position in the world frame (m), from the demo's MJCF."""
    root = ET.fromstring(str(data.meta.extra["model_file"]))
    base = next(b for b in root.iter("body") if b.get("name") == "robot0_base")
    return np.array([float(v) for v in (base.get("pos") or "0 0 0").split()])


def robosuite_lake(root: Path, path: Path) -> tuple[Lake, list[EpisodeData]]:
    """The robosuite demos of ``path`` (annotated, with joint streams) stored in a lake at ``root``."""
    result = get_reader("hdf5-robomimic").read(path, ReadContext(path, recording_sha256(path)))
    episodes = [robosuite_episode(d) for d in result.episodes]
    lake = Lake(root)
    catalog = Catalog(lake.default_catalog_url)
    store(lake, catalog, episodes)
    catalog.close()
    return lake, episodes
