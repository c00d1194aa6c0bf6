"""Export throughput to LeRobot v3.0: robofuel's zero-transcode path, robofuel re-encoding, and the LeRobot library
writing the same episodes through its own API (``add_frame`` / ``save_episode``) in the same run.

    .venv/bin/python benchmarks/bench_export.py [--n 6] [--repeat 3] [--lerobot .tmp/lerobot-venv]

Input: ``--n`` generated teleop episodes (~10 s each: a 30 fps H.264 front camera and a 15 fps JPEG wrist
camera, 320x240 and 160x120), ingested into a lake. The LeRobot run is given the frames robofuel's export
decodes at the same frame times (prepared untimed), so both write the same content; LeRobot encodes with its
default (libsvtav1). Figures: recorded seconds exported per wall second (one process; robofuel's encoder may use
both cores, as may LeRobot's), MB/s of output, output size. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from video_quality import decoded, encode, psnr, rate_quality, size_at_quality

from robofuel.catalog import Catalog
from robofuel.executor import ExecutorSpec
from robofuel.export import ExportOptions, get_exporter
from robofuel.export.lerobot_features import plan_features
from robofuel.export.lerobot_parallel import export_parallel
from robofuel.export.timeline import choose_timeline, reference_times
from robofuel.generate import generate_teleop
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake, load_episode
from robofuel.resample import nearest_index, resample
from robofuel.standard import EpisodeData, NumericData, VideoData
from robofuel.video import rgb_frames

REPO = Path(__file__).resolve().parents[1]


def make_lake(work: Path, n: int) -> tuple[Lake, list[str]]:
    files = [generate_teleop(work / "gen", f"t{i}", seed=200 + i).path for i in range(n)]
    lake = Lake(work / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    ids = catalog.episode_ids()
    catalog.close()
    return lake, ids


def robofuel_export(lake: Lake, ids: list[str], out: Path, codec: str | None, workers: int = 1) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    if workers > 1:
        spec = ExecutorSpec("local", workers)
        report = export_parallel(lake, ids, out, ExportOptions(video_codec=codec), spec)
    else:
        episodes = (load_episode(lake, i) for i in ids)
        report = get_exporter("lerobot").export(episodes, out, ExportOptions(video_codec=codec))
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "recorded_s": report.seconds, "bytes": report.bytes, "frames": report.frames}


def _frames_at(ep: EpisodeData, name: str, t_ns: np.ndarray) -> np.ndarray:
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    picks = nearest_index(reference_times(ep.meta.stream(name), video), t_ns)
    frames = list(rgb_frames(video, ep.meta.stream(name).pixel_format))
    return np.stack([frames[i] for i in picks])


def prepare_lerobot_input(lake: Lake, ids: list[str], folder: Path) -> None:
    """Per episode, the frames and state robofuel exports (same frame times), for LeRobot's add_frame."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, episode_id in enumerate(ids):
        ep = load_episode(lake, episode_id)
        features, _ = plan_features(ep.meta)
        state = next(f for f in features if f.key == "observation.state")
        names = [n for f in features for n in f.streams]
        tl = choose_timeline(ep, names, None, {"camera.front.video"})
        blocks = []
        for part in state.parts:
            stream, data = ep.meta.stream(part.stream), ep.payloads[part.stream]
            assert isinstance(data, NumericData)
            blocks.append(resample(data, stream, tl.t_ns)[:, list(part.columns)])
        np.savez(
            folder / f"episode_{k:03d}.npz",
            state=np.hstack(blocks).astype(np.float32),
            front=_frames_at(ep, "camera.front.video", tl.t_ns),
            wrist=_frames_at(ep, "camera.wrist.image.compressed", tl.t_ns),
            fps=tl.fps,
            task=ep.meta.task.instruction or "",
        )


def lerobot_write(venv: Path, frames: Path, out: Path) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    script = REPO / "benchmarks" / "lerobot_write.py"
    done = subprocess.run(
        [str(venv / "bin/python"), str(script), str(frames), str(out)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def quality(work: Path, ids: list[str]) -> dict[str, object]:
    """Per camera: LeRobot's video (size, PSNR) and robofuel's encoder on the same frames: its default, and the
    size it needs for LeRobot's PSNR (a CRF sweep, interpolated)."""
    files = sorted((work / "frames").glob("episode_*.npz"))
    result: dict[str, object] = {}
    for cam in ("front", "wrist"):
        frames = [np.load(f)[cam] for f in files]
        fps = float(np.load(files[0])["fps"])
        source = np.concatenate(frames)
        theirs = sorted((work / "lerobot" / "videos" / f"observation.images.{cam}").rglob("*.mp4"))
        lerobot = {
            "bytes": sum(p.stat().st_size for p in theirs),
            "psnr": psnr(np.concatenate([decoded(p) for p in theirs]), source),
        }
        default = encode(frames, fps, work / f"default-{cam}.mp4", "libx264", None)
        mine = {"bytes": default.stat().st_size, "psnr": psnr(decoded(default), source)}
        sweep = rate_quality(frames, fps, work, [14, 17, 20, 23, 26, 29, 32])
        at = size_at_quality(sweep, lerobot["psnr"])
        at_g2 = size_at_quality(rate_quality(frames, fps, work, [14, 17, 20, 23, 26, 29, 32], gop=2), lerobot["psnr"])
        result[cam] = {
            "lerobot": {"mb": round(lerobot["bytes"] / 1e6, 3), "psnr_db": round(lerobot["psnr"], 2)},
            "robofuel_default": {"mb": round(mine["bytes"] / 1e6, 3), "psnr_db": round(mine["psnr"], 2)},
            "robofuel_sweep": [
                {"crf": p["crf"], "mb": round(p["bytes"] / 1e6, 3), "psnr_db": round(p["psnr"], 2)} for p in sweep
            ],
            "robofuel_size_at_lerobot_psnr_ratio": None if at is None else round(at / lerobot["bytes"], 3),
            "robofuel_g2_size_at_lerobot_psnr_ratio": None if at_g2 is None else round(at_g2 / lerobot["bytes"], 3),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="also the zero-transcode path with this many workers")
    parser.add_argument("--lerobot", type=Path, default=REPO / ".tmp" / "lerobot-venv")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="robofuel-bench-export-"))
    lake, ids = make_lake(work, args.n)
    has_lerobot = (args.lerobot / "bin/python").exists()
    if has_lerobot:
        prepare_lerobot_input(lake, ids, work / "frames")
    runs: dict[str, list[dict[str, float]]] = {"copy": [], "copy_parallel": [], "reencode": [], "lerobot": []}
    for _ in range(args.repeat):
        runs["copy"].append(robofuel_export(lake, ids, work / "copy", None))
        if args.workers > 1:
            runs["copy_parallel"].append(robofuel_export(lake, ids, work / "copy_parallel", None, args.workers))
        runs["reencode"].append(robofuel_export(lake, ids, work / "reencode", "libx264"))
        if has_lerobot:
            runs["lerobot"].append(lerobot_write(args.lerobot, work / "frames", work / "lerobot"))
        print(json.dumps({k: v[-1] for k, v in runs.items() if v}))
    recorded = runs["copy"][0]["recorded_s"]
    summary: dict[str, object] = {"episodes": len(ids), "recorded_s": round(recorded, 1)}
    for name, results in runs.items():
        if not results:
            continue
        seconds = statistics.median(r["seconds"] for r in results)
        size = statistics.median(r["bytes"] for r in results)
        summary[name] = {
            "wall_s": round(seconds, 2),
            "recorded_s_per_wall_s": round(recorded / seconds, 1),
            "mb_s": round(size / 1e6 / seconds, 2),
            "output_mb": round(size / 1e6, 2),
        }
    if runs["lerobot"]:
        lerobot_s = statistics.median(r["seconds"] for r in runs["lerobot"])
        summary["copy_speedup_vs_lerobot"] = round(lerobot_s / statistics.median(r["seconds"] for r in runs["copy"]), 1)
        if runs["copy_parallel"]:
            parallel_s = statistics.median(r["seconds"] for r in runs["copy_parallel"])
            summary["copy_parallel_speedup_vs_lerobot"] = round(lerobot_s / parallel_s, 1)
        summary["reencode_speedup_vs_lerobot"] = round(
            lerobot_s / statistics.median(r["seconds"] for r in runs["reencode"]), 1
        )
    if runs["lerobot"]:
        summary["video_size_at_equal_quality"] = quality(work, ids)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
