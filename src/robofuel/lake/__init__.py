"""The lake: raw recordings, canonical episodes and reports, in a folder or behind an fsspec URL."""

from robofuel.lake.episodes import load_episode, write_episode
from robofuel.lake.store import Lake, default_lake_uri, file_sha256, recording_sha256

__all__ = ["Lake", "default_lake_uri", "file_sha256", "load_episode", "recording_sha256", "write_episode"]
