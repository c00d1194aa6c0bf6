"""``python -m robofuel.generate OUT [--n N] [--seed S]``: write a sample suite."""

from __future__ import annotations

import argparse
from pathlib import Path

from robofuel.generate import generate_suite


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m robofuel.generate", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for rec in generate_suite(args.out, args.n, args.seed):
        print(rec.kind, rec.path, ",".join(f.kind for f in rec.faults))


main()
