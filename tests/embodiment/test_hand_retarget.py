"""Human-hand (wearable keypoint) episodes retargeted to a parallel-gripper arm and to the Allegro hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embodiment.test_retarget import _numpy_fk
from robofuel.embodiment import Registry
from robofuel.embodiment.dexterous_kinematics import hand_kinematics, solve_fingertips
from robofuel.embodiment.hand import PINCH_CLOSED_M, PINCH_OPEN_M, aperture_from_pinch
from robofuel.embodiment.hand_arm import hand_to_arm
from robofuel.embodiment.hand_dexterous import hand_to_dexterous
from robofuel.embodiment.urdf import parse_urdf
from robofuel.standard import EpisodeData


@pytest.fixture(scope="module")
def wearable_episodes(tmp_path_factory: pytest.TempPathFactory) -> list[EpisodeData]:
    """Two generated wearable recordings (21 keypoints at 30 Hz in head_camera), ingested."""
    from robofuel.catalog import Catalog
    from robofuel.generate import generate_wearable
    from robofuel.ingest.runner import Ingester
    from robofuel.lake import Lake, load_episode

    root: Path = tmp_path_factory.mktemp("hands")
    files = [generate_wearable(root / "gen", f"w{i}", seed=80 + i).path for i in range(2)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    ids = catalog.episode_ids()
    catalog.close()
    return [load_episode(lake, i) for i in ids]


@pytest.mark.parametrize("target", ["ur5", "xarm7", "xarm6"])
def test_hand_to_gripper_arm(wearable_episodes: list[EpisodeData], target: str) -> None:
    registry = Registry()
    for data in wearable_episodes:
        out = hand_to_arm(data, registry.get("human_hand_21"), registry.get(target))
        poses = _numpy_fk(target, out.result.ik.theta)  # independent of pinocchio
        pos_mm = np.linalg.norm(poses[:, :3, 3] - out.result.targets[:, :3, 3], axis=1) * 1e3
        assert np.mean(pos_mm <= 1.0) >= 0.97 and np.median(pos_mm) < 0.1
        assert out.report.verdict in ("feasible", "partial") and out.report.reachable_fraction >= 0.97
        assert out.report.joint_limit_violations == 0 and out.report.velocity_limit_violations == 0
        assert out.result.aperture_m is not None and out.result.aperture_m.min() >= 0.0
        assert out.result.aperture_m.max() <= 0.085 and "pinch" in out.report.gripper


def test_hand_to_panda_misses_only_where_its_velocity_limits_hold_it_back(wearable_episodes: list[EpisodeData]) -> None:
    """The automatic placement gives the Panda room; what it cannot follow is the hand's fast last frames."""
    from robofuel.embodiment.retarget import reachable

    registry = Registry()
    for data in wearable_episodes:
        out = hand_to_arm(data, registry.get("human_hand_21"), registry.get("franka_panda"), check_collisions=False)
        missed = ~reachable(out.result.ik)
        assert out.report.reachable_fraction >= 0.9 and out.report.joint_limit_violations == 0
        assert np.all(out.result.ik.velocity_limited[missed] | (np.arange(len(missed)) > 0.85 * len(missed))[missed])


def test_aperture_mapping_is_monotone(wearable_episodes: list[EpisodeData]) -> None:
    d = np.linspace(0.0, 0.15, 301)
    a = aperture_from_pinch(d, 0.085)
    assert np.all(np.diff(a) >= 0) and a[0] == 0.0 and a[-1] == pytest.approx(0.085)
    assert aperture_from_pinch(np.array([PINCH_CLOSED_M, PINCH_OPEN_M]), 0.08).tolist() == pytest.approx([0, 0.08])
    registry = Registry()
    out = hand_to_arm(wearable_episodes[0], registry.get("human_hand_21"), registry.get("ur5"), check_collisions=False)
    assert out.pinch_m is not None and out.result.aperture_m is not None
    order = np.argsort(out.pinch_m)
    assert np.all(np.diff(out.result.aperture_m[order]) >= -1e-12)  # frame by frame: wider pinch, wider gripper
    assert np.ptp(out.result.aperture_m) > 0.03  # the grasp shows up in the aperture


def _allegro_numpy_tips(theta: np.ndarray) -> np.ndarray:
    """Fingertip positions (N, F, 3) from robofuel.embodiment.urdf's numpy URDF chains: independent of pinocchio."""
    e = Registry().get("allegro_hand_right")
    assert e.hand is not None
    with np.errstate(invalid="ignore"):
        model = parse_urdf(e.model_path())
    out = []
    for finger, tip in e.hand.fingertips.items():
        chain = model.chain(e.hand.palm_frame, tip)
        cols = [list(e.joints).index(n) for n in chain.names]
        out.append(chain.fk_batch(theta[:, cols])[:, :3, 3])
        assert len(cols) == 4, finger
    return np.stack(out, axis=1)


def test_allegro_ik_recovers_reachable_targets() -> None:
    kin = hand_kinematics(Registry().get("allegro_hand_right"))
    t = np.linspace(0, 3, 90)
    mid, half = (kin.lower + kin.upper) / 2, (kin.upper - kin.lower) / 2
    theta = mid + 0.6 * half * np.sin(t[:, None] * np.linspace(0.5, 1.5, 16)[None] + np.arange(16))
    targets = _allegro_numpy_tips(theta)
    res = solve_fingertips(kin, targets, t)
    assert np.median(res.error_m) < 1e-3 and np.percentile(res.error_m, 90) < 5e-3


def test_hand_to_allegro(wearable_episodes: list[EpisodeData]) -> None:
    """Scale about 1.5 (the Allegro is larger than the generated hand). Every fingertip, the ring finger included
    (the Allegro's third finger sits 43.5 mm from its middle one, wider than a human ring finger), is followed
    within a millimetre at the median, checked by an independent FK; pinches stay pinches."""
    registry = Registry()
    for data in wearable_episodes:
        res = hand_to_dexterous(data, registry.get("human_hand_21"), registry.get("allegro_hand_right"))
        rep = res.report
        assert 1.3 < rep.scale < 1.8
        fk = _allegro_numpy_tips(res.solution.theta)
        np.testing.assert_allclose(fk, res.solution.tips, atol=1e-6)  # FK of the result is what the report used
        err = np.linalg.norm(fk - res.targets, axis=2) * 1e3
        assert rep.fingertip_error_mm["index"]["median"] == pytest.approx(np.median(err[:, 1]), abs=1e-3)
        for i, finger in enumerate(("thumb", "index", "middle", "ring")):
            assert np.median(err[:, i]) < 1.0 and np.percentile(err[:, i], 99) < 10.0, (finger, rep.fingertip_error_mm)
        assert rep.verdict == "feasible" and rep.reachable_fraction >= 0.97 and not rep.reasons
        assert rep.joint_limit_violations == 0 and rep.velocity_limit_violations == 0
        assert rep.collision_frames == 0 and rep.collision_checked_frames == rep.frames
        assert "touching at rest" in rep.collision_note
        # the generated grasp is a thumb-index pinch: its scaled gap is kept by the robot's fingertips
        assert rep.contact_frames > 20 and rep.contact_gap_error_mm["median"] < 1.0


def test_hand_to_allegro_palm_anchor_leaves_the_ring_finger_out_of_reach(wearable_episodes: list[EpisodeData]) -> None:
    """With every tip placed from the knuckle centre, the human ring finger's position lies between the
    Allegro's middle and third fingers: the third finger cannot get there and the verdict names it."""
    registry = Registry()
    rep = hand_to_dexterous(
        wearable_episodes[0], registry.get("human_hand_21"), registry.get("allegro_hand_right"), anchor="palm"
    ).report
    assert rep.fingertip_error_mm["ring"]["median"] > 15.0 > rep.fingertip_error_mm["index"]["median"]
    assert rep.verdict == "infeasible" and any("ring" in r for r in rep.reasons)


def test_allegro_fingers_through_each_other_count_as_collisions(wearable_episodes: list[EpisodeData]) -> None:
    """The thumb touching the index finger is the grasp where the targets pinch, and a collision where they do
    not."""
    from robofuel.embodiment.hand_dexterous import _collisions
    from robofuel.embodiment.hand_targets import pinch_weights

    registry = Registry()
    kin = hand_kinematics(registry.get("allegro_hand_right"))
    res = hand_to_dexterous(wearable_episodes[0], registry.get("human_hand_21"), registry.get("allegro_hand_right"))
    hits, checked, _ = _collisions(kin, res.solution.theta, res.targets, res.report.scale)
    assert hits == 0 and checked == len(res.targets)
    apart = res.targets.copy()
    apart[:, 0] += np.array([0.0, 0.0, -0.2])  # the thumb's targets far from every finger: no pinch anywhere
    hits, _, _ = _collisions(kin, res.solution.theta, apart, res.report.scale)
    assert hits > 10  # the frames where the solved thumb touches the index finger
    assert pinch_weights(np.array([0.0, 0.025, 0.0375, 0.05, 0.2])).tolist() == pytest.approx([1, 1, 0.5, 0, 0])


def _without_thumb_cmc(data: EpisodeData) -> EpisodeData:
    """The episode as a tracker without a thumb CMC keypoint gives it (Project Aria's hand model)."""
    from dataclasses import replace

    from robofuel.standard import NumericData

    stream = next(s for s in data.meta.streams if s.role == "hand_keypoints")
    keep = [i for i, c in enumerate(stream.columns) if not c.startswith("thumb_cmc")]
    payload = data.numeric(stream.name)
    cut = stream.model_copy(update={"columns": [stream.columns[i] for i in keep]})
    streams = [cut if s.name == stream.name else s for s in data.meta.streams]
    payloads = {**data.payloads, stream.name: NumericData(payload.timestamps_ns, payload.values[:, keep])}
    return replace(data, meta=data.meta.model_copy(update={"streams": streams}), payloads=payloads)


def test_a_hand_without_a_thumb_cmc_retargets(wearable_episodes: list[EpisodeData]) -> None:
    """Aria hand tracking has no thumb CMC: the arm follows the same wrist and pinch (which do not use it), and the
    Allegro still follows every fingertip (the thumb's length taken from its MCP)."""
    registry = Registry()
    data = wearable_episodes[0]
    cut = _without_thumb_cmc(data)
    assert not any(c.startswith("thumb_cmc") for s in cut.meta.streams for c in s.columns)
    full = hand_to_arm(data, registry.get("human_hand_21"), registry.get("ur5"))
    part = hand_to_arm(cut, registry.get("human_hand_21"), registry.get("ur5"))
    np.testing.assert_array_equal(full.result.ik.theta, part.result.ik.theta)
    np.testing.assert_array_equal(full.result.aperture_m, part.result.aperture_m)
    res = hand_to_dexterous(cut, registry.get("human_hand_21"), registry.get("allegro_hand_right"))
    assert res.report.reachable_fraction >= 0.97 and res.report.joint_limit_violations == 0
