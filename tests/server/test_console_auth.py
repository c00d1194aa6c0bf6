"""Users, passwords, tokens and reviews in the catalog, on SQLite and PostgreSQL, without the web framework."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from faults.lake_faults import recordings
from robofuel.catalog import Catalog
from robofuel.catalog.db import episodes, metadata, reviews, tokens, users
from robofuel.catalog.db import recordings as recordings_table
from robofuel.errors import InputError
from robofuel.lake import Lake
from robofuel.server.auth import (
    ROLES,
    User,
    add_user,
    authenticate,
    create_token,
    hash_password,
    revoke_token,
    token_user,
    verify_password,
)
from robofuel.server.reviews import record_review, review_rows
from robofuel.server.throttle import LoginThrottle

PASSWORD = "a long enough password"


def test_a_password_is_kept_as_a_salted_scrypt_hash() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and first != second and PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    for broken in ("", "scrypt$1$2", "md5$16384$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA"):
        assert not verify_password(PASSWORD, broken)


def _all_text(catalog: Catalog, *tables: sa.Table) -> str:
    with catalog.engine.connect() as c:
        return " ".join(str(v) for t in tables for row in c.execute(sa.select(t)) for v in row)


def test_roles_are_ordered_and_a_recipient_is_below_a_viewer() -> None:
    assert ROLES == ("recipient", "viewer", "reviewer", "manager", "admin")
    cora = User("cora", "recipient")
    assert cora.may("recipient") and not cora.may("viewer")
    assert User("vera", "viewer").may("recipient") and User("ada", "admin").may("manager")
    assert not User("x", "auditor").may("recipient")  # a role this version does not know: refused, no error


def test_users_and_tokens(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    add_user(catalog, "rita", "reviewer", PASSWORD)
    with pytest.raises(InputError, match="exists"):
        add_user(catalog, "rita", "admin", PASSWORD)
    for name, role, password in (("bad name", "viewer", PASSWORD), ("ok", "boss", PASSWORD), ("ok", "viewer", "short")):
        with pytest.raises(InputError):
            add_user(catalog, name, role, password)
    assert authenticate(catalog, "rita", PASSWORD) == authenticate(catalog, "rita", PASSWORD)
    user = authenticate(catalog, "rita", PASSWORD)
    assert user is not None and (user.name, user.role) == ("rita", "reviewer")
    assert user.may("viewer") and user.may("reviewer") and not user.may("manager")
    assert authenticate(catalog, "rita", "wrong password") is None and authenticate(catalog, "nobody", PASSWORD) is None

    api = create_token(catalog, "rita")
    session = create_token(catalog, "rita", "session", timedelta(hours=1))
    expired = create_token(catalog, "rita", "session", timedelta(seconds=-1))
    assert token_user(catalog, api, "api") == user and token_user(catalog, session, "session") == user
    assert token_user(catalog, api, "session") is None and token_user(catalog, session, "api") is None
    assert token_user(catalog, expired, "session") is None and token_user(catalog, api + "x", "api") is None
    stored = _all_text(catalog, users, tokens)
    assert api not in stored and session not in stored and PASSWORD not in stored  # hashes only
    with pytest.raises(InputError, match="no user"):
        create_token(catalog, "nobody")

    add_user(catalog, "rita", "manager", "another password", replace=True)
    assert token_user(catalog, session, "session") is None  # a new password ends the sessions
    assert token_user(catalog, api, "api") == type(user)("rita", "manager")  # the role is read at each request
    assert authenticate(catalog, "rita", PASSWORD) is None
    revoke_token(catalog, api)
    assert token_user(catalog, api, "api") is None
    catalog.close()


def test_a_catalog_made_before_the_console_gets_its_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    engine = sa.create_engine(url)
    metadata.create_all(engine, tables=[t for t in metadata.sorted_tables if t not in (users, tokens, reviews)])
    engine.dispose()
    assert "users" not in sa.inspect(sa.create_engine(url)).get_table_names()
    catalog = Catalog(url)
    assert {"users", "tokens", "reviews"} <= set(sa.inspect(catalog.engine).get_table_names())
    add_user(catalog, "vera", "viewer", PASSWORD)
    assert authenticate(catalog, "vera", PASSWORD) is not None
    catalog.close()


def test_a_review_sets_the_verdict_in_the_catalog_and_the_metadata(catalog_url: str, tmp_path: Path, cli: Any) -> None:
    lake_dir = tmp_path / "lake"
    (recording,) = recordings(tmp_path / "rec", 1)
    assert cli("ingest", str(recording), "--lake", str(lake_dir), "--catalog", catalog_url).code == 0
    lake, catalog = Lake(lake_dir, create=False), Catalog(catalog_url)
    (eid,) = catalog.episode_ids()
    with pytest.raises(InputError, match="within the episode"):
        record_review(lake, catalog, eid, "accept", "rita", end_s=60.0)
    first = record_review(lake, catalog, eid, "reject", "rita", 0.0, 0.2, "dropped the part")
    second = record_review(lake, catalog, eid, "accept", "rob")
    assert second["id"] > first["id"] and first["verdict"] == "rejected"
    assert [(r["reviewer"], r["verdict"]) for r in review_rows(catalog, eid)] == [
        ("rita", "rejected"),
        ("rob", "qualified"),
    ]
    assert [r["verdict"] for r in catalog.episode_rows()] == ["qualified"]
    meta = lake.read_meta(eid)
    assert meta.verdict == "qualified" and meta.extra["review"]["reviewer"] == "rob"
    with catalog.engine.connect() as c:  # the rest of the episode's row is as ingest left it
        assert c.execute(sa.select(sa.func.count()).select_from(recordings_table)).scalar_one() == 1
        assert c.execute(sa.select(episodes.c.duration_s)).scalar_one() == pytest.approx(meta.duration_s)
    catalog.close()


def test_the_login_throttle_counts_failures_in_a_window() -> None:
    now = [0.0]
    throttle = LoginThrottle(limit=3, window_s=60.0, max_keys=2, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("a") == 0.0
        throttle.failed("a")
        now[0] += 1.0
    assert throttle.retry_after("a") == pytest.approx(57.0)  # the first failure leaves the window at 60 s
    now[0] = 60.5
    assert throttle.retry_after("a") == 0.0
    throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.retry_after("a") == 0.0
    for key in ("b", "c", "d"):  # at most two keys remembered: the oldest is forgotten
        for _ in range(3):
            throttle.failed(key)
    assert throttle.retry_after("b") == 0.0 and throttle.retry_after("d") > 0.0
