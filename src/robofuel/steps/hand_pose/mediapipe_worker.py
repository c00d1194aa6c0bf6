"""The MediaPipe Hands worker: run by the interpreter of the isolated venv (``tools/handpose-venv``), never
imported by robofuel (it needs only numpy and mediapipe, not robofuel).

Protocol over stdin/stdout, one request at a time:

- request: one JSON line ``{"op": "frames", "height": H, "width": W, "count": N}`` followed by ``N*H*W*3`` bytes,
  N RGB uint8 frames in order; or ``{"op": "reset", "static": bool}`` (forget the tracked hands: a new video, or
  still images when ``static``).
- reply: one JSON line ``{"frames": [[hand, ...], ...]}``, per frame the hands found, each ``{"side": "Left" |
  "Right" (MediaPipe's label, which assumes a mirrored image), "score": float, "px": [[u, v] x 21] (pixels),
  "rel_z": [21] (MediaPipe's relative depth, same scale as u), "world": [[x, y, z] x 21] (m, camera-aligned axes,
  origin at the hand's centre)}``; or ``{"error": "..."}``.

The first line written is ``{"ready": "mediapipe <version>"}`` once the models are loaded.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

NO_MEDIAPIPE = 3  # exit status when mediapipe cannot be imported
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _hands(static: bool, options: dict[str, Any]) -> Any:
    import mediapipe as mp

    return mp.solutions.hands.Hands(
        static_image_mode=static,
        max_num_hands=int(options.get("max_hands", 2)),
        model_complexity=int(options.get("model_complexity", 1)),
        min_detection_confidence=float(options.get("min_detection_confidence", 0.5)),
        min_tracking_confidence=float(options.get("min_tracking_confidence", 0.5)),
    )


def _frame_hands(result: Any, height: int, width: int) -> list[dict[str, Any]]:
    out = []
    marks = result.multi_hand_landmarks or []
    worlds = result.multi_hand_world_landmarks or [None] * len(marks)
    sides = result.multi_handedness or [None] * len(marks)
    for mark, world, side in zip(marks, worlds, sides, strict=False):
        cls = side.classification[0] if side is not None else None
        out.append(
            {
                "side": cls.label if cls is not None else "",
                "score": float(cls.score) if cls is not None else 1.0,
                "px": [[p.x * width, p.y * height] for p in mark.landmark],
                "rel_z": [p.z * width for p in mark.landmark],
                "world": [[p.x, p.y, p.z] for p in world.landmark] if world is not None else None,
            }
        )
    return out


def _read_exact(stream: Any, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError(f"stdin closed with {left} of {n} bytes unread")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> int:
    import numpy as np

    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    stdin = sys.stdin.buffer
    stdout = os.fdopen(os.dup(1), "w")  # the protocol's own copy of stdout ...
    os.dup2(2, 1)  # ... and whatever the native libraries print goes to stderr
    try:
        import mediapipe as mp
    except ImportError as exc:
        print(f"mediapipe is not importable by {sys.executable} ({exc})", file=sys.stderr)
        return NO_MEDIAPIPE
    hands = _hands(bool(options.get("static", False)), options)

    stdout.write(json.dumps({"ready": f"mediapipe {mp.__version__}"}) + "\n")
    stdout.flush()
    for line in stdin:
        request = json.loads(line)
        try:
            if request["op"] == "reset":
                hands.close()
                hands = _hands(bool(request.get("static", False)), options)
                reply: dict[str, Any] = {"frames": []}
            else:
                h, w, n = int(request["height"]), int(request["width"]), int(request["count"])
                pixels = np.frombuffer(_read_exact(stdin, n * h * w * 3), dtype=np.uint8).reshape(n, h, w, 3)
                reply = {"frames": [_frame_hands(hands.process(frame), h, w) for frame in pixels]}
        except (KeyError, ValueError, RuntimeError) as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
