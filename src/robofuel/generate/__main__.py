"""``python -m robofuel.generate OUT [--n N] [--seed S]``: write a sample suite (recordings and ground truth)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from robofuel.generate.suite import generate_suite


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m robofuel.generate", description=__doc__)
    parser.add_argument("out", type=Path, help="output folder (recordings/ and truth/ are created in it)")
    parser.add_argument("--n", type=int, default=20, help="number of recordings (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="suite seed (default 0)")
    args = parser.parse_args(argv)
    for rec in generate_suite(args.out, args.n, args.seed):
        faults = ",".join(f"{f.kind}@{f.stream or 'file'}" for f in rec.faults) or "-"
        print(f"{rec.kind}\t{rec.path}\t{faults}")


if __name__ == "__main__":
    main()
