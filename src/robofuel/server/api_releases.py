"""Gated access to releases under ``/api/releases`` (docs/releases.md, "Gated access").

Anyone signed in (the ``recipient`` role included, which may do nothing else) lists the releases granted to them
(managers and admins: every release, with its grants) and downloads the files of a release they hold a valid grant
for (to them or their organisation, not expired, not revoked), whole or by HTTP range (``Range: bytes=A-B``: 206
with ``Content-Range``; 416 for a range outside the file; ``If-Range`` with the file's ETag, its sha256, resumes
only the same file). A download needs a grant whatever the role; a release that does not exist is refused like
another's (403) to all but managers. Managers grant, revoke, and read the audit log; every listing, download, grant
and revocation, refused ones included, is written to it (:mod:`robofuel.release.audit`).
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from robofuel.context import Workspace
from robofuel.errors import InputError
from robofuel.release import audit, grants, store
from robofuel.release.files import Refused, copy_folder, listing, resolve
from robofuel.server.api import Served
from robofuel.server.auth import User, aware
from robofuel.server.bodies import body_schema, json_body
from robofuel.server.security import Console, requires
from robofuel.server.video_serve import byte_range, ranged_response

router = APIRouter(prefix="/api")
#: The lowest role: a release's recipient may list and download what is granted to it, whatever else it may not.
Recipient = Annotated[User, Depends(requires("recipient"))]
Manager = Annotated[User, Depends(requires("manager"))]
#: Audit entries a request may ask for at once.
MAX_ENTRIES = 1000


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=140, description="A user name, or org:ORG.")
    expires: str | None = Field(default=None, max_length=64, description="A date (YYYY-MM-DD) or ISO 8601 time.")
    days: float | None = Field(default=None, allow_inf_nan=False, description="Or: it ends after this many days.")
    purpose: str | None = Field(default=None, max_length=32, description="Default: the release's purpose.")
    recipient: str | None = Field(default=None, max_length=128, description="The recipient copy served.")


def _ws(served: Console) -> Workspace:
    return Workspace(served.lake, served.catalog)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A release as the API shows it (no path on the server's disk)."""
    shown = {k: row[k] for k in ("name", "episodes", "format", "purpose", "license")}
    shown["created_at"] = aware(row["created_at"]).isoformat()
    shown["files"] = f"/api/releases/{urllib.parse.quote(row['name'])}/files"
    return shown


@router.get("/releases")
def get_releases(served: Served, user: Recipient) -> dict[str, Any]:
    """``{"releases": [{"name", "episodes", "format", "purpose", "license", "created_at", "files", "grant"}]}``: the
    releases the caller holds a valid grant for (``grant``: its expiry, purpose, recipient copy); a manager or
    admin sees every release, each with its ``recipients`` and ``grants``."""
    catalog, manager = served.catalog, user.may("manager")
    held = grants.granted_names(catalog, user.name)
    out = []
    for row in store.rows(_ws(served)):
        if row["name"] in held or manager:
            grant = held.get(row["name"])
            if grant is not None and not manager:  # not who at the base granted it
                grant = {k: v for k, v in grant.items() if k not in ("granted_by", "revoked_by")}
            shown = {**_public(row), "grant": grant}
            if manager:
                shown["recipients"] = json.loads(row["recipients"])
                shown["grants"] = grants.grants(catalog, row["name"])
            out.append(shown)
    audit.record(catalog, user.name, "list", None, 200, f"{len(out)} releases listed")
    return {"releases": out}


def _refuse(
    served: Console, user: User, action: str, name: str, status: int, why: str, shown: str | None = None, **more: Any
) -> HTTPException:
    """Audit a refusal with its reason ``why``; the answer says ``shown`` when given (what the caller may learn)."""
    audit.record(served.catalog, user.name, action, name, status, why, **more)
    return HTTPException(status, shown or why)


def _no_grant(user: User, name: str) -> str:
    return f"{user.name} holds no grant for release {name}: ask the base for one"


def _why_not(served: Console, user: User, name: str) -> str:
    """Why ``user`` holds no valid grant for release ``name``: none, expired or revoked."""
    org = grants.user_org(served.catalog, user.name)
    holders = {user.name, *([grants.ORG_PREFIX + org] if org else [])}
    theirs = [g for g in grants.grants(served.catalog, name) if g["grantee"] in holders]
    if not theirs:
        return _no_grant(user, name)
    last = theirs[-1]
    if last["state"] == "revoked":
        return f"the grant of release {name} to {last['grantee']} was revoked at {last['revoked_at']}"
    return f"the grant of release {name} to {last['grantee']} expired at {last['expires_at']}"


def _granted(served: Console, user: User, name: str, action: str, **more: Any) -> tuple[Any, dict[str, Any]]:
    """The folder of the copy ``user`` may download of release ``name``, and their grant; refused (audited)
    otherwise: 400 for a malformed name, 403 without a valid grant (also for no such release, unless the user is a
    manager: 404), so that nobody learns the names of releases not granted to them."""
    try:
        store.check_name(name)
    except InputError as exc:
        raise _refuse(served, user, action, name, 400, str(exc), **more) from exc
    if store.row(_ws(served), name) is None:
        if not user.may("manager"):  # the same answer as for another's release: no probing for release names
            raise _refuse(served, user, action, name, 403, f"no release {name!r}", _no_grant(user, name), **more)
        raise _refuse(served, user, action, name, 404, f"no release {name!r}; GET /api/releases lists them", **more)
    grant = grants.valid_grant(served.catalog, name, user.name)
    if grant is None:
        raise _refuse(served, user, action, name, 403, _why_not(served, user, name), **more)
    try:
        return copy_folder(_ws(served), name, grant["recipient"]), grant
    except Refused as exc:
        raise _refuse(served, user, action, name, exc.status, str(exc), **more) from exc


@router.get("/releases/{name}/files")
def get_files(served: Served, user: Recipient, name: str) -> dict[str, Any]:
    """``{"release", "recipient", "expires_at", "files": [{"path", "size", "sha256", "url"}]}``: what the caller's
    grant lets them download (the signed manifest's files, the manifest and its signature)."""
    folder, grant = _granted(served, user, name, "files")
    files = listing(folder)
    base = f"/api/releases/{urllib.parse.quote(name)}/files/"
    for f in files:
        f["url"] = base + urllib.parse.quote(f["path"])
    audit.record(served.catalog, user.name, "files", name, 200, f"{len(files)} files listed")
    return {"release": name, "recipient": grant["recipient"], "expires_at": grant["expires_at"], "files": files}


@router.api_route("/releases/{name}/files/{path:path}", methods=["GET", "HEAD"])
def get_file(served: Served, user: Recipient, name: str, path: str, request: Request) -> Response:
    """One file of the release, whole or the range asked (resumable downloads; HEAD: its size and ETag alone);
    audited with the bytes sent."""
    asked = request.headers.get("range")
    folder, grant = _granted(served, user, name, "download", path=path, byte_range=asked)
    try:
        real, sha = resolve(folder, path)
    except Refused as exc:
        raise _refuse(served, user, "download", name, exc.status, str(exc), path=path, byte_range=asked) from exc
    etag = f'"{sha}"'
    if_range = request.headers.get("if-range")
    size = real.stat().st_size
    try:
        span = byte_range(asked if if_range in (None, etag) else None, size)
    except HTTPException as exc:  # 416, with the Content-Range naming the size
        audit.record(served.catalog, user.name, "download", name, exc.status_code, str(exc.detail), path, asked)
        raise
    head = request.method == "HEAD"
    sent = 0 if head else (span[1] - span[0] + 1) if span else size
    detail = ("HEAD, " if head else "") + f"copy {grant['recipient'] or 'base'}"
    audit.record(served.catalog, user.name, "download", name, 206 if span else 200, detail, path, asked, sent)
    headers = {
        "ETag": etag,
        "Content-Disposition": "attachment; filename*=UTF-8''" + urllib.parse.quote(real.name),
        "Cache-Control": "private, no-store",
    }

    def opener() -> BinaryIO:
        return real.open("rb")

    return ranged_response(opener, size, span, "application/octet-stream", headers, head=head)


def _release_or_404(served: Console, name: str) -> dict[str, Any]:
    row = store.row(_ws(served), store.check_name(name))
    if row is None:
        raise HTTPException(404, f"no release {name!r}; GET /api/releases lists them")
    return row


@router.get("/releases/{name}/grants")
def get_grants(served: Served, _: Manager, name: str) -> dict[str, Any]:
    """``{"grants": [{"id", "release", "grantee", "recipient", "purpose", "expires_at", "state", ...}]}``."""
    _release_or_404(served, name)
    return {"grants": grants.grants(served.catalog, name)}


@router.post("/releases/{name}/grants", status_code=201, openapi_extra=body_schema(GrantIn))
def post_grant(
    served: Served, user: Manager, name: str, body: Annotated[GrantIn, Depends(json_body(GrantIn))]
) -> dict[str, Any]:
    """Grant the release to a user or ``org:ORG`` until ``expires`` (or for ``days``); the grant."""
    _release_or_404(served, name)
    until = grants.expiry(body.expires, body.days)
    made = grants.grant(_ws(served), name, body.to, until, user.name, body.purpose, body.recipient)
    detail = f"grant {made['id']} to {made['grantee']} until {made['expires_at']} ({made['purpose']})"
    audit.record(served.catalog, user.name, "grant", name, 201, detail)
    return made


@router.delete("/releases/{name}/grants/{grant_id}")
def delete_grant(served: Served, user: Manager, name: str, grant_id: int) -> dict[str, Any]:
    """Revoke a grant: its holder is refused from the next request on."""
    _release_or_404(served, name)
    if not grants.revoke(served.catalog, name, user.name, grant_id=grant_id):
        raise HTTPException(404, f"release {name} has no grant {grant_id} in force; GET its grants to list them")
    audit.record(served.catalog, user.name, "revoke", name, 200, f"grant {grant_id} revoked")
    return {"revoked": grant_id, "release": name}


@router.get("/releases/{name}/audit")
def get_audit(
    served: Served, _: Manager, name: str, limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 100
) -> dict[str, Any]:
    """``{"entries": [{"at", "actor", "action", "release", "path", "range", "bytes", "status", "outcome",
    "detail"}]}``: the release's audit log, newest first (``robofuel release audit NAME --json``)."""
    _release_or_404(served, name)
    return {"entries": audit.entries(served.catalog, name, limit)}


@router.get("/audit/releases")
def get_all_audit(
    served: Served, _: Manager, limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 100
) -> dict[str, Any]:
    """The latest entries of every release's audit log (listings included), newest first."""
    return {"entries": audit.entries(served.catalog, None, limit)}
