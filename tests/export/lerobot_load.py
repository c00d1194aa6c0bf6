"""Run inside the real LeRobot environment: load an exported dataset and dump what LeRobot serves.

    LEROBOT_VENV/bin/python tests/export/lerobot_load.py DATASET OUT.npz CAMERA

Loads with ``LeRobotDataset`` (default video backend), iterates every frame through a torch DataLoader with
``delta_timestamps`` (the state one frame back and now, the camera now), and saves per frame: index, episode,
the state now and one frame back, and the per-channel mean of the camera image (0..1), plus the number of frames
in the dataset and the first episode's sub-task names as LeRobot's episode metadata gives them.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def main(root: str, out: str, camera: str) -> None:
    probe = LeRobotDataset(repo_id="robofuel/export", root=root)
    dt = 1.0 / probe.fps
    ds = LeRobotDataset(
        repo_id="robofuel/export",
        root=root,
        delta_timestamps={"observation.state": [-dt, 0.0], camera: [0.0]},
    )
    loader = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=0, shuffle=False)
    index, episode, state, state_prev, image = [], [], [], [], []
    for batch in loader:
        index.append(batch["index"].numpy())
        episode.append(batch["episode_index"].numpy())
        state.append(batch["observation.state"][:, 1].numpy())
        state_prev.append(batch["observation.state"][:, 0].numpy())
        frames = batch[camera].numpy().astype(np.float32)  # (B, 1, C, H, W) with delta_timestamps
        image.append(frames.reshape(len(frames), -1, *frames.shape[-2:]).mean(axis=(2, 3)))
    episodes = ds.meta.episodes
    subtasks = episodes["subtask_names"][0] if "subtask_names" in episodes.column_names else []
    np.savez(
        out,
        subtasks=np.array(subtasks, dtype=str),
        index=np.concatenate(index),
        episode=np.concatenate(episode),
        state=np.concatenate(state),
        state_prev=np.concatenate(state_prev),
        image=np.concatenate(image),
        num_frames=ds.num_frames,
        fps=ds.fps,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
