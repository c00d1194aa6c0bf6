"""``robofuel release grant|revoke|grants|audit``: who may download a release through the console (robofuel serve),
until when, and the audit log of every access (docs/releases.md, "Gated access")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, out, print_table
from robofuel.cli.options import Catalog_, Json_, Lake_
from robofuel.errors import InputError

Name_ = Annotated[str, typer.Argument(help="A release of the lake.")]
To_ = Annotated[str | None, typer.Option("--to", help="A user name, or org:ORG for every user of an organisation.")]


def grant(
    name: Name_,
    to: To_ = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Last day (YYYY-MM-DD, to its end, UTC) or an ISO 8601 time.")
    ] = None,
    days: Annotated[float | None, typer.Option("--days", help="Or: the grant ends after N days.")] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="The use granted (default: the release's; or internal).")
    ] = None,
    recipient: Annotated[
        str | None, typer.Option("--recipient", help="The recipient copy served (default: the one named like --to).")
    ] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Let a user or an organisation download release NAME through the console until an expiry."""
    from robofuel.context import open_workspace
    from robofuel.release import audit, grants

    if not to:
        raise InputError("--to USER or --to org:ORG: whom the release is granted to")
    until = grants.expiry(expires, days)
    actor = audit.command_line_actor()
    with open_workspace(lake, catalog, create=False) as ws:
        made = grants.grant(ws, name, to, until, actor, purpose, recipient)
        detail = f"grant {made['id']} to {made['grantee']} until {made['expires_at']} ({made['purpose']})"
        audit.record(ws.catalog, actor, "grant", name, 0, detail)
    if as_json:
        emit_json(made)
        return
    copy = f", copy {made['recipient']}" if made["recipient"] else ""
    out.print(f"grant {made['id']}: {name} to {made['grantee']} until {made['expires_at']} ({made['purpose']}{copy})")


def revoke(
    name: Name_,
    to: To_ = None,
    grant_id: Annotated[int | None, typer.Option("--grant", help="The grant's id (robofuel release grants).")] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Revoke the grants of release NAME to a user or organisation (--to) or one grant (--grant): their downloads
    are refused from the next request on."""
    from robofuel.context import open_workspace
    from robofuel.release import audit, grants, store

    if (to is None) == (grant_id is None):
        raise InputError("name what to revoke: --to USER|org:ORG or --grant ID")
    actor = audit.command_line_actor()
    with open_workspace(lake, catalog, create=False) as ws:
        store.folder(ws, name)  # an unknown release: the message naming the known ones
        ids = grants.revoke(ws.catalog, name, actor, to=to, grant_id=grant_id)
        if not ids:
            raise InputError(f"release {name} has no grant in force {'to ' + str(to) if to else grant_id}")
        audit.record(ws.catalog, actor, "revoke", name, 0, f"grants {', '.join(map(str, ids))} revoked")
    if as_json:
        emit_json({"release": name, "revoked": ids})
    else:
        out.print(f"{name}: revoked grant{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}")


def grants_(
    name: Annotated[str | None, typer.Argument(help="Only this release's grants.")] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """The grants (all, or of one release): to whom, until when, and whether active, expired or revoked."""
    from robofuel.context import open_workspace
    from robofuel.release import grants, store

    with open_workspace(lake, catalog, create=False) as ws:
        if name is not None:
            store.folder(ws, name)
        rows = grants.grants(ws.catalog, name)
    if as_json:
        emit_json({"grants": rows})
        return
    table = Table("id", "release", "to", "copy", "purpose", "until", "state")
    for g in rows:
        table.add_row(
            str(g["id"]), g["release"], g["grantee"], g["recipient"] or "base", g["purpose"], g["expires_at"][:19],
            g["state"],
        )  # fmt: skip
    print_table(table)


def audit_(
    name: Name_,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The latest N entries.")] = 100,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """The audit log of release NAME, newest first: grants, revocations, listings and downloads, refused ones too."""
    from robofuel.context import open_workspace
    from robofuel.release import audit, store

    with open_workspace(lake, catalog, create=False) as ws:
        store.folder(ws, name)
        rows: list[dict[str, Any]] = audit.entries(ws.catalog, name, limit)
    if as_json:
        emit_json({"entries": rows})
        return
    table = Table("at", "who", "action", "path", "range", "bytes", "status", "outcome", "detail")
    for e in rows:
        table.add_row(
            e["at"][:19], e["actor"], e["action"], e["path"] or "", e["range"] or "",
            "" if e["bytes"] is None else str(e["bytes"]), str(e["status"]), e["outcome"], e["detail"],
        )  # fmt: skip
    print_table(table)


#: The commands this module adds to ``robofuel release``, by name.
COMMANDS: dict[str, Callable[..., None]] = {"grant": grant, "revoke": revoke, "grants": grants_, "audit": audit_}
