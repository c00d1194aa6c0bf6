"""The real Unitree G1 LeRobot v2.1 subset (../shared/data, section (d)), whose episode 0 has no camera file: a
LeRobot release or export writes the other episodes, and says which episode was left out, why, and what to do;
the serial and the parallel writers agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

#: Episode 0 (15.9 s, its video absent from the source) and episode 1 (11.4 s, the shortest to re-encode).
WHERE = ("--where", "duration_s < 12 or duration_s > 15")


def _lake(cli: Any, shared_data: Path, tmp_path: Path) -> tuple[str, str]:
    """A lake holding the G1 subset (open release, MIT) and the id of its episode without a camera."""
    lake = str(tmp_path / "lake")
    rights = ("--set", "consent=open-release", "--set", "license=MIT")
    assert cli("ingest", str(shared_data / "lerobot_v21_unitree_g1"), *rights, "--lake", lake).code == 0
    episodes = json.loads(cli("ls", "--lake", lake, "--json").out)["episodes"]
    (no_camera,) = [e["id"] for e in episodes if e["duration_s"] > 15]
    return lake, no_camera


def test_g1_release_names_the_episode_left_out_and_what_to_do(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    lake, no_camera = _lake(cli, shared_data, tmp_path)
    args = ("--format", "lerobot", "--purpose", "open-release", *WHERE, "--no-redaction", "--lake", lake, "--json")
    result = cli("release", "create", "g1", *args)
    assert result.code == 0, result.err
    manifest = json.loads((Path(result.json()["path"]) / "release.json").read_text())
    assert len(manifest["episodes"]) == 1 and no_camera not in {e["id"] for e in manifest["episodes"]}
    ((why, n),) = manifest["left_out"].items()
    assert n == 1 and "could not write" not in why
    assert no_camera in why and "it has no observation.images.cam_high" in why  # which episode, what is wrong
    assert f'--where "id = {no_camera}"' in why and "ingest again" in why  # what to do


def test_g1_serial_and_parallel_exports_agree(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    lake, no_camera = _lake(cli, shared_data, tmp_path)
    reports = {}
    for name, extra in (("serial", ()), ("parallel", ("--workers", "2"))):
        out = tmp_path / name
        result = cli("export", "--lake", lake, "--format", "lerobot", "--out", str(out), *WHERE, *extra, "--json")
        assert result.code == 0, result.err
        reports[name] = result.json()
    serial, parallel = reports["serial"], reports["parallel"]
    assert serial["omitted"] == parallel["omitted"] and [k.split(":")[0] for k in serial["omitted"]] == [no_camera]
    assert (serial["episodes"], serial["frames"]) == (parallel["episodes"], parallel["frames"]) == (1, 343)
    info = [json.loads((tmp_path / n / "meta/info.json").read_text()) for n in ("serial", "parallel")]
    assert info[0] == info[1]
    data = "data/chunk-000/file-000.parquet"
    assert pq.read_table(tmp_path / "serial" / data).equals(pq.read_table(tmp_path / "parallel" / data))
