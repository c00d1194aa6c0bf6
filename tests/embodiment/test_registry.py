"""The embodiment registry: built-ins offline, user registration from a URDF, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from robofuel.embodiment import KINDS, Registry
from robofuel.embodiment.registry import builtins, from_dict, to_dict
from robofuel.errors import InputError

ERD_ARMS = ("franka_panda", "ur5", "xarm7", "so101", "kinova_j2s6s200")


def test_builtins_listed_and_available_offline() -> None:
    found = Registry().all()
    for eid in (*ERD_ARMS, "allegro_hand_right", "unitree_g1", "human_hand_21", "kuka_iiwa", "xarm6"):
        assert eid in found
    for eid in (*ERD_ARMS, "allegro_hand_right", "unitree_g1"):
        assert found[eid].available(), eid
        assert found[eid].model_path().is_file()
    assert {e.kind for e in found.values()} <= set(KINDS)
    assert found["unitree_g1"].kind == "humanoid" and [a.name for a in found["unitree_g1"].arms] == ["left", "right"]
    assert not found["human_hand_21"].has_model


def test_record_round_trip() -> None:
    for e in builtins().values():
        assert from_dict(json.loads(json.dumps(to_dict(e)))) == e


def test_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="franka_panda"):
        Registry().get("nope")


def test_user_embodiment_from_urdf(cli: Any, tmp_path: Path) -> None:
    urdf = Registry().get("ur5").model_path()
    lake = str(tmp_path / "lake")
    r = cli("embodiment", "add", "--urdf", str(urdf), "--id", "my_ur5", "--ee", "tool0", "--lake", lake, "--json")
    assert r.code == 0, r.err
    assert r.json()["arms"][0]["joints"][0] == "shoulder_pan_joint" and len(r.json()["arms"][0]["joints"]) == 6
    listed = cli("embodiment", "list", "--lake", lake, "--json").json()["embodiments"]
    mine = next(e for e in listed if e["id"] == "my_ur5")
    assert mine["source"] == "user" and mine["available"] is True
    shown = cli("embodiment", "show", "my_ur5", "--lake", lake, "--json").json()
    assert len(shown["joint_limits"]) == 6 and shown["joint_limits"][2]["upper"] == pytest.approx(3.14159265359)
    again = cli("embodiment", "add", "--urdf", str(urdf), "--id", "my_ur5", "--ee", "tool0", "--lake", lake)
    assert again.code == 2 and "exists" in again.err
    bad = cli("embodiment", "add", "--urdf", str(urdf), "--id", "x", "--ee", "no_such_link", "--lake", lake)
    assert bad.code == 2


def test_cli_list_json_shape(cli: Any, tmp_path: Path) -> None:
    r = cli("embodiment", "list", "--lake", str(tmp_path / "none"), "--json")
    assert r.code == 0, r.err
    rows = r.json()["embodiments"]
    assert {"id", "kind", "available"} <= set(rows[0])
    assert any(e["id"] == "ur5" for e in rows)


def test_names_datasets_use_resolve_to_registry_ids() -> None:
    from robofuel.embodiment import Registry
    from robofuel.embodiment.registry import builtins, resolve

    assert resolve("panda", builtins()) == "franka_panda" == resolve("Franka", builtins())
    assert resolve("Unitree_G1_Inspire", builtins()) == "unitree_g1"
    assert resolve("so101_follower", builtins()) == "so101" and resolve("my_arm", builtins()) is None
    assert Registry().get("iiwa").id == "kuka_iiwa"
