"""A release's round trip: create, list, verify, one byte changed (verify fails naming the file), diff; a changed
manifest fails the signature; a name is never reused; the Croissant metadata passes mlcroissant."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from release.conftest import ReleaseLake


def _create(cli: Any, lake: ReleaseLake, name: str, *args: str) -> Any:
    # --no-redaction: the privacy step's face search on every frame is measured and tested in tests/steps
    result = cli(
        "release", "create", name, "--format", "lerobot", "--no-redaction", "--lake", lake.path, "--json", *args
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.json()


def test_round_trip_create_verify_tamper_diff(release_lake: ReleaseLake, cli: Any) -> None:
    lake = release_lake
    made = _create(cli, lake, "rt-v1", "--purpose", "internal", "--all", "--where", f"id != {lake.ids[3]}")
    assert made["episodes"] == 3 and made["license"] == "CC-BY-4.0 AND CC0-1.0"
    folder = Path(made["path"])
    listed = cli("release", "list", "--lake", lake.path, "--json").json()["releases"]
    assert {"name": "rt-v1", "path": str(folder), "episodes": 3}.items() <= next(
        r for r in listed if r["name"] == "rt-v1"
    ).items()
    manifest = json.loads((folder / "release.json").read_text())
    assert set(manifest["files"]) >= {"DATACARD.md", "croissant.json", "episodes.csv", "public_key.pem"}
    assert all(len(sha) == 64 for sha in manifest["files"].values())
    info = json.loads((folder / "data/meta/info.json").read_text())
    assert info["license"] == "CC-BY-4.0,CC0-1.0" and info["consent"] == "internal"  # rights reach the format
    assert cli("release", "verify", "rt-v1", "--lake", lake.path).code == 0

    data = folder / "data/data/chunk-000/file-000.parquet"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    data.chmod(stat.S_IWUSR | stat.S_IRUSR)
    data.write_bytes(bytes(raw))
    failed = cli("release", "verify", "rt-v1", "--lake", lake.path, "--json")
    assert failed.code == 1
    assert failed.json()["copies"][0]["changed"] == ["data/data/chunk-000/file-000.parquet"]

    _create(cli, lake, "rt-v2", "--purpose", "open-release", "--all")
    diff = cli("release", "diff", "rt-v1", "rt-v2", "--lake", lake.path, "--json").json()
    assert diff["episodes"]["added"] == [lake.ids[3]]
    assert diff["episodes"]["removed"] == [lake.ids[1]]  # internal-only consent
    assert diff["settings"]["purpose"] == ["internal", "open-release"]
    assert "data/data/chunk-000/file-000.parquet" in diff["files"]["changed"]


def test_a_changed_manifest_fails_the_signature(release_lake: ReleaseLake, cli: Any) -> None:
    folder = Path(_create(cli, release_lake, "sig", "--purpose", "internal", "--all")["path"])
    manifest = json.loads((folder / "release.json").read_text())
    manifest["license"] = "CC0-1.0"  # every file still matches its checksum: only the signature can tell
    (folder / "release.json").chmod(stat.S_IWUSR | stat.S_IRUSR)
    (folder / "release.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    result = cli("release", "verify", "sig", "--lake", release_lake.path, "--json")
    assert result.code == 1
    copy = result.json()["copies"][0]
    assert copy["signature"] == "invalid" and not copy["changed"] and not copy["missing"]


def test_a_release_is_immutable_and_keys_stay_private(release_lake: ReleaseLake, cli: Any) -> None:
    folder = Path(_create(cli, release_lake, "frozen", "--purpose", "internal", "--all")["path"])
    before = (folder / "release.json").read_bytes()
    again = cli(
        "release", "create", "frozen", "--format", "mcap", "--purpose", "internal", "--no-redaction",
        "--lake", release_lake.path,
    )  # fmt: skip
    assert again.code == 2 and "immutable" in again.err
    assert (folder / "release.json").read_bytes() == before
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in folder.rglob("*") if p.is_file())
    keys = Path(release_lake.path) / "keys"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys.iterdir())
    assert not any(p.name.endswith(".pem") and "PRIVATE" in p.read_text() for p in folder.rglob("*.pem"))


def test_croissant_passes_mlcroissant_with_the_rai_fields(release_lake: ReleaseLake, cli: Any) -> None:
    mlc = pytest.importorskip("mlcroissant")
    folder = Path(_create(cli, release_lake, "croissant", "--purpose", "open-release", "--all")["path"])
    doc = json.loads((folder / "croissant.json").read_text())
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    for field in ("rai:dataCollection", "rai:dataAnnotationProtocol", "rai:personalSensitiveInformation"):
        assert doc[field]
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")
    assert not dataset.metadata.ctx.issues.errors
    records = list(dataset.records("episodes"))
    assert sorted(r["episodes/id"].decode() for r in records) == sorted(
        e["id"] for e in json.loads((folder / "release.json").read_text())["episodes"]
    )
    card = (folder / "DATACARD.md").read_text()
    assert "## Composition" in card and "pick_place" in card and "No privacy redaction" in card
