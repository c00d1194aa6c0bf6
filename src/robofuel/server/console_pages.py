"""The console's pages: ``/`` (dashboard), ``/episodes`` (browser), ``/episodes/{id}`` (viewer, ``?t=SECONDS``),
``/review`` (the queue), ``/operations`` (cost, yield, schedule) and ``/releases`` (downloads, grants, audit), with
their scripts and style under ``/static/``.

A page is a small server-rendered shell; its script (``static/*.js``, plain JavaScript, no build step, nothing
loaded from another site) reads the API with the session cookie and draws the rest. A page without a session
redirects to ``/login?next=PAGE``. Pages carry a Content-Security-Policy allowing only this server's scripts.
Every page needs the ``viewer`` role except ``/releases``: a ``recipient`` (download-only) sees that page alone,
is sent there from ``/``, and gets 403 from the others; the navigation shows a user only the pages they may open.
"""

from __future__ import annotations

import html
import urllib.parse
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from robofuel.server.auth import User, token_user
from robofuel.server.security import SESSION_COOKIE, console, current_user
from robofuel.steps.annotate.skills import SKILLS

router = APIRouter(include_in_schema=False)
#: The files under static/ and their media types: only these are served (no path from the request is opened).
STATIC = {
    "console.css": "text/css",
    "common.js": "text/javascript",
    "charts.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "episodes.js": "text/javascript",
    "viewer.js": "text/javascript",
    "segments.js": "text/javascript",
    "review.js": "text/javascript",
    "ops.js": "text/javascript",
    "releases.js": "text/javascript",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: The navigation: (path, label, the role the page needs).
_NAV = (
    ("/", "Dashboard", "viewer"),
    ("/episodes", "Episodes", "viewer"),
    ("/review", "Review", "viewer"),
    ("/operations", "Operations", "viewer"),
    ("/releases", "Releases", "recipient"),
)
_SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - robofuel</title><link rel="stylesheet" href="/static/console.css"></head>
<body><header><b class="brand">robofuel</b><nav>{nav}</nav>
<span class="who">{user} ({role}) <button id="logout" type="button">Sign out</button></span></header>
<main id="app" data-page="{page}"{data}><h1>{title}</h1><p class="loading">Loading…</p></main>
<script src="/static/common.js"></script>{scripts}</body></html>
"""

_FORBIDDEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Forbidden - robofuel</title></head>
<body><h1>Forbidden</h1><p>{message}</p><p><a href="/releases">Releases</a></p></body></html>
"""


def _page_user(request: Request) -> User | None:
    session = request.cookies.get(SESSION_COOKIE, "")
    return token_user(console(request).catalog, session, "session") if session else None


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urllib.parse.urlencode({"next": target}), status_code=303)


def _forbidden(user: User, role: str) -> HTMLResponse:
    """403: a page ``user``'s role may not open (a recipient: only /releases)."""
    message = f"{user.name} is a {user.role}: this page needs the {role} role or above."
    page = _FORBIDDEN.format(message=html.escape(message))
    return HTMLResponse(page, status_code=403, headers={"Content-Security-Policy": CSP})


def _shell(
    request: Request,
    page: str,
    title: str,
    scripts: tuple[str, ...],
    data: dict[str, str] | None = None,
    role: str = "viewer",
) -> Response:
    """The page ``page`` for the signed-in user having ``role`` or above; a redirect to the login page without a
    session, 403 below that role."""
    user = _page_user(request)
    if user is None:
        return _to_login(request)
    if not user.may(role):
        return _forbidden(user, role)
    nav = "".join(
        f'<a href="{href}"{" class=current" if href == request.url.path else ""}>{label}</a>'
        for href, label, needs in _NAV
        if user.may(needs)
    )
    attrs = "".join(f' data-{k}="{html.escape(v)}"' for k, v in (data or {}).items())
    tags = "".join(f'<script src="/static/{s}"></script>' for s in scripts)
    body = _SHELL.format(
        title=html.escape(title),
        nav=nav,
        user=html.escape(user.name),
        role=html.escape(user.role),
        page=page,
        data=attrs + f' data-role="{html.escape(user.role)}"',
        scripts=tags,
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": CSP})


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    """Qualification against the target, causes of rejection, effective hours; bars link to their episodes (a
    recipient, who may not read the lake, is sent to /releases)."""
    user = _page_user(request)
    if user is not None and not user.may("viewer"):
        return RedirectResponse("/releases", status_code=303)
    return _shell(request, "dashboard", "Dashboard", ("charts.js", "dashboard.js"))


@router.get("/episodes", response_class=HTMLResponse)
def episodes_page(request: Request) -> Response:
    """The episodes matching a ``where`` filter, sorted and paged (the state is in the URL)."""
    return _shell(request, "episodes", "Episodes", ("episodes.js",))


@router.get("/episodes/{episode_id}", response_class=HTMLResponse)
def viewer_page(request: Request, episode_id: str) -> Response:
    """One episode: cameras and numeric streams on one timeline, findings, segments, the review form."""
    data = {"episode": episode_id, "skills": ",".join(SKILLS)}  # the labels the segment editor offers first
    return _shell(request, "viewer", f"Episode {episode_id}", ("charts.js", "segments.js", "viewer.js"), data)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request) -> Response:
    """The queue of episodes and annotations waiting for a person."""
    return _shell(request, "review", "Review", ("review.js",))


@router.get("/operations", response_class=HTMLResponse)
def operations_page(request: Request) -> Response:
    """Cost per effective hour, the gates' yield and a plan for the next days (the data: managers and admins)."""
    return _shell(request, "operations", "Operations", ("ops.js",))


@router.get("/releases", response_class=HTMLResponse)
def releases_page(request: Request) -> Response:
    """The releases the user may download, their files; for managers every release's grants and the audit log."""
    return _shell(request, "releases", "Releases", ("releases.js",), role="recipient")


@router.get("/static/{name}")
def static(name: str, _: Annotated[User, Depends(current_user)]) -> Response:
    """A script or the style sheet of the pages (signed-in users only; only the files of :data:`STATIC`)."""
    if name not in STATIC:
        raise HTTPException(404, f"no static file {name!r}")
    body = resources.files("robofuel.server").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "private, max-age=60"})
