"""Load an RLDS export with tensorflow-datasets and dump what it serves (run by the tfds venv's Python).

usage: rlds_load.py VERSION_DIR OUT.npz

For every episode of the train split: the step fields, stacked (``<episode>/<field>``, e.g. ``0/observation/state``),
the language instructions and the episode ids; images decoded by TensorFlow.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import tensorflow_datasets as tfds


def _flat(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict):
        return {k: v for key, child in node.items() for k, v in _flat(child, f"{prefix}/{key}").items()}
    return {prefix: node}


def main(version_dir: str, out: str) -> None:
    builder = tfds.builder_from_directory(version_dir)
    arrays: dict[str, Any] = {}
    for i, episode in enumerate(tfds.as_numpy(builder.as_dataset(split="train"))):
        steps = list(episode["steps"])
        for key in _flat(steps[0], str(i)):
            parts = key.split("/")[1:]
            values = []
            for step in steps:
                node = step
                for p in parts:
                    node = node[p]
                values.append(node)
            arrays[key] = np.stack(values) if not isinstance(values[0], bytes) else np.array(values, dtype=object)
        arrays[f"{i}/episode_id"] = np.array(episode["episode_metadata"]["episode_id"], dtype=object)
    np.savez(out, allow_pickle=True, **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
