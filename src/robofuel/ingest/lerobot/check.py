"""A LeRobot dataset's files checked against its metadata, for ``robofuel validate`` (nothing is decoded).

- every data file and video file the metadata names exists; a video found in another folder than ``video_path``
  says is named where it was found (and checked there); a Git LFS pointer is named as one;
- each video's codec, read from its container with PyAV, is the ``video.codec`` that ``meta/info.json`` declares;
- each episode has as many frames in its video (v3.0: from its ``from_timestamp`` to that plus its last row's
  ``timestamp``, half a frame either side, where LeRobot looks its frames up) as data rows;
- each frame's presentation time (s, episode clock) is the data's ``timestamp`` of that row within
  :data:`TOLERANCE_S`, LeRobot's own default tolerance (``LeRobotDataset(tolerance_s=1e-4)``).

Problems of one kind are grouped, one line per feature, the first few episodes named.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from robofuel.ingest.diagnose import lfs_pointer
from robofuel.ingest.lerobot.meta import EpisodeRef, Info, load_episodes, load_info
from robofuel.ingest.video.clip import probe_video
from robofuel.standard.data import F64
from robofuel.video import codec_name

TOLERANCE_S = 1e-4
SHOWN = 5  # episodes named per grouped problem


def declared_codec(info: Info, key: str) -> str | None:
    """The ``video.codec`` a video feature declares in info.json, if any."""
    meta = info.features[key].get("info")
    codec = meta.get("video.codec") if isinstance(meta, dict) else None
    return str(codec) if codec else None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _episodes(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:SHOWN])
    return f"episode {shown}" if len(indices) == 1 else f"episodes {shown}" + (" ..." if len(indices) > SHOWN else "")


class MovedFiles:
    """The dataset's video files by name, to find one that is not where ``video_path`` puts it (listed once)."""

    def __init__(self, info: Info) -> None:
        self.info = info
        self._index: dict[str, list[Path]] | None = None

    def find(self, path: Path, key: str) -> Path | None:
        """The file named like ``path`` elsewhere in the dataset: in a folder named after ``key``, or (v2.1, whose
        names are the episode's own) the only one of that name; None if there is none."""
        if self._index is None:
            self._index = defaultdict(list)
            for p in sorted(self.info.root.rglob("*")):
                if p.is_file() and p.suffix.lower() in (".mp4", ".mkv", ".avi", ".mov", ".webm"):
                    self._index[p.name].append(p)
        found = [p for p in self._index.get(path.name, []) if p != path]
        keyed = [p for p in found if key in p.parts]
        return keyed[0] if keyed else (found[0] if len(found) == 1 and not self.info.v3 else None)


class _Checker:
    def __init__(self, info: Info) -> None:
        self.info, self.root = info, info.root
        self.problems: list[str] = []
        self._probes: dict[Path, tuple[str, list[Fraction]] | str] = {}
        self.moved = MovedFiles(info)
        self._codec_checked: set[Path] = set()

    def rows(self, refs: list[EpisodeRef]) -> dict[int, F64]:
        """Each episode's ``timestamp`` column (s); data files missing or LFS pointers are problems."""
        out: dict[int, F64] = {}
        missing: dict[str, list[int]] = defaultdict(list)
        for ref in refs:
            if not ref.data_file.is_file():
                missing["missing"].append(ref.index)
            elif lfs_pointer(ref.data_file) is not None:
                missing["Git LFS pointers, not Parquet (run `git lfs pull` in the clone)"].append(ref.index)
            else:
                out[ref.index] = self._timestamps(ref)
        for what, indices in missing.items():
            example = _rel(next(r.data_file for r in refs if r.index == indices[0]), self.root)
            self.problems.append(
                f"data: {len(indices)} of {len(refs)} data files named by data_path are {what} "
                f"({_episodes(indices)}; e.g. {example})"
            )
        return out

    def _timestamps(self, ref: EpisodeRef) -> F64:
        columns = [c for c in ("timestamp", "episode_index") if c in pq.read_schema(ref.data_file).names]
        table = pq.read_table(ref.data_file, columns=columns)
        if self.info.v3 and "episode_index" in columns:
            table = table.filter(pc.equal(table.column("episode_index"), ref.index))
        if "timestamp" not in columns:
            return np.full(table.num_rows, np.nan)
        return np.asarray(table.column("timestamp").to_numpy(zero_copy_only=False), dtype=np.float64)

    def probe(self, path: Path) -> tuple[str, list[Fraction]] | str:
        """(codec, frame times in s) of a video, or why it cannot be read; each file probed once."""
        if path not in self._probes:
            try:
                clip = probe_video(path)
                self._probes[path] = (codec_name(clip.codec), clip.times_s)
            except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
                self._probes[path] = f"{_rel(path, self.root)} is not a readable video ({exc})"
        return self._probes[path]

    def videos(self, refs: list[EpisodeRef], key: str, rows: dict[int, F64]) -> None:
        """Where each episode's video of ``key`` is, and whether it holds the episode's frames."""
        groups: dict[str, list[int]] = defaultdict(list)
        examples: dict[str, str] = {}
        unreadable: set[str] = set()
        for ref in refs:
            if ref.index not in rows:
                continue  # no data: already a problem
            vref = ref.videos[key]
            path, rel = vref.path, _rel(vref.path, self.root)
            if not path.is_file():
                other = self.moved.find(path, key)
                what = "missing" if other is None else "elsewhere"
                groups[what].append(ref.index)
                examples.setdefault(what, rel if other is None else f"{rel} is at {_rel(other, self.root)}")
                if other is None:
                    continue
                path = other
            if lfs_pointer(path) is not None:
                groups["lfs"].append(ref.index)
                examples.setdefault("lfs", rel)
                continue
            probe = self.probe(path)
            if isinstance(probe, str):
                unreadable.add(probe)
                continue
            self._codec(key, path, probe[0])
            self._frames(ref, key, probe[1], rows[ref.index], vref.from_s, vref.to_s)
        self.problems += sorted(unreadable)
        self._grouped(key, len([r for r in refs if r.index in rows]), groups, examples)

    def _codec(self, key: str, path: Path, codec: str) -> None:
        """The file's codec against the declared one, once per file (v3.0 files hold many episodes)."""
        declared = declared_codec(self.info, key)
        if path in self._codec_checked or not declared:
            return
        self._codec_checked.add(path)
        if codec_name(declared) != codec:
            rel = _rel(path, self.root)
            self.problems.append(f"{key}: {rel} is {codec}, but meta/info.json declares video.codec {declared!r}")

    def _frames(
        self, ref: EpisodeRef, key: str, times: list[Fraction], rows: F64, from_s: float | None, to_s: float | None
    ) -> None:
        if from_s is not None and to_s is not None:
            half, start = Fraction(1, 2) / Fraction(self.info.fps), Fraction(repr(from_s))
            # LeRobot looks each row's frame up at from_timestamp + timestamp: the rows decide, not to_timestamp
            last = Fraction(repr(to_s)) - start
            if len(rows) and np.isfinite(rows[-1]):
                last = Fraction(repr(float(rows[-1])))
            shown = np.array([float(t - start) for t in times if start - half <= t < start + last + half])
        else:
            shown = np.array([float(t) for t in times])
        where = f"episode {ref.index}: {key}"
        if len(shown) != len(rows):
            self.problems.append(f"{where} has {len(shown)} frames in its video, the data {len(rows)} rows")
        elif len(rows) and np.all(np.isfinite(rows)):
            worst = int(np.argmax(np.abs(shown - rows)))
            off = abs(shown[worst] - rows[worst])
            if off > TOLERANCE_S:
                self.problems.append(
                    f"{where}: frame {worst} is shown at {shown[worst]:.4f} s, its data row is at {rows[worst]:.4f} s "
                    f"({off * 1e3:.1f} ms apart; LeRobot allows {TOLERANCE_S * 1e3:g} ms)"
                )

    def _grouped(self, key: str, total: int, groups: dict[str, list[int]], examples: dict[str, str]) -> None:
        template = self.info.video_path
        texts = {
            "missing": (
                f"are missing, and no file of that name is anywhere in the dataset (e.g. {examples.get('missing')})"
            ),
            "elsewhere": (
                f"are not where video_path {template!r} puts them but in another folder (e.g. "
                f"{examples.get('elsewhere')}): fix video_path in meta/info.json or move the files"
            ),
            "lfs": (
                f"are Git LFS pointer files, not videos (e.g. {examples.get('lfs')}): the dataset was cloned without "
                "Git LFS; run `git lfs install && git lfs pull` in the clone"
            ),
        }
        for what, indices in groups.items():
            self.problems.append(f"{key}: {len(indices)} of {total} video files {texts[what]} ({_episodes(indices)})")


def check_dataset(root: Path) -> list[str]:
    """Problems of the LeRobot dataset at ``root`` (empty: its files agree with its metadata). Metadata that
    cannot be read raises :class:`~robofuel.errors.UnreadableRecording`."""
    info = load_info(root)
    refs = load_episodes(info)
    checker = _Checker(info)
    rows = checker.rows(refs)
    for key in info.keys_of("video"):
        checker.videos(refs, key, rows)
    return checker.problems
