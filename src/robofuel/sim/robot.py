"""An embodiment's URDF made loadable by MuJoCo: mesh paths resolved, visuals dropped, unsupported meshes replaced.

MuJoCo's URDF importer reads STL, OBJ and MSH meshes but not COLLADA (``.dae``), and it cannot follow
``package://`` URIs. :func:`mujoco_urdf` rewrites the registry's model file as text MuJoCo compiles:

- ``package://<pkg>/<rest>`` and relative paths become absolute paths, found by walking up from the URDF's folder
  until some suffix of the path exists (how ``example-robot-data`` and ``pybullet_data`` lay out their files);
- ``<visual>`` elements are dropped: the simulation draws the collision geometry (collision meshes are STL in the
  supported models), so a rendered robot looks like its collision hull;
- a collision mesh MuJoCo cannot read (``.dae``) is replaced by a same-stem ``.stl``/``.obj`` beside it when there
  is one, else dropped (that link then has no collision geometry; :attr:`MujocoUrdf.dropped_meshes` lists them);
- ``mimic``, ``transmission`` and ``gazebo`` tags are removed (the simulation drives every finger joint itself).

:func:`base_in_root` gives the embodiment's base frame in the URDF's root link frame (MuJoCo's world), so scene
poses stated in the base frame can be placed in the world.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robofuel.embodiment.registry import Embodiment
from robofuel.embodiment.urdf import parse_urdf
from robofuel.errors import InputError
from robofuel.sim.records import F64

READABLE_MESHES = (".stl", ".obj", ".msh")
_DROPPED_TAGS = ("transmission", "gazebo")
#: MuJoCo compiler options for the rewritten URDF: keep every link a body (tool frames live on fixed links) and
#: repair the URDFs' occasionally degenerate inertias.
_COMPILER = {
    "fusestatic": "false",
    "discardvisual": "true",
    "strippath": "false",
    "balanceinertia": "true",
    "angle": "radian",
}


@dataclass(frozen=True)
class MujocoUrdf:
    """The rewritten URDF text and the collision meshes it had to drop (URIs as the URDF wrote them)."""

    xml: str
    dropped_meshes: tuple[str, ...]


def resolve_mesh(uri: str, urdf: Path) -> Path | None:
    """The file ``uri`` (``package://pkg/rest``, absolute or relative to the URDF) names, or None if not found."""
    rel = uri.removeprefix("package://").removeprefix("file://")
    path = Path(rel)
    if path.is_absolute():
        return path if path.is_file() else None
    parts = path.parts
    for folder in [urdf.parent, *urdf.parent.parents]:
        for k in range(len(parts)):
            candidate = folder.joinpath(*parts[k:])
            if candidate.is_file():
                return candidate.resolve()
    return None


def _readable(mesh: Path) -> Path | None:
    if mesh.suffix.lower() in READABLE_MESHES:
        return mesh
    for ext in READABLE_MESHES:
        for folder in (mesh.parent, mesh.parent.parent / "collision"):
            sibling = folder / (mesh.stem + ext)
            if sibling.is_file():
                return sibling
    return None


def _rewrite_collisions(link: ET.Element, urdf: Path, dropped: list[str]) -> None:
    for col in list(link.findall("collision")):
        mesh = col.find("geometry/mesh")
        if mesh is None:
            continue
        uri = mesh.get("filename", "")
        found = resolve_mesh(uri, urdf)
        readable = _readable(found) if found is not None else None
        if readable is None:
            dropped.append(uri)
            link.remove(col)
        else:
            mesh.set("filename", str(readable))


def mujoco_urdf(embodiment: Embodiment) -> MujocoUrdf:
    """The embodiment's URDF rewritten for MuJoCo (see the module docstring); InputError when it has no model."""
    if not embodiment.has_model:
        raise InputError(f"embodiment {embodiment.id!r} cannot be simulated: it has no kinematic model")
    path = embodiment.model_path()
    root = ET.parse(path).getroot()
    dropped: list[str] = []
    for tag in _DROPPED_TAGS:
        for el in root.findall(tag):
            root.remove(el)
    for link in root.findall("link"):
        for visual in link.findall("visual"):
            link.remove(visual)
        _rewrite_collisions(link, path, dropped)
    for joint in root.findall("joint"):
        for mimic in joint.findall("mimic"):
            joint.remove(mimic)
    for old in root.findall("mujoco"):
        root.remove(old)
    ET.SubElement(ET.SubElement(root, "mujoco"), "compiler", _COMPILER)
    return MujocoUrdf(ET.tostring(root, encoding="unicode"), tuple(dropped))


def base_in_root(embodiment: Embodiment) -> F64:
    """4x4 pose of the embodiment's base frame in the URDF root link's frame, every joint at 0 (m)."""
    with np.errstate(invalid="ignore"):  # fixed joints with axis 0 0 0 (so101)
        model = parse_urdf(embodiment.model_path())
    base = embodiment.base_frame or model.root
    if base == model.root:
        return np.eye(4)
    chain = model.chain(model.root, base)
    if chain.joints:
        raise InputError(
            f"embodiment {embodiment.id!r} cannot be simulated: its base frame {base!r} moves with joints "
            f"{chain.names} of the model"
        )
    return chain.fk(np.zeros(0))
