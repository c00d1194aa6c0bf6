"""The store under a ReplayBuffer: a ``*.zarr`` folder or a ``*.zarr.zip`` file, in zarr format 2 or 3.

Split from :mod:`robofuel.ingest.umi.reader`. Arrays are listed and their metadata read from the store itself, not
through zarr's group listing, because zarr refuses to list a group as soon as one member names a codec that is not
installed (UMI's images are compressed with imagecodecs' JPEG XL): such an array is skipped on its own, naming its
codec.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from robofuel.errors import UnreadableRecording

EPISODE_ENDS = "meta/episode_ends"
V2_ARRAY, V3_NODE = ".zarray", "zarr.json"


def sniff_store(path: Path) -> bool:
    """A folder or zip file holding ``meta/episode_ends`` as a zarr array (format 2 or 3); never raises."""
    try:
        if path.is_dir():
            return any((path / EPISODE_ENDS / name).is_file() for name in (V2_ARRAY, V3_NODE))
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
            return any(f"{EPISODE_ENDS}/{name}" in names for name in (V2_ARRAY, V3_NODE))
    except (OSError, ValueError, zipfile.BadZipFile):
        return False
    return False


def codec_ids(meta: dict[str, Any]) -> list[str]:
    """Names of the codecs an array's metadata lists: v2 compressor and filters, v3 codecs."""
    if meta.get("zarr_format") == 3:
        entries = meta.get("codecs") or []
    else:
        entries = [meta.get("compressor"), *(meta.get("filters") or [])]
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            name = entry.get("id", entry.get("name"))
            if isinstance(name, str):
                out.append(name)
    return out


def install_hint(codec: str) -> str:
    """What to install for a numcodecs / zarr codec that is not available."""
    if codec.startswith("imagecodecs_") or codec.startswith("numcodecs.imagecodecs"):
        return "pip install imagecodecs (then its codecs register with numcodecs)"
    return f"install the package that registers the codec {codec!r} with numcodecs / zarr"


def register_image_codecs() -> None:
    """Register imagecodecs' numcodecs codecs (JPEG XL...) when imagecodecs is installed; else nothing."""
    try:
        from imagecodecs.numcodecs import register_codecs  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return
    register_codecs()


def is_missing_codec(exc: BaseException) -> bool:
    text = str(exc)
    return "UnknownCodec" in type(exc).__name__ or "codec not available" in text or "Unknown codec" in text


class Store:
    """Read access to the keys of a ReplayBuffer store, and the matching zarr store."""

    def __init__(self, path: Path, zarr: ModuleType) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.names: set[str] = set()
        self.zarr_store: Any = str(path)
        if path.is_dir():
            return
        hint = "a ReplayBuffer is a .zarr folder or a .zarr.zip file; copy it again from the source"
        try:
            self.zip = zipfile.ZipFile(path)
            self.names = set(self.zip.namelist())
            self.zarr_store = zarr.storage.ZipStore(str(path), mode="r")
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            self.close()
            raise UnreadableRecording(str(path), f"not a readable zip file ({exc})", hint) from exc

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
        close = getattr(self.zarr_store, "close", None)
        if callable(close):
            close()

    def open_array(self, zarr: ModuleType, key: str) -> Any:
        """The zarr array at ``key``, read only."""
        return zarr.open_array(store=self.zarr_store, path=key, mode="r")

    def read_bytes(self, key: str) -> bytes | None:
        try:
            if self.zip is not None:
                return self.zip.read(key) if key in self.names else None
            file = self.path / key
            return file.read_bytes() if file.is_file() else None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return None

    def read_json(self, key: str) -> dict[str, Any] | None:
        blob = self.read_bytes(key)
        try:
            value = json.loads(blob) if blob is not None else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def children(self, prefix: str) -> list[str]:
        """Names of the entries directly under the folder ``prefix``, sorted."""
        if self.zip is not None:
            start = prefix.rstrip("/") + "/"
            return sorted({n[len(start) :].split("/", 1)[0] for n in self.names if n.startswith(start)} - {""})
        folder = self.path / prefix
        try:
            return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        except OSError:
            return []

    def array_meta(self, key: str) -> dict[str, Any] | None:
        """The metadata of the array at ``key`` (v2 ``.zarray`` or v3 ``zarr.json``); None if it is not one."""
        v2 = self.read_json(f"{key}/{V2_ARRAY}")
        if v2 is not None:
            return v2
        v3 = self.read_json(f"{key}/{V3_NODE}")
        return v3 if v3 is not None and v3.get("node_type") == "array" else None

    def attrs(self) -> dict[str, Any]:
        """The root group's attributes (v2 ``.zattrs`` or v3 ``zarr.json``)."""
        v2 = self.read_json(".zattrs")
        if v2 is not None:
            return v2
        attrs = (self.read_json(V3_NODE) or {}).get("attributes")
        return attrs if isinstance(attrs, dict) else {}
