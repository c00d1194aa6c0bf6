"""robofuel.sim.robot: registry URDFs rewritten for MuJoCo (mesh paths resolved, COLLADA dropped), no mujoco needed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from robofuel.embodiment import Registry
from robofuel.embodiment.registry import ModelUnavailable
from robofuel.errors import InputError, MissingExtra
from robofuel.sim.robot import base_in_root, mujoco_urdf, resolve_mesh


def _available(embodiment: str) -> None:
    try:
        Registry().get(embodiment).model_path()
    except (MissingExtra, ModelUnavailable) as exc:
        pytest.skip(f"{embodiment}'s model is not installed: {exc}")


def test_package_and_relative_mesh_paths_resolve(tmp_path: Path) -> None:
    urdf = tmp_path / "pkg" / "robot_description" / "urdf" / "robot.urdf"
    mesh = tmp_path / "pkg" / "robot_description" / "meshes" / "link.stl"
    mesh.parent.mkdir(parents=True)
    urdf.parent.mkdir(parents=True)
    mesh.write_bytes(b"solid x\nendsolid x\n")
    assert resolve_mesh("package://robot_description/meshes/link.stl", urdf) == mesh
    assert resolve_mesh("package://some-data/robots/robot_description/meshes/link.stl", urdf) == mesh
    assert resolve_mesh("../meshes/link.stl", urdf) == mesh
    assert resolve_mesh("package://robot_description/meshes/absent.stl", urdf) is None


def test_panda_keeps_its_stl_collisions_and_drops_visuals() -> None:
    _available("franka_panda")
    out = mujoco_urdf(Registry().get("franka_panda"))
    root = ET.fromstring(out.xml)
    assert root.findall("link/visual") == [] and root.findall("joint/mimic") == []
    meshes = [m.get("filename", "") for m in root.iter("mesh")]
    assert len(meshes) == 9 and all(Path(m).is_absolute() and Path(m).is_file() for m in meshes)
    assert out.dropped_meshes == ()
    assert root.find("mujoco/compiler") is not None


def test_collada_only_collisions_are_dropped_and_listed() -> None:
    _available("kinova_j2s6s200")
    out = mujoco_urdf(Registry().get("kinova_j2s6s200"))
    assert out.dropped_meshes and all(m.endswith(".dae") for m in out.dropped_meshes)
    assert not any(m.get("filename", "").endswith(".dae") for m in ET.fromstring(out.xml).iter("mesh"))


def test_base_frame_at_the_root_is_identity_and_no_model_is_an_input_error() -> None:
    _available("franka_panda")
    assert (base_in_root(Registry().get("franka_panda")) == np.eye(4)).all()
    with pytest.raises(InputError, match=r"human_hand_21.*no kinematic model"):
        mujoco_urdf(Registry().get("human_hand_21"))
