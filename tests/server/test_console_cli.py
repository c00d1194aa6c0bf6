"""``robofuel users add|list`` and ``tokens create``: passwords from the environment or a prompt, clear refusals."""

from __future__ import annotations

import getpass
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from console_site import Template


@pytest.fixture
def lake(console_template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("ROBOFUEL_CATALOG", raising=False)
    monkeypatch.delenv("ROBOFUEL_PASSWORD", raising=False)
    shutil.copytree(console_template.lake, tmp_path / "lake")
    return str(tmp_path / "lake")


def _users(cli: Any, lake: str) -> dict[str, str]:
    result = cli("users", "list", "--lake", lake, "--json")
    assert result.code == 0 and "scrypt" not in result.out
    return {u["name"]: u["role"] for u in result.json()["users"]}


def test_users_add_takes_the_password_from_the_environment(
    cli: Any, lake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBOFUEL_PASSWORD", "a long enough password")
    added = cli("users", "add", "mia", "--role", "manager", "--lake", lake, "--json")
    assert added.code == 0 and added.json() == {"user": "mia", "role": "manager"}
    assert _users(cli, lake)["mia"] == "manager"
    again = cli("users", "add", "mia", "--role", "viewer", "--lake", lake)
    assert again.code == 2 and "--replace" in again.err and _users(cli, lake)["mia"] == "manager"
    assert cli("users", "add", "mia", "--role", "viewer", "--replace", "--lake", lake).code == 0
    assert _users(cli, lake)["mia"] == "viewer"
    for args in (("mia2", "--role", "boss"), ("no spaces", "--role", "viewer")):
        refused = cli("users", "add", *args, "--lake", lake)
        assert refused.code == 2 and "error:" in refused.err and "Traceback" not in refused.err
    monkeypatch.setenv("ROBOFUEL_PASSWORD", "short")
    assert cli("users", "add", "kim", "--role", "viewer", "--lake", lake).code == 2 and "kim" not in _users(cli, lake)


def test_users_add_asks_twice_without_the_environment(cli: Any, lake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["first password", "other password", "same password!", "same password!"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    differ = cli("users", "add", "kim", "--role", "viewer", "--lake", lake)
    assert differ.code == 2 and "differ" in differ.err and "kim" not in _users(cli, lake)
    assert cli("users", "add", "kim", "--role", "viewer", "--lake", lake).code == 0 and "kim" in _users(cli, lake)

    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", no_terminal)
    result = cli("users", "add", "lee", "--role", "viewer", "--lake", lake)
    assert result.code == 2 and "ROBOFUEL_PASSWORD" in result.err


def test_tokens_create(cli: Any, lake: str) -> None:
    made = cli("tokens", "create", "vera", "--lake", lake, "--json")
    assert made.code == 0 and made.json()["token"].startswith("rf_") and len(made.json()["token"]) > 40
    second = cli("tokens", "create", "vera", "--lake", lake, "--json")
    assert second.json()["token"] != made.json()["token"]
    unknown = cli("tokens", "create", "nobody", "--lake", lake, "--json")
    assert unknown.code == 2 and "users add nobody" in unknown.err and unknown.out == ""


def test_commands_on_a_folder_that_is_no_lake_say_so(cli: Any, tmp_path: Path) -> None:
    for args in (("users", "list"), ("tokens", "create", "vera"), ("serve", "--port", "0")):
        result = cli(*args, "--lake", str(tmp_path / "nothing"))
        assert result.code == 2 and "not a robofuel lake" in result.err


def test_serve_without_the_server_extra_names_it(cli: Any, lake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails as if it were not installed
    result = cli("serve", "--lake", lake, "--port", "0")
    assert result.code != 0 and "robofuel[server]" in result.err and "Traceback" not in result.err
