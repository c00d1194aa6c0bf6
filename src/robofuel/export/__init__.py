"""Exporters: episodes from the lake into the formats trainers read (see :mod:`robofuel.export.base`)."""

from robofuel.export.base import Exporter, ExportOptions, ExportReport
from robofuel.export.registry import formats, get_exporter

__all__ = ["ExportOptions", "ExportReport", "Exporter", "formats", "get_exporter"]
