"""Exporters: episodes from the lake into the formats trainers read (see :mod:`robofuel.export.base`)."""

from robofuel.export.base import Exporter, ExportOptions
from robofuel.export.registry import formats, get_exporter
from robofuel.export.report import ExportReport

__all__ = ["ExportOptions", "ExportReport", "Exporter", "formats", "get_exporter"]
