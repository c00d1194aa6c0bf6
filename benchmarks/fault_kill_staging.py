"""Kill `robofuel ingest` and `robofuel process` with SIGKILL at many moments; after each kill check what the lake
holds: staging folders left behind, what `robofuel validate` says about them, and that the next run of the same
command removes them and ends with a valid lake identical (episode ids and content hashes) to an unkilled one.

    PYTHONPATH=src python benchmarks/fault_kill_staging.py --n 4 --kills 10

Prints one JSON line per kill and a final summary line.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROBOFUEL = [sys.executable, "-m", "robofuel"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ROBOFUEL, *args], capture_output=True, text=True, timeout=900, check=False)


def _killed(args: list[str], after_s: float) -> int:
    proc = subprocess.Popen([*ROBOFUEL, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after_s)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


def _state(lake: Path) -> dict[str, Any]:
    if not lake.exists():  # killed before it made the lake
        return {"staging": 0, "warned": 0, "named": 0, "validate_rc": None}
    staging = lake / "staging"
    folders = [p.name for p in staging.iterdir() if p.is_dir()] if staging.is_dir() else []
    v = _run("validate", str(lake), "--json")
    report = json.loads(v.stdout) if v.returncode in (0, 1) and v.stdout else {}
    warnings = report.get("warnings", [])
    named = sum(any(f in w for w in warnings) for f in folders)
    problems = [p for ps in report.get("problems", {}).values() for p in ps][:2]
    return {"staging": len(folders), "warned": len(warnings), "named": named, "validate_rc": v.returncode} | (
        {"problems": problems} if problems else {}
    )


def _episodes(lake: Path) -> dict[str, str]:
    rows = json.loads(_run("ls", "--lake", str(lake), "--json").stdout)["episodes"]
    return {r["id"]: r["verdict"] for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=4, help="generated recordings")
    ap.add_argument("--kills", type=int, default=10, help="kills per command")
    args = ap.parse_args()
    from robofuel.generate import generate_suite

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_suite(root, n=args.n, seed=7)
        recs = str(root / "recordings")
        reference = root / "reference"
        t0 = time.perf_counter()
        assert _run("ingest", recs, "--lake", str(reference)).returncode == 0
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        assert _run("process", "--lake", str(reference)).returncode == 0
        process_s = time.perf_counter() - t0
        lake = root / "lake"
        tried = survived = 0
        for command, total_s in (("ingest", ingest_s), ("process", process_s)):
            cmd = ["ingest", recs, "--lake", str(lake)] if command == "ingest" else ["process", "--lake", str(lake)]
            for k in range(args.kills):
                after = total_s * (k + 0.5) / args.kills
                rc = _killed(cmd, after)
                state = _state(lake)
                ok = state["named"] == state["staging"] and state["validate_rc"] in (0, None)
                tried, survived = tried + 1, survived + ok
                print(json.dumps({"command": command, "kill_after_s": round(after, 2), "rc": rc, **state, "ok": ok}))
            assert _run(*cmd).returncode == 0  # the re-run of the same command finishes the work
            left = _state(lake)
            print(json.dumps({"command": command, "rerun": True, **left}))
        same = _episodes(lake) == _episodes(reference)
        print(json.dumps({"kills": tried, "states_as_expected": survived, "final_staging": left["staging"],
                          "final_warnings": left["warned"], "same_episodes_as_unkilled": same}))  # fmt: skip


if __name__ == "__main__":
    main()
