"""Who may use the console: users with a role, their passwords (scrypt), API tokens and login sessions.

Everything lives in the catalog (tables ``users`` and ``tokens`` of :mod:`robofuel.catalog.db`), so a console over a
PostgreSQL catalog shares its users across machines. Nothing secret is stored in the clear: a password is kept as
its scrypt hash (salted, ``hashlib.scrypt``), a token as its sha256 (tokens are 256 random bits, so a fast hash is
enough). Roles are ordered: each one may do what the ones before it may. The lowest, ``recipient``, is an outside
party a release is granted to: it may sign in, list the releases granted to it and download them, and nothing else
(no episode, video, review or operations data of the lake), so ``requires("viewer")`` refuses it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

import sqlalchemy as sa

from robofuel.catalog.db import now, tokens, users
from robofuel.errors import InputError

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

Role = Literal["recipient", "viewer", "reviewer", "manager", "admin"]
#: Roles from least to most allowed: recipient only downloads the releases granted to it, viewer reads the lake,
#: reviewer also decides on episodes, manager and admin more.
ROLES: tuple[str, ...] = get_args(Role)
TokenKind = Literal["api", "session"]

#: scrypt cost: 2**14 x 8 (16 MiB, about 50 ms a hash), the parameters RFC 7914 and OWASP give for interactive use.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@ -]{0,127}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
#: Hex digits of a token's sha256 that name it (robofuel tokens list|revoke, DELETE /api/tokens/{id}).
TOKEN_ID_CHARS = 16
#: How long a login session lasts.
SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class User:
    """A person as the console knows them while serving a request."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a role above it (False for a role this version does not know, e.g. one
        a newer robofuel sharing the catalog wrote: refused, not an error)."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (salt and hash base64): what the ``users`` table keeps instead of the password."""
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (compared in constant time); False for a malformed record."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        expected = base64.b64decode(key)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


@functools.cache
def _dummy() -> str:
    """Checked against when the user does not exist, so that a wrong name takes as long as a wrong password."""
    return hash_password("robofuel-no-such-user", salt=b"\0" * 16)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(
            f"user name {name!r}: use 1-128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_org(org: str) -> str:
    """An organisation's name (release grants to ``org:ORG``), else InputError."""
    if not _ORG.fullmatch(org) or org != org.strip():
        raise InputError(f"organisation {org!r}: use 1-128 letters, digits, spaces, '.', '_', '@' or '-'")
    return org


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"--role {role}: unknown role; roles: {', '.join(ROLES)}")
    return role


def add_user(
    catalog: Catalog, name: str, role: str, password: str, replace: bool = False, org: str | None = None
) -> User:
    """Add a user (``replace``: or give an existing one this role, password and organisation, ending their login
    sessions); ``org``: their organisation (release grants to ``org:ORG`` reach them)."""
    user = User(check_name(name), check_role(role))
    record = hash_password(check_password(password))
    if org is not None:
        check_org(org)
    with catalog.writing() as c:
        exists = c.execute(sa.select(users.c.name).where(users.c.name == name)).first() is not None
        if exists and not replace:
            raise InputError(f"user {name!r} exists; --replace gives them this role and password")
        if exists:
            c.execute(sa.update(users).where(users.c.name == name).values(role=role, password=record, org=org))
            c.execute(sa.delete(tokens).where(tokens.c.user == name, tokens.c.kind == "session"))
        else:
            c.execute(sa.insert(users).values(name=name, role=role, password=record, created_at=now(), org=org))
    return user


def user_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """Every user's name, role, creation time and organisation (never the password hash), by name."""
    with catalog.engine.connect() as c:
        rows = c.execute(sa.select(users.c.name, users.c.role, users.c.created_at, users.c.org).order_by(users.c.name))
        return [dict(r._mapping) for r in rows]


def find_user(catalog: Catalog, name: str) -> User | None:
    with catalog.engine.connect() as c:
        row = c.execute(sa.select(users.c.name, users.c.role).where(users.c.name == name)).first()
    return None if row is None else User(row.name, row.role)


def authenticate(catalog: Catalog, name: str, password: str) -> User | None:
    """The user ``name`` if ``password`` is theirs, else None (an unknown name costs the same time)."""
    with catalog.engine.connect() as c:
        row = c.execute(sa.select(users.c.name, users.c.role, users.c.password).where(users.c.name == name)).first()
    matches = verify_password(password[:MAX_PASSWORD], row.password if row else _dummy())
    if row is None or not matches:
        return None
    return User(row.name, row.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(catalog: Catalog, name: str, kind: TokenKind = "api", ttl: timedelta | None = None) -> str:
    """A new random token acting as user ``name`` (only its sha256 is stored); ``ttl``: it expires after that."""
    if find_user(catalog, name) is None:
        raise InputError(f"no user {name!r}; add one with `robofuel users add {name} --role viewer`")
    token = ("rf_" if kind == "api" else "rfs_") + secrets.token_urlsafe(32)
    at = now()
    with catalog.writing() as c:
        c.execute(
            sa.insert(tokens).values(
                sha256=_digest(token), user=name, kind=kind, created_at=at, expires_at=at + ttl if ttl else None
            )
        )
    return token


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_user(catalog: Catalog, token: str, kind: TokenKind) -> User | None:
    """The user a token of ``kind`` acts as; None for an unknown, expired or other-kind token."""
    if not token or len(token) > 256:
        return None
    query = (
        sa.select(users.c.name, users.c.role, tokens.c.expires_at)
        .join(users, users.c.name == tokens.c.user)
        .where(tokens.c.sha256 == _digest(token), tokens.c.kind == kind)
    )
    with catalog.engine.connect() as c:
        row = c.execute(query).first()
    if row is None or (row.expires_at is not None and aware(row.expires_at) <= now()):
        return None
    return User(row.name, row.role)


def token_id(token: str) -> str:
    """A token's public id: the first :data:`TOKEN_ID_CHARS` hex digits of its sha256 (it reveals nothing of it)."""
    return _digest(token)[:TOKEN_ID_CHARS]


def token_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """Every API token's id, user, creation and expiry (ISO 8601 UTC, None: until revoked), by user."""
    t = tokens.c
    query = sa.select(t.sha256, t.user, t.created_at, t.expires_at).where(t.kind == "api").order_by(t.user, t.sha256)
    with catalog.engine.connect() as c:
        return [
            {
                "id": r.sha256[:TOKEN_ID_CHARS],
                "user": r.user,
                "created_at": aware(r.created_at).isoformat(),
                "expires_at": aware(r.expires_at).isoformat() if r.expires_at else None,
            }
            for r in c.execute(query)
        ]


def revoke_token_id(catalog: Catalog, identifier: str) -> str | None:
    """Revoke the API token whose id (:func:`token_id`) is ``identifier``; returns its user, None if none has it."""
    if not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_CHARS}}}", identifier):
        return None
    t = tokens.c
    match = sa.and_(t.sha256.startswith(identifier), t.kind == "api")
    with catalog.writing() as c:
        row = c.execute(sa.select(t.user).where(match)).first()
        if row is not None:
            c.execute(sa.delete(tokens).where(match))
    return None if row is None else str(row.user)


def revoke_token(catalog: Catalog, token: str) -> None:
    """Forget a token (a session at logout); nothing happens for an unknown one."""
    with catalog.writing() as c:
        c.execute(sa.delete(tokens).where(tokens.c.sha256 == _digest(token)))


def csrf_token(session: str) -> str:
    """The CSRF token of a login session: derived from the session token, which a cross-site page cannot read."""
    return hmac.new(session.encode(), b"robofuel-csrf", hashlib.sha256).hexdigest()
