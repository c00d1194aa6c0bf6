"""The one registry of exporters, keyed by format name (built-ins here, others through the ``robofuel.exporters``
entry-point group, name = format, value = ``module:Class``)."""

from __future__ import annotations

from robofuel import plugins
from robofuel.export.base import Exporter

BUILTIN: dict[str, str] = {
    "hdf5-aloha": "robofuel.export.hdf5_aloha:AlohaExporter",
    "hdf5-robomimic": "robofuel.export.hdf5_robomimic:RobomimicExporter",
    "lerobot": "robofuel.export.lerobot:LeRobotExporter",
    "mcap": "robofuel.export.mcap:McapExporter",
    "rlds": "robofuel.export.rlds:RldsExporter",
    "webdataset": "robofuel.export.webdataset:WebDatasetExporter",
    "zarr-umi": "robofuel.export.zarr_umi:UmiExporter",
}

GROUP = "robofuel.exporters"


def formats() -> list[str]:
    """Every format an exporter is registered for."""
    return sorted(plugins.targets(BUILTIN, GROUP))


def get_exporter(name: str) -> Exporter:
    """An instance of the exporter for format ``name`` (InputError listing the known ones if there is none)."""
    exporter: Exporter = plugins.load(BUILTIN, GROUP, name, "export format")()
    return exporter
