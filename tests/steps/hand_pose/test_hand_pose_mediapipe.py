"""The hand_pose step with its bundled model, MediaPipe Hands, in the venv ``tools/handpose-venv`` builds into
.tmp/handpose-venv (about a minute on first use from a warm pip cache): on the real G1 head-camera video (the robot's
Inspire hands, no human hand: nothing found, no crash), through ``robofuel process --steps hand_pose``, and on real
labelled hand photos where the shared data holds some."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robofuel.lake import Lake, load_episode
from robofuel.steps.hand_pose.mediapipe_client import MediaPipeHands

G1 = "lerobot_v21_unitree_g1"


@pytest.mark.slow
def test_process_on_the_g1_head_camera_finds_no_human_hand(
    cli: Any, shared_data: Path, tmp_path: Path, mediapipe_python: Path
) -> None:
    """`robofuel process --steps hand_pose` on a lake of the real G1 recordings (head camera, 640x480 AV1): the
    robot's hands are not taken for human hands; each video gets its two empty hand streams and a finding."""
    lake = tmp_path / "lake"
    assert cli("ingest", str(shared_data / G1), "--lake", str(lake), "--json").code == 0
    config = tmp_path / "steps.toml"
    config.write_text(f'[hand_pose]\npython = "{mediapipe_python}"\nstride = 10\n')
    r = cli("process", "--steps", "hand_pose", "--config", str(config), "--lake", str(lake), "--json")
    assert r.code == 0, r.out + r.err
    ids = [e["id"] for e in cli("ls", "--lake", str(lake), "--json").json()["episodes"]]
    videos = 0
    for episode_id in ids:
        data = load_episode(Lake(lake), episode_id)
        summary = data.meta.extra["hand_pose"]["videos"]
        for name, seen in summary.items():
            videos += 1
            assert seen["frames"] > 30 and seen["left"] == seen["right"] == 0
            left = data.numeric(f"hands-{name}-left")
            assert len(left.timestamps_ns) == seen["frames"] and (left.values[:, 0] == 0).all()
            assert "hand_pose.no_hands" in {f.code for f in data.meta.findings}
    assert videos >= 2
    assert json.dumps(r.json())  # a machine-readable summary


def test_a_real_hand_photo_is_found_where_the_shared_data_has_one(shared_data: Path, mediapipe_python: Path) -> None:
    """Labelled real hand photos (COCO-style keypoints, ``hands/*.json``) in the shared data: each hand found
    within 10% of its box size, median over keypoints."""
    labels = sorted((shared_data / "hands").glob("*.json")) if (shared_data / "hands").is_dir() else []
    if not labels:
        pytest.skip("no labelled real hand photos in the shared data (benchmarks/bench_hand_pose.py measures them)")
    cv2 = pytest.importorskip("cv2")
    model = MediaPipeHands(mediapipe_python, {"max_hands": 2}, static=True)
    coco = json.loads(labels[0].read_text())
    for image in coco["images"][:4]:
        rgb = cv2.cvtColor(cv2.imread(str(labels[0].parent / image["file_name"])), cv2.COLOR_BGR2RGB)
        truth = next(a for a in coco["annotations"] if a["image_id"] == image["id"])
        points = np.asarray(truth["keypoints"], dtype=np.float64).reshape(21, 3)[:, :2]
        found = model.detect([rgb])[0]
        assert found, image["file_name"]
        size = max(np.ptp(points[:, 0]), np.ptp(points[:, 1]))
        errors = [np.median(np.linalg.norm(h.px - points, axis=1)) for h in found]
        assert min(errors) < 0.1 * size, image["file_name"]
    model.close()
