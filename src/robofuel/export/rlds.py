"""Exporter to RLDS episodes in TFRecord files, as ``tensorflow_datasets`` RLDS builders (Open X-Embodiment) store them.

Layout: ``<out>/<name>/1.0.0/`` with ``dataset_info.json``, ``features.json`` and the shards
``<name>-train.tfrecord-00000-of-0000N`` (a shard is closed before it would pass :data:`SHARD_MAX_BYTES`), which is
what ``tfds.builder_from_directory(<out>/<name>/1.0.0)`` reads. ``<name>`` is the output folder's name as a TFDS
name (lower-case snake case). Each record is one episode, a serialized ``tf.train.Example`` (written by
:mod:`robofuel.export.tfrecord`, no TensorFlow needed) holding the steps as TFDS encodes a ``tfds.features.Dataset``
(a ``Sequence``) of a ``FeaturesDict``: nested keys joined with ``/``, each step field stacked over the steps and
flattened: ``steps/observation/state`` (FloatList, steps x dims), ``steps/action``, ``steps/reward`` and
``steps/discount`` (float32), ``steps/is_first``/``is_last``/``is_terminal`` (bool as Int64List),
``steps/language_instruction`` (BytesList, one per step), ``steps/observation/image_<camera>`` (BytesList, one
encoded image per step), and ``episode_metadata/<field>`` (one value each).

Features are LeRobot's (:mod:`robofuel.export.lerobot_features`) renamed: ``observation.state`` ->
``observation/state``, ``action`` -> ``action`` (the next step's state when no command stream was recorded: absolute
joint-position control), ``observation.<stream>`` -> ``observation/<stream>``, camera ``<stream>`` ->
``observation/image_<stream>`` (stream names as lower-case identifiers); column names are in each feature's
description. Steps are a uniform grid (:func:`~robofuel.export.timeline.choose_timeline` with nothing copyable: the
fastest camera's rate unless ``fps`` is asked); numeric streams resampled at the step times (float32). Images: JPEG
packets copied (the step's nearest frame), other cameras decoded and encoded as JPEG. Demonstration conventions of
Open X-Embodiment: ``discount`` 1, ``is_terminal`` on the last step, ``reward`` 1 on the last step unless the episode
is marked failed (``task.success`` False). Audio is left out and reported.

Sources relied on: TFDS ``core/example_serializer.py`` (``_dict_to_tf_example``: nested dict flattened with ``/``,
bool cast to int64, values flattened, int -> Int64List, float -> FloatList, str -> BytesList),
``core/features/sequence_feature.py`` and ``dataset_feature.py`` (steps stacked along the first dimension),
``core/proto/feature.proto`` and ``dataset_info.proto`` (the JSON files, proto3 JSON: int64 as strings); the
``features.json`` published with DROID (``Dataset``/``sequence``/``length "-1"``, ``Scalar``, ``Tensor``,
``Image`` with ``encodingFormat``, ``Text``); kpertsch/rlds_dataset_builder ``example_dataset_dataset_builder.py``
(the Open X-Embodiment step fields and their meaning); TFDS split files
``{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}`` as in published ``dataset_info.json`` files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written, dataset_rights
from robofuel.export.frames import (
    camera_images,
    camera_signature,
    image_format,
    left_out_as_different,
    safe_name,
    sample_numeric,
    usable_features,
)
from robofuel.export.lerobot_features import Feature
from robofuel.export.tfrecord import FeatureValue, frame_record, serialize_example
from robofuel.export.timeline import Timeline, timeline_or_omit
from robofuel.standard import EpisodeData

VERSION = "1.0.0"
SPLIT = "train"
SHARD_MAX_BYTES = 256 * 2**20
FILEPATH_TEMPLATE = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
TFDS = "tensorflow_datasets.core.features."
METADATA = ("episode_id", "file_path", "embodiment")


def dataset_name(out: Path) -> str:
    """The output folder's name as a TFDS dataset name (``My Export-2`` -> ``my_export_2``)."""
    name = safe_name(out.name)
    return name if name[0].isalpha() else f"robofuel_{name}"


def step_keys(features: list[Feature]) -> dict[str, str]:
    """Each feature's path under ``steps/`` (unique)."""
    out: dict[str, str] = {}
    for f in features:
        if f.key in ("observation.state", "action"):
            path = f.key.replace(".", "/")
        elif f.kind == "video":
            path = f"observation/image_{safe_name(f.streams[0])}"
        else:
            path = f"observation/{safe_name(f.key.removeprefix('observation.'))}"
        while path in out.values():
            path += "_"
        out[f.key] = path
    return out


def _tensor(dims: list[int], dtype: str, doc: str) -> dict[str, Any]:
    cls = "scalar.Scalar" if not dims else "tensor_feature.Tensor"
    shape = {"dimensions": [str(d) for d in dims]} if dims else {}
    return {
        "pythonClassName": TFDS + cls,
        "tensor": {"shape": shape, "dtype": dtype, "encoding": "none"},
        "description": doc,
    }


def _text(doc: str) -> dict[str, Any]:
    return {"pythonClassName": TFDS + "text_feature.Text", "text": {}, "description": doc}


def _image(height: int, width: int, fmt: str, doc: str) -> dict[str, Any]:
    image = {"shape": {"dimensions": [str(height), str(width), "3"]}, "dtype": "uint8", "encodingFormat": fmt}
    return {"pythonClassName": TFDS + "image_feature.Image", "image": image, "description": doc}


def _features_dict(flat: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A FeaturesDict (features.json form) from {"a/b": feature}: nested FeaturesDicts for the path parts."""
    tree: dict[str, Any] = {}
    for path, spec in flat.items():
        *parents, leaf = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = spec

    def as_dict(node: dict[str, Any]) -> dict[str, Any]:
        features = {k: v if "pythonClassName" in v else as_dict(v) for k, v in node.items()}
        return {"pythonClassName": TFDS + "features_dict.FeaturesDict", "featuresDict": {"features": features}}

    return as_dict(tree)


class _Rlds(ExportWriter):
    """An RLDS dataset being written: features and rate fixed by the first episode."""

    def __init__(self, root: Path, name: str, options: ExportOptions, report: ExportReport) -> None:
        self.root, self.name, self.options, self.report = root, name, options, report
        self.encode_as = image_format(options.video_codec)
        self.features: list[Feature] | None = None
        self.cameras: list[tuple[str, str | None, int, int]] = []
        self.formats: dict[str, str] = {}
        self.fps: float | None = None
        self.file: BinaryIO | None = None
        self.shard_lengths: list[int] = []
        self.shard_bytes = 0
        self.steps = 0

    def add(self, ep: EpisodeData) -> Written | None:
        features = usable_features(ep, self.report, "RLDS export")
        cameras = camera_signature(ep, features)
        if self.features is None:
            self.features, self.cameras = features, cameras
        elif left_out_as_different(ep, self.report, features, self.features, cameras, self.cameras):
            return None
        names = [n for f in features for n in f.streams]
        timeline = timeline_or_omit(ep, names, self.fps or self.options.fps, set(), self.report)
        if timeline is None:
            return None
        self.fps = self.fps or timeline.fps
        self._write(serialize_example(self._example(ep, features, timeline)))
        n = len(timeline.t_ns)
        self.steps += n
        return Written(n, n / timeline.fps)

    def _example(self, ep: EpisodeData, features: list[Feature], timeline: Timeline) -> dict[str, FeatureValue]:
        n, keys = len(timeline.t_ns), step_keys(features)
        out: dict[str, FeatureValue] = {}
        for key, values in sample_numeric(ep, features, timeline.t_ns).items():
            out[f"steps/{keys[key]}"] = values.astype(np.float32)
        for f in features:
            if f.kind == "video":
                images = camera_images(ep, f.streams[0], timeline.t_ns, self.encode_as)
                out[f"steps/{keys[f.key]}"] = list(images.images)
                self.formats[f.streams[0]] = images.format
                self.report.video_handled(f.streams[0], images.how)
        last = np.arange(n) == n - 1
        out["steps/reward"] = last.astype(np.float32) * (0.0 if ep.meta.task.success is False else 1.0)
        out["steps/discount"] = np.ones(n, dtype=np.float32)
        out |= {"steps/is_first": np.arange(n) == 0, "steps/is_last": last, "steps/is_terminal": last}
        out["steps/language_instruction"] = [(ep.meta.task.instruction or ep.meta.task.id or "").encode()] * n
        meta = (ep.meta.id, ep.meta.recording.path, ep.meta.embodiment or "")
        out |= {f"episode_metadata/{k}": [v.encode()] for k, v in zip(METADATA, meta, strict=True)}
        return out

    def _shard_path(self, index: int, count: int | None = None) -> Path:
        suffix = f"-of-{count:05d}" if count is not None else ""
        return self.root / f"{self.name}-{SPLIT}.tfrecord-{index:05d}{suffix}"

    def _write(self, record: bytes) -> None:
        framed = frame_record(record)
        full = self.shard_lengths and self.shard_bytes + len(framed) > SHARD_MAX_BYTES
        if self.file is None or full:
            self.close()
            self.file = self._shard_path(len(self.shard_lengths)).open("wb")
            self.shard_lengths.append(0)
            self.shard_bytes = 0
        self.file.write(framed)
        self.shard_bytes += len(framed)
        self.shard_lengths[-1] += 1

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def finish(self) -> None:
        self.close()
        count = len(self.shard_lengths)
        for i in range(count):
            self._shard_path(i).rename(self._shard_path(i, count))
        (self.root / "features.json").write_text(json.dumps(self._features_json(), indent=2))
        (self.root / "dataset_info.json").write_text(json.dumps(self._dataset_info(), indent=2))

    def _features_json(self) -> dict[str, Any]:
        assert self.features is not None
        keys, sizes = step_keys(self.features), {name: (w, h) for name, _, w, h in self.cameras}
        steps: dict[str, dict[str, Any]] = {}
        for f in self.features:
            if f.kind == "numeric":
                doc = f"{f.key}: " + ", ".join(f.names)
                steps[keys[f.key]] = _tensor([len(f.names)], "float32", doc)
            else:
                (w, h), cam = sizes[f.streams[0]], f.streams[0]
                steps[keys[f.key]] = _image(h, w, self.formats[cam], f"Camera {cam}, its nearest frame to the step.")
        steps["reward"] = _tensor([], "float32", "Reward: 1 on the last step unless the episode is marked failed.")
        steps["discount"] = _tensor([], "float32", "Discount, 1.")
        for flag, doc in (("is_first", "first step"), ("is_last", "last step"), ("is_terminal", "last step")):
            steps[flag] = _tensor([], "bool", f"True on the {doc} of the episode.")
        steps["language_instruction"] = _text("The task's instruction (or task id).")
        meta = {k: _text(f"robofuel {k}.") for k in METADATA}
        sequence = {"feature": _features_dict(steps), "length": "-1"}
        dataset = {"pythonClassName": TFDS + "dataset_feature.Dataset", "sequence": sequence}
        return _features_dict({"steps": dataset} | {f"episode_metadata/{k}": v for k, v in meta.items()})

    def _dataset_info(self) -> dict[str, Any]:
        count = len(self.shard_lengths)
        size = sum(self._shard_path(i, count).stat().st_size for i in range(count))
        about = (
            f"{sum(self.shard_lengths)} robot episodes, {self.steps} steps at {self.fps:g} Hz, exported by robofuel."
        )
        split = {"name": SPLIT, "numBytes": str(size), "shardLengths": [str(n) for n in self.shard_lengths]}
        return {
            "name": self.name,
            "version": VERSION,
            "description": about,
            "citation": "",
            "fileFormat": "tfrecord",
            "moduleName": __name__,
            "releaseNotes": {VERSION: "Exported by robofuel."},
            "splits": [split | {"filepathTemplate": FILEPATH_TEMPLATE}],
            **_redistribution(dataset_rights(self.report)),
        }


def _redistribution(rights: dict[str, str]) -> dict[str, Any]:
    """TFDS's ``redistributionInfo`` (the licence) and the consent, where the episodes record them."""
    out: dict[str, Any] = {"redistributionInfo": {"license": rights["license"]}} if "license" in rights else {}
    return out | ({"robofuelConsent": rights["consent"]} if "consent" in rights else {})


class RldsExporter(Exporter):
    name = "rlds"
    description = "RLDS episodes in TFRecord shards as TFDS/Open X-Embodiment builders store them (no TensorFlow)"

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        name = dataset_name(out)
        root = stage / name / VERSION
        root.mkdir(parents=True)
        return _Rlds(root, name, options, report)
