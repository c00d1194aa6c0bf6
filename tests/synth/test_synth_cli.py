"""The `robofuel synth` command: the contract's JSON shape, usage errors, `ls --json` rows and `stats` with
synthetic episodes, a release that says how many of its episodes are synthetic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from robofuel.context import Workspace


def test_synth_json_ls_stats_and_release(teleop_ws: Workspace, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROBOFUEL_CATALOG", raising=False)
    lake = teleop_ws.lake.root
    done = cli("synth", "--from", "task = pick_place.cube", "--n", "2", "--no-sim", "--lake", lake, "--json")
    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert isinstance(report["generated"], int) and isinstance(report["kept"], int)
    assert isinstance(report["success_rate"], float) and report["generated"] == 4 and report["kept"] == 4
    rows = json.loads(cli("ls", "--lake", lake, "--json").out)["episodes"]
    assert sorted(r["synthetic"] for r in rows) == [False, False, True, True, True, True]
    listed = json.loads(cli("ls", "--lake", lake, "--where", "synthetic = true", "--json").out)["episodes"]
    assert sorted(r["id"] for r in listed) == sorted(report["episodes"])
    (group,) = json.loads(cli("stats", "--by", "task", "--lake", lake, "--json").out)["groups"]
    assert group["episodes"] == 2 and group["synthetic_episodes"] == 4
    made = cli("release", "create", "mixed", "--format", "mcap", "--purpose", "internal", "--all",
               "--no-redaction", "--lake", lake, "--json")  # fmt: skip
    assert made.code == 0, made.err
    assert json.loads(made.out)["synthetic_episodes"] == 4
    manifest = json.loads((teleop_ws.lake.local_path("releases/mixed") / "release.json").read_text())
    assert manifest["synthetic_episodes"] == 4 and len(manifest["episodes"]) == 6
    assert {e["id"] for e in manifest["episodes"] if e["synthetic"]} == set(report["episodes"])
    card = (teleop_ws.lake.local_path("releases/mixed") / "DATACARD.md").read_text()
    assert "Synthetic: 4 of 6 episodes were generated" in card


def test_usage_errors_exit_2(teleop_ws: Workspace, cli: Any) -> None:
    lake = teleop_ws.lake.root
    bad = cli("synth", "--vary", "colour", "--lake", lake)
    assert bad.code == 2 and "object_pose" in bad.err
    assert cli("synth", "--embodiment", "no_such_robot", "--lake", lake).code == 2
    assert cli("synth", "--render", "big", "--lake", lake).code == 2
    assert cli("synth", "--from", "nonsense ~", "--lake", lake).code == 2
    unknown = cli("synth", "--from", "bogus = 1", "--lake", lake)  # the message names the flag the user gave
    assert unknown.code == 2 and "--from: unknown field 'bogus'" in unknown.err and "--where" not in unknown.err


def test_human_output_names_what_was_dropped_and_unchecked(teleop_ws: Workspace, cli: Any) -> None:
    lake = teleop_ws.lake.root
    done = cli("synth", "--n", "1", "--no-sim", "--lake", lake)
    assert done.code == 0 and "2 candidates from 2 source episodes: 2 kept" in done.out
    assert "kept unchecked: not simulated: --no-sim" in done.out
    nothing = cli("synth", "--from", "task = nothing", "--lake", lake)
    assert nothing.code == 0 and "no real episode matched --from" in nothing.out
