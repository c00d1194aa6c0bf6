"""Signing in and out: ``/login`` (a server-rendered form, or JSON for scripts) and ``/logout``; the other pages
are in :mod:`robofuel.server.console_pages`.

Signing in sets the session cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS) holding a random
session token the catalog keeps only the hash of; it lasts :data:`~robofuel.server.auth.SESSION_TTL`.
"""

from __future__ import annotations

import html
import json
import math
import urllib.parse
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from robofuel.server.auth import SESSION_TTL, User, authenticate, create_token, csrf_token, revoke_token
from robofuel.server.security import SESSION_COOKIE, console, current_user

router = APIRouter()
#: Bytes a login request may have.
MAX_LOGIN_BODY = 16_384

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - robofuel</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.3rem 0}}.error{{color:#b00020}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""
_FORM = """{error}<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label>User <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status)


def _local(target: str) -> str:
    """``target`` when it is a path on this server, else ``/`` (no redirect to another site after login)."""
    ok = target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if ok and not urllib.parse.urlsplit(target).netloc else "/"


def _login_form(next_url: str = "/", error: str = "", status: int = 200) -> HTMLResponse:
    shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return _page("Sign in", _FORM.format(error=shown, next=html.escape(_local(next_url))), status)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/") -> HTMLResponse:
    return _login_form(next)


async def _credentials(request: Request) -> tuple[dict[str, Any], bool]:
    """The login fields of a JSON or form body, and whether it was JSON."""
    body = await request.body()
    if len(body) > MAX_LOGIN_BODY:
        raise HTTPException(413, f"a login request has at most {MAX_LOGIN_BODY} bytes")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            fields = json.loads(body)
        except ValueError as exc:
            raise HTTPException(400, f"the body is not JSON: {exc}") from exc
        if not isinstance(fields, dict):
            raise HTTPException(400, 'send {"username": ..., "password": ...}')
        return fields, True
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}, False


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Check a user name and password; set the session cookie (JSON: ``{"user", "role", "csrf_token"}``)."""
    fields, as_json = await _credentials(request)
    name, password = fields.get("username"), fields.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise HTTPException(400, "send a username and a password")
    served = console(request)
    key = (request.client.host if request.client else "", name)
    wait = math.ceil(served.throttle.retry_after(key))
    if wait:
        message = f"too many failed sign-ins as {name!r} from this address; try again in {wait} s"
        raise HTTPException(429, message, headers={"Retry-After": str(wait)})
    catalog = served.catalog
    user = await run_in_threadpool(authenticate, catalog, name, password)  # scrypt: about 50 ms of CPU
    (served.throttle.failed if user is None else served.throttle.succeeded)(key)
    if user is None and as_json:
        raise HTTPException(401, "wrong user name or password")
    if user is None:
        return _login_form(str(fields.get("next", "/")), "Wrong user name or password.", 401)
    session = await run_in_threadpool(create_token, catalog, user.name, "session", SESSION_TTL)
    response: Response = (
        JSONResponse({"user": user.name, "role": user.role, "csrf_token": csrf_token(session)})
        if as_json
        else RedirectResponse(_local(str(fields.get("next", "/"))), status_code=303)
    )
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, _: Annotated[User, Depends(current_user)]) -> Response:
    """End the session (a write: the cookie's CSRF token is needed)."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        revoke_token(console(request).catalog, session)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response
