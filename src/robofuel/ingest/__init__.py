"""Readers: recordings in, canonical episodes out. See :mod:`robofuel.ingest.registry` for the formats."""

from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, episode_id, make_episode
from robofuel.ingest.registry import detect, formats, get_reader

__all__ = [
    "ReadContext",
    "ReadReport",
    "ReadResult",
    "Reader",
    "detect",
    "episode_id",
    "formats",
    "get_reader",
    "make_episode",
]
