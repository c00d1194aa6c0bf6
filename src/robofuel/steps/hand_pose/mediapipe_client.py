"""MediaPipe Hands in a worker process: robofuel's side of :mod:`.mediapipe_worker`'s stdin/stdout protocol.

MediaPipe 0.10.21 pins numpy<2 and protobuf<5, which robofuel's environment does not allow, so it lives in a venv
of its own (``tools/handpose-venv DIR``, about a minute from a warm pip cache) and robofuel talks to one worker process
per model: frames go in as raw RGB bytes in batches, keypoints come back as JSON. The interpreter is, first found:
the step's ``python`` config key, ``$ROBOFUEL_HANDPOSE_PYTHON``, ``.tmp/handpose-venv/bin/python`` under the
current folder (where the test suite builds it).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from robofuel.errors import InputError
from robofuel.steps.hand_pose.model import DetectedHand, Rgb

WORKER = Path(__file__).with_name("mediapipe_worker.py")
NO_MEDIAPIPE = 3  # the worker's exit status when mediapipe cannot be imported (mediapipe_worker.NO_MEDIAPIPE)
ENV = "ROBOFUEL_HANDPOSE_PYTHON"
DEFAULT_VENV = Path(".tmp") / "handpose-venv"
#: Config keys passed on to the worker.
OPTIONS = ("max_hands", "model_complexity", "min_detection_confidence", "min_tracking_confidence")
BUILD = "build it with `tools/handpose-venv DIR` and set ROBOFUEL_HANDPOSE_PYTHON=DIR/bin/python"


def find_python(configured: str | None) -> Path:
    """The interpreter of the MediaPipe venv (see the module docstring); InputError saying how to build it."""
    for candidate in (configured, os.environ.get(ENV), str(DEFAULT_VENV / "bin" / "python")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    given = configured or os.environ.get(ENV)
    where = f"{given} does not exist" if given else f"no python configured and no {DEFAULT_VENV} here"
    raise InputError(f"hand_pose: MediaPipe's venv not found ({where}); {BUILD} (or [hand_pose] python = ...)")


def _stop(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


class MediaPipeHands:
    """MediaPipe Hands (legacy solution, full landmark model unless ``model_complexity = 0``) in a worker process.

    ``mirrored``: the frames are mirror images (a selfie camera); MediaPipe's handedness assumes they are, so for
    the usual egocentric or world-facing camera its left and right are swapped back."""

    def __init__(self, python: Path, options: Mapping[str, Any], *, mirrored: bool = False, static: bool = False):
        self.mirrored = mirrored
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the worker, by _stop)
        args = [str(python), str(WORKER), json.dumps({**options, "static": static})]
        self._process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self._closer = weakref.finalize(self, _stop, self._process, self._log)
        ready = self._reply()
        self.name, self.version = "mediapipe-hands", f"{ready['ready']} hands full={options.get('model_complexity')}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MediaPipeHands:
        options = {k: config[k] for k in OPTIONS}
        return cls(find_python(config.get("python") or None), options, mirrored=bool(config["mirrored"]))

    def _reply(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            self._log.seek(0)
            tail = self._log.read().decode(errors="replace").strip()[-1500:]
            code = self._process.returncode
            hint = f"; {BUILD}" if code == NO_MEDIAPIPE else ""
            raise InputError(f"hand_pose: the MediaPipe worker stopped (exit {code}): {tail}{hint}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise InputError(f"hand_pose: the MediaPipe worker failed: {reply['error']}")
        return reply

    def _send(self, header: Mapping[str, Any], body: bytes = b"") -> dict[str, Any]:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(header).encode() + b"\n" + body)
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker died: _reply says why
        return self._reply()

    def reset(self, static: bool = False) -> None:
        """Forget tracked hands (a new video); ``static``: treat the next frames as unrelated still images."""
        self._send({"op": "reset", "static": static})

    def detect(self, frames: Sequence[Rgb]) -> list[list[DetectedHand]]:
        """Hands in each of ``frames`` (same size, RGB uint8), in order."""
        if not len(frames):
            return []
        batch = np.ascontiguousarray(np.stack([np.asarray(f, dtype=np.uint8) for f in frames]))
        count, height, width = batch.shape[:3]
        reply = self._send({"op": "frames", "height": height, "width": width, "count": count}, batch.tobytes())
        return [[self._hand(h) for h in hands] for hands in reply["frames"]]

    def _hand(self, raw: Mapping[str, Any]) -> DetectedHand:
        label = str(raw["side"]).lower()
        side = label if self.mirrored else {"left": "right", "right": "left"}.get(label, label)
        world = None if raw["world"] is None else np.asarray(raw["world"], dtype=np.float64)
        return DetectedHand(side, float(raw["score"]), np.asarray(raw["px"], np.float64), world)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop the worker (also done when the object is collected)."""
        self._closer()
