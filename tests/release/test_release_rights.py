"""Consent and licence decide what a release takes: episodes whose consent does not cover the purpose (or whose
licence the purpose forbids) are left out and counted; licences that cannot be mixed refuse the release."""

from __future__ import annotations

import json
from typing import Any

import pytest

from release.conftest import ReleaseLake
from robofuel.errors import InputError
from robofuel.release.licenses import check_mix, conflict, purpose_refuses
from robofuel.standard.rights import covers, parse_consent


def test_consent_is_stored_shown_and_queryable(release_lake: ReleaseLake, cli: Any) -> None:
    shown = cli("show", release_lake.ids[2], "--lake", release_lake.path, "--json").json()
    assert shown["consent"] == ["commercial", "open-release"] and shown["license"] == "CC0-1.0"
    listed = cli("ls", "--lake", release_lake.path, "--where", "consent ~ '*commercial*'", "--json").json()
    assert [e["id"] for e in listed["episodes"]] == [release_lake.ids[2]]
    listed = cli("ls", "--lake", release_lake.path, "--where", "license = CC-BY-4.0", "--json").json()
    assert [e["id"] for e in listed["episodes"]] == release_lake.ids[:2]


def test_consent_values() -> None:
    assert parse_consent("open-release, internal") == ["internal", "open-release"]
    assert parse_consent("yes") is True and parse_consent(["commercial"]) == ["commercial"]
    assert covers(True, "internal") and not covers(True, "commercial")
    assert covers(["open-release"], "internal") and not covers(["open-release"], "commercial")
    with pytest.raises(ValueError, match="purposes: internal, commercial, open-release"):
        parse_consent("research")


def test_an_unknown_consent_purpose_is_refused_on_ingest(tmp_path: Any, cli: Any) -> None:
    result = cli("ingest", str(tmp_path), "--lake", str(tmp_path / "lake"), "--set", "consent=reserch")
    assert result.code == 2 and "reserch" in result.err


def test_a_commercial_release_keeps_only_episodes_consented_and_licensed_for_it(
    release_lake: ReleaseLake, cli: Any
) -> None:
    result = cli(
        "release", "create", "sale", "--format", "mcap", "--purpose", "commercial", "--all", "--no-redaction",
        "--lake", release_lake.path, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    made = result.json()
    assert made["episodes"] == 1 and made["license"] == "CC0-1.0"
    assert made["left_out"] == {"consent does not cover commercial": 3}
    assert "consent does not cover commercial: 3" in (
        open(f"{made['path']}/DATACARD.md").read().replace("- ", "")  # noqa: SIM115
    )


def test_incompatible_licences_refuse_the_release(release_lake: ReleaseLake, cli: Any, tmp_path: Any) -> None:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

    lake = Lake(release_lake.path)
    catalog = Catalog(lake.default_catalog_url)
    meta = lake.read_meta(release_lake.ids[0]).model_copy(update={"license": "ODbL-1.0"})
    lake.write_meta(meta)
    catalog.update_episodes([meta])
    try:
        where = f"id in {release_lake.ids[0]},{release_lake.ids[3]}"
        result = cli(
            "release", "create", "mixed", "--format", "mcap", "--purpose", "open-release", "--no-redaction",
            "--where", where, "--lake", release_lake.path,
        )  # fmt: skip
        assert result.code == 2
        assert "incompatible licences (CC-BY-SA-4.0 1, ODbL-1.0 1)" in result.err and "share-alike" in result.err
        assert not (lake.local_path("releases") / "mixed").exists()
    finally:
        original = meta.model_copy(update={"license": "CC-BY-4.0"})
        lake.write_meta(original)
        catalog.update_episodes([original])
        catalog.close()
    assert json.dumps(conflict(["CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0"])) == "null"


def test_the_licence_table() -> None:
    assert conflict(["CC-BY-4.0", "MIT", "CC0-1.0"]) is None
    assert conflict(["CC-BY-ND-4.0", "CC0-1.0"]) and conflict(["proprietary", "CC-BY-4.0"])
    assert conflict(["CC-BY-SA-4.0", "CC-BY-NC-4.0"]) and conflict(["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"]) is None
    assert purpose_refuses("CC-BY-NC-4.0", "commercial") == "licence CC-BY-NC-4.0 forbids commercial use"
    assert purpose_refuses("proprietary", "open-release") and purpose_refuses("proprietary", "commercial") is None
    assert purpose_refuses(None, "internal") is None and purpose_refuses(None, "open-release")
    with pytest.raises(InputError, match=r'--where "license = ODbL-1\.0"'):
        check_mix({"ODbL-1.0": 3, "CC-BY-SA-4.0": 1})


def test_rights_reach_each_formats_metadata_helpers(release_lake: ReleaseLake) -> None:
    from robofuel.export.base import dataset_rights, rights
    from robofuel.export.hdf5_common import episode_attrs
    from robofuel.export.mcap import session_record
    from robofuel.export.report import ExportReport
    from robofuel.lake import Lake

    metas = [Lake(release_lake.path).read_meta(i) for i in release_lake.ids]
    assert rights(metas[2]) == {"license": "CC0-1.0", "consent": "commercial,open-release"}
    assert episode_attrs(metas[0])["license"] == "CC-BY-4.0" and episode_attrs(metas[0])["consent"] == "open-release"
    assert session_record(metas[1])["consent"] == "internal"  # read back by the MCAP reader
    report = ExportReport("x", "out", rights=[rights(m) for m in metas])
    assert dataset_rights(report) == {"license": "CC-BY-4.0,CC-BY-SA-4.0,CC0-1.0", "consent": "internal"}
    assert dataset_rights(ExportReport("x", "out", rights=[{}])) == {}
