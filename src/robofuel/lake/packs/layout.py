"""Where a packed stream lies, and what its unpacked form was.

A shard is a folder ``packs/<shard>/``:

- ``<key>.parquet``: the rows of one numeric or events stream (one name, one schema) of every episode of the shard,
  an ``episode_id`` column first, sorted by episode id; a row group holds whole episodes (one per episode unless
  they are short: see :data:`~robofuel.lake.packs.write.ROW_GROUP_ROWS`);
- ``<key>.bin``: the files of one video or audio stream concatenated byte for byte, and for a video
  ``<key>.frames.parquet``, its frames tables packed as above (offsets stay relative to the episode's own bytes);
- ``index.parquet``: one row per (episode, stream), sorted by episode id: the stream's byte range in its
  ``.bin`` file, what it was before packing (storage, files and their sha256) and a digest of its packed rows.

A packed stream's ``path`` is ``packs/<shard>/<file>#<episode_id>`` (lake-relative, not episode-relative); numeric
and events streams get the storage ``parquet-packed``, video and audio keep theirs (their bytes are the original
file's, only their place changed), so steps that look at ``storage`` see what they saw before packing.
"""

from __future__ import annotations

import re

from robofuel.standard import (
    AudioData,
    EventsData,
    NumericData,
    Payload,
    Storage,
    Stream,
    VideoData,
)

PACKS = "packs"
INDEX = "index.parquet"
EPISODE_ID = "episode_id"


def is_packed(stream: Stream) -> bool:
    """Whether the stream's samples lie in a shard."""
    return stream.path.startswith(f"{PACKS}/")


def split_ref(path: str) -> tuple[str, str]:
    """(lake-relative shard file, episode id) of a packed stream's path."""
    file, _, episode_id = path.partition("#")
    return file, episode_id


def shard_of(path: str) -> str:
    """The shard name of a packed stream's path (``packs/<shard>/...``)."""
    return path.split("/", 2)[1]


def index_path(shard: str) -> str:
    return f"{PACKS}/{shard}/{INDEX}"


def frames_file(blob_file: str) -> str:
    """The packed frames table beside a video's ``.bin`` shard file."""
    return blob_file.removesuffix(".bin") + ".frames.parquet"


def file_key(name: str) -> str:
    """A stream name made safe as a file name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def unpacked_stream(stream: Stream, payload: Payload) -> Stream:
    """The stream as an episode folder stores it (``streams/<name>...``), for writing a new version of a packed
    episode; an unpacked stream is returned as it is."""
    if not is_packed(stream):
        return stream
    if isinstance(payload, NumericData | EventsData):
        storage, path = Storage.parquet, f"streams/{stream.name}.parquet"
    elif isinstance(payload, AudioData):
        storage, path = Storage.wav, f"streams/{stream.name}.wav"
    elif isinstance(payload, VideoData) and payload.file is not None:
        storage, path = Storage.video_file, f"streams/{stream.name}{payload.file.suffix or '.mp4'}"
    else:
        storage, path = Storage.video_packets, f"streams/{stream.name}.{payload.codec}"
    return stream.model_copy(update={"storage": storage, "path": path})
