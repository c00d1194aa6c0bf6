"""The ``hand_pose`` step's config: the model, its thresholds, which video streams, the camera intrinsics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from robofuel.config import ConfigModel


class HandPoseConfig(ConfigModel):
    """Keys of ``[hand_pose]`` in a steps config file (``robofuel process --steps hand_pose --config FILE``)."""

    model: str = Field(
        "mediapipe",
        description="'mediapipe' (MediaPipe Hands in the venv tools/handpose-venv builds) or 'package.module:factory'",
        json_schema_extra={"example": "my_hands:hamer"},
    )
    model_options: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments of the factory (e.g. weights = '/path/to/weights')"
    )
    python: str | None = Field(
        None, description="MediaPipe: the venv's interpreter (default $ROBOFUEL_HANDPOSE_PYTHON, .tmp/handpose-venv)"
    )
    streams: list[str] = Field(default_factory=list, description="video streams to run on (default: every one)")
    stride: int = Field(1, ge=1, description="run on every stride-th frame (the others are decoded only)")
    batch_frames: int = Field(16, ge=1, description="frames sent to the model at a time")
    max_hands: int = Field(2, ge=1, le=4, description="most hands found per frame")
    model_complexity: Literal[0, 1] = Field(1, description="MediaPipe: 0 the lite landmark model, 1 the full one")
    min_detection_confidence: float = Field(0.5, ge=0.0, le=1.0, description="MediaPipe: palm detection threshold")
    min_tracking_confidence: float = Field(0.5, ge=0.0, le=1.0, description="MediaPipe: landmark tracking threshold")
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="hands scoring less are left out")
    mirrored: bool = Field(False, description="the frames are mirror images (a selfie camera)")
    intrinsics: dict[str, list[float]] = Field(
        default_factory=dict,
        description="per video stream [fx, fy, cx, cy] in pixels (else the episode's extra.intrinsics, else fov_deg)",
    )
    fov_deg: float = Field(90.0, gt=10.0, lt=180.0, description="horizontal field of view assumed without intrinsics")
    hand_size_m: float | None = Field(
        None,
        gt=0.02,
        lt=0.2,
        description="wrist to middle-finger MCP of the people filmed, m: the model's 3D hand is scaled to it before it"
        " is placed (depth scales with it: 10% larger hand, 10% farther); default: the model's own (MediaPipe: an"
        " average adult hand, about 0.08 m)",
    )
    depth_window_s: float = Field(
        0.5, ge=0.0, description="a hand's distance is the median over this window of frames (s; 0: per frame)"
    )
    pose_stream: str | None = Field(
        None, description="the camera's pose in the world (x y z qx qy qz qw); default: a head_pose/camera_pose stream"
    )
    max_pose_gap_s: float = Field(
        0.1, gt=0.0, description="a frame this far from every pose sample gets no world point"
    )
