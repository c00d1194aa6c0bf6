"""``robofuel serve``, ``robofuel users add|list`` and ``robofuel tokens create``: the factory console and who may
use it (see docs/console.md)."""

from __future__ import annotations

import getpass
import ipaddress
import os
from typing import Annotated

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, err, out
from robofuel.cli.options import Catalog_, Json_, Lake_
from robofuel.errors import InputError

#: Where ``users add`` reads the password when set (scripts, containers); otherwise it asks twice on the terminal.
PASSWORD_ENV = "ROBOFUEL_PASSWORD"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
) -> None:
    """Serve the factory console: its pages (dashboard, episodes, viewer, review, operations) and the HTTP API under
    /api (the server extra: fastapi, uvicorn)."""
    from robofuel._lazy import require
    from robofuel.context import open_workspace
    from robofuel.server.auth import user_rows

    require("fastapi", "server")
    uvicorn = require("uvicorn", "server")
    from robofuel.server.app import create_app

    with open_workspace(lake, catalog, create=False) as ws:
        app = create_app(ws.lake, ws.catalog)
        if not user_rows(ws.catalog):
            err.print("no users yet: add one with `robofuel users add NAME --role admin` (in another shell)")
        if not _is_loopback(host):
            err.print(
                f"[yellow]warning:[/] listening on {host} without TLS: passwords and tokens cross the network in "
                "clear; put an HTTPS reverse proxy in front"
            )
        err.print(f"robofuel console on http://{host}:{port}/ for {ws.lake.uri} (catalog {ws.catalog.where})")
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def _password() -> str:
    """The new user's password: ``$ROBOFUEL_PASSWORD``, else asked twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
    except EOFError as exc:
        raise InputError(f"no password: set ${PASSWORD_ENV} or run this on a terminal") from exc
    if first != second:
        raise InputError("the two passwords differ; nothing was changed")
    return first


users_app = typer.Typer(no_args_is_help=True, help="People who may use the console (robofuel serve).")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens for scripts (Authorization: Bearer TOKEN).")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[
        str,
        typer.Option(
            help="recipient (downloads the releases granted to it, nothing else), viewer (reads the lake), "
            "reviewer (also decides), manager, admin."
        ),
    ],
    replace: Annotated[bool, typer.Option("--replace", help="Change an existing user's role and password.")] = False,
    org: Annotated[
        str | None, typer.Option("--org", help="Their organisation: release grants to org:ORG reach them.")
    ] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Add a user; the password comes from $ROBOFUEL_PASSWORD, else a prompt."""
    from robofuel.context import open_workspace
    from robofuel.server.auth import add_user, check_name, check_role

    check_name(name)  # before asking for a password
    check_role(role)
    with open_workspace(lake, catalog, create=False) as ws:
        user = add_user(ws.catalog, name, role, _password(), replace=replace, org=org)
    if as_json:
        emit_json({"user": user.name, "role": user.role})
    else:
        out.print(f"user {user.name} ({user.role}) {'updated' if replace else 'added'}")


@users_app.command("list")
def users_list(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """The users, their roles and when they were added."""
    from robofuel.context import open_workspace
    from robofuel.server.auth import user_rows

    with open_workspace(lake, catalog, create=False) as ws:
        rows = user_rows(ws.catalog)
    if as_json:
        emit_json({"users": rows})
        return
    table = Table("user", "role", "organisation", "added")
    for r in rows:
        table.add_row(r["name"], r["role"], r["org"] or "-", str(r["created_at"])[:19])
    out.print(table)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    days: Annotated[float | None, typer.Option(help="It expires after this many days (default: when revoked).")] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Make an API token acting as a user (shown once: only its hash is kept)."""
    from datetime import timedelta

    from robofuel.context import open_workspace
    from robofuel.server.auth import create_token, token_id

    if days is not None and not 0 < days <= 36_500:
        raise InputError(f"--days {days}: give a number of days between 0 and 36500")
    with open_workspace(lake, catalog, create=False) as ws:
        token = create_token(ws.catalog, name, ttl=timedelta(days=days) if days else None)
    if as_json:
        emit_json({"token": token, "user": name, "id": token_id(token)})
    else:
        out.print(token, highlight=False)
        err.print(f"a token acting as {name} (id {token_id(token)}); it is shown only now: keep it like a password")


@tokens_app.command("list")
def tokens_list(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """The API tokens: id, user, when made, when they expire (never the token)."""
    from robofuel.context import open_workspace
    from robofuel.server.auth import token_rows

    with open_workspace(lake, catalog, create=False) as ws:
        rows = token_rows(ws.catalog)
    if as_json:
        emit_json({"tokens": rows})
        return
    table = Table("id", "user", "made", "expires")
    for r in rows:
        table.add_row(r["id"], r["user"], r["created_at"][:19], (r["expires_at"] or "when revoked")[:19])
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (robofuel tokens list).")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Revoke an API token: the console refuses it from the next request on."""
    from robofuel.context import open_workspace
    from robofuel.server.auth import revoke_token_id

    with open_workspace(lake, catalog, create=False) as ws:
        user = revoke_token_id(ws.catalog, token_id)
    if user is None:
        raise InputError(f"no API token has the id {token_id!r}; `robofuel tokens list` shows them")
    if as_json:
        emit_json({"revoked": token_id, "user": user})
    else:
        out.print(f"token {token_id} of {user} revoked")
