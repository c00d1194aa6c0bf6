"""Reader for ROS 2 bags: a folder with ``metadata.yaml`` and MCAP or SQLite 3 storage files, split or not.

One bag is one episode. Accepted inputs: a bag folder with its ``metadata.yaml``; a folder of storage files without
it (a bag whose recorder died before writing it, what ``ros2 bag reindex`` repairs: the files are read in the order
of the number in their names, with a warning ``ingest.no_bag_metadata``); a lone ``.db3`` file. Storage files
compressed with zstd (``compression_mode: file`` gives ``x.mcap.zstd``; ``message`` compresses each message) are
decompressed. Storage is read by :mod:`robofuel.ingest.ros.bag2_storage`; messages are decoded and mapped to streams
exactly as the MCAP reader does (:mod:`robofuel.ingest.mcap.reader`), from the definitions the bag stores, or for
SQLite bags that store none, from the ROS 2 standard types.

Checks: the messages read per topic against ``topics_with_message_count`` in ``metadata.yaml``
(``ingest.count_mismatch``), a storage file listed but missing (``ingest.missing_file``, blocking: the episode
has a hole), a storage file that cannot be opened (``ingest.unreadable_file``, blocking, naming the OS error), and
the damage findings of the MCAP reader for each file (``ingest.truncated`` naming the file). Nothing is written
beside the bag (see :mod:`robofuel.ingest.ros.bag2_storage`).

Metadata: ``custom_data`` of ``metadata.yaml`` (Humble and later; ``ros2 bag record --custom-data``) whose keys are
robofuel session keys (operator, station, task_id...) fills the episode's metadata, under ``--set`` values; the
rest of ``metadata.yaml`` (version, storage, ROS distro, declared duration) goes to ``extra["rosbag2"]``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult
from robofuel.ingest.mcap.reader import episode_from_scan, session_fields
from robofuel.ingest.mcap.scan import Scan
from robofuel.ingest.ros.bag2_storage import STORAGE_SUFFIXES, Merger, storage_kind, zstd_decompress
from robofuel.standard import Finding, Severity

METADATA = "metadata.yaml"
_HINT = "a ROS 2 bag is a folder with metadata.yaml and its .mcap or .db3 files; copy the whole folder"


def load_metadata(folder: Path) -> dict[str, Any] | None:
    """``rosbag2_bagfile_information`` of ``folder/metadata.yaml``; None when absent or unreadable YAML."""
    path = folder / METADATA
    if not path.is_file():
        return None
    from ruamel.yaml import YAML  # rosbags' dependency

    try:
        doc = YAML(typ="safe").load(path.read_text(errors="replace"))
    except Exception:
        return None
    info = doc.get("rosbag2_bagfile_information") if isinstance(doc, dict) else None
    return info if isinstance(info, dict) else None


def _number(path: Path) -> tuple[int, str]:
    found = re.search(r"_(\d+)\.(?:mcap|db3)", path.name)
    return (int(found.group(1)) if found else -1, path.name)


def storage_files(folder: Path) -> list[Path]:
    """Storage files in a folder, in the order of the number rosbag2 puts in split file names."""
    files = [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(STORAGE_SUFFIXES)]
    return sorted(files, key=_number)


class _Bag:
    """One bag being read: where its files are, what metadata.yaml declares, findings about files."""

    def __init__(self, path: Path, report: ReadReport) -> None:
        self.path, self.report = path, report
        self.folder = path if path.is_dir() else path.parent
        self.info = load_metadata(path) if path.is_dir() else None
        self.found: list[Finding] = []
        self.temp: Path | None = None
        self.listed: list[Path] = []

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            return [self.path]
        listed = (self.info or {}).get("relative_file_paths")
        if not isinstance(listed, list):
            if (self.path / METADATA).exists():
                self._warn("ingest.bad_bag_metadata", f"{METADATA} does not parse as a rosbag2 description")
            else:
                text = f"no {METADATA}: the storage files are read in the order of their numbers"
                self._warn("ingest.no_bag_metadata", text + " (what `ros2 bag reindex` would restore)")
            return storage_files(self.path)
        files = []
        for rel in listed:
            candidates = [self.folder / str(rel), self.folder / f"{rel}.zstd"]
            existing = [c for c in candidates if c.is_file()]
            if existing:
                files.append(existing[0])
            else:
                text = f"{rel} is listed in {METADATA} but missing: its messages are lost"
                self.found.append(self.report.finding("ingest.missing_file", text, Severity.blocking))
        return files

    def _warn(self, code: str, text: str) -> None:
        self.found.append(self.report.finding(code, text))

    def plain(self, path: Path) -> Path:
        """The storage file itself, or its zstd-decompressed copy in a temporary folder."""
        if not path.name.lower().endswith(".zstd"):
            return path
        self.temp = self.temp or Path(tempfile.mkdtemp(prefix="robofuel-rosbag2-"))
        out = self.temp / path.name[: -len(".zstd")]
        out.write_bytes(zstd_decompress(path.read_bytes()))
        return out

    def _add(self, merger: Merger, file: Path) -> None:
        """One storage file into the merged scan; OSError when it cannot be read at all."""
        label = file.name
        try:
            plain = self.plain(file)
        except OSError:
            raise  # the file cannot be read at all: scan() says so
        except Exception as exc:  # zstd fails on damaged compressed data
            self.found.append(self.report.finding("ingest.corrupt_record", f"{label}: {exc}", Severity.blocking))
            return
        kind = storage_kind(plain)
        if kind == "mcap":
            merger.add_mcap(plain, label)
        elif kind == "sqlite3":
            merger.add_sqlite(plain, label)
        else:
            text = f"{label} is neither MCAP nor SQLite 3 (empty or damaged): skipped"
            self.found.append(self.report.finding("ingest.corrupt_record", text, Severity.blocking))

    def scan(self) -> Scan:
        merger = Merger()
        self.listed = self.files()
        for file in self.listed:
            try:
                self._add(merger, file)
            except OSError as exc:  # permission denied, a disk error, no room for a decompressed copy
                text = f"{file.name} cannot be read ({exc.strerror or exc}): check its permissions and the disk"
                self.found.append(self.report.finding("ingest.unreadable_file", text, Severity.blocking))
        if str((self.info or {}).get("compression_mode", "")).lower() == "message":
            failed = merger.decompress_messages(zstd_decompress)
            if failed:
                self.report.undecodable["messages failing zstd decompression"] += failed
        return merger.scan

    def cleanup(self) -> None:
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)


def _declared_counts(info: dict[str, Any] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in (info or {}).get("topics_with_message_count") or []:
        try:
            out[str(item["topic_metadata"]["name"])] = int(item["message_count"])
        except (KeyError, TypeError, ValueError):
            continue
    return out


def count_findings(scan: Scan, info: dict[str, Any] | None, report: ReadReport) -> list[Finding]:
    """Topics whose message count differs from what ``metadata.yaml`` declares."""
    declared = _declared_counts(info)
    if not declared or scan.damage is not None or scan.skipped_records:
        return []
    read: dict[str, int] = {}
    for ch in scan.channels.values():
        read[ch.topic] = read.get(ch.topic, 0) + len(ch.messages)
    found = []
    for topic in sorted(set(declared) | set(read)):
        if declared.get(topic, 0) != read.get(topic, 0):
            text = (
                f"{topic}: {METADATA} declares {declared.get(topic, 0)} messages, the files hold {read.get(topic, 0)}"
            )
            found.append(report.finding("ingest.count_mismatch", text, value=float(read.get(topic, 0))))
    return found


def _fields(scan: Scan, info: dict[str, Any] | None) -> dict[str, Any]:
    custom = (info or {}).get("custom_data")
    if isinstance(custom, dict):
        scan.metadata.setdefault("robofuel.session", {k: str(v) for k, v in custom.items()})
    fields = session_fields(scan)
    keep = ("version", "storage_identifier", "ros_distro", "compression_format", "compression_mode", "duration")
    fields["extra"]["rosbag2"] = {k: info[k] for k in keep if info and k in info}
    return fields


class Rosbag2Reader(Reader):
    name = "rosbag2"
    description = "ROS 2 bags: folder with metadata.yaml and MCAP or SQLite 3 files, split, zstd; or a .db3 file"

    def sniff(self, path: Path) -> bool:
        """A folder with a rosbag2 ``metadata.yaml`` or with numbered ``_N.mcap`` / ``_N.db3`` files only; a
        ``.db3`` file."""
        try:
            if path.is_file():
                return path.name.lower().endswith((".db3", ".db3.zstd"))
            if not path.is_dir():
                return False
            if (path / METADATA).is_file():
                return "rosbag2_bagfile_information" in (path / METADATA).read_text(errors="replace")[:4096]
            files = [p for p in path.iterdir() if not p.name.startswith(".")]
            return bool(files) and all(p.is_file() and _number(p)[0] >= 0 for p in files)
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        report = ReadReport(str(path), self.name)
        if not path.exists():
            raise UnreadableRecording(str(path), "does not exist", _HINT)
        bag = _Bag(path, report)
        try:
            scan = bag.scan()
        finally:
            bag.cleanup()
        if not bag.listed and not bag.found:
            raise UnreadableRecording(str(path), "no storage file (.mcap or .db3) in the bag", _HINT)
        failed = [f.message for f in bag.found if f.severity is Severity.blocking]
        if not scan.channels and failed:  # every storage file failed: say how, not that none was there
            raise UnreadableRecording(str(path), "; ".join(failed), "fix what is named, or re-copy the bag")
        more = bag.found + count_findings(scan, bag.info, report)
        return episode_from_scan(path, ctx, scan, report, more, **_fields(scan, bag.info))
