"""Step ``privacy``: redaction of faces, voices, operator ids and names before data leaves the base (docs/privacy.md).

Modules: ``step`` (the step), ``config``, ``detect`` (detectors and the plug-in point), ``onnx`` (user-supplied ONNX
models), ``track`` (boxes across frames), ``blur``, ``frames`` (one video stream), ``audio`` (muting, voice activity),
``text`` (pseudonyms, names).
"""

from robofuel.steps.privacy.step import Privacy

__all__ = ["Privacy"]
