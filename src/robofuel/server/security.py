"""Who is asking: the FastAPI dependencies that turn a request into a :class:`~robofuel.server.auth.User`.

A request proves who it is with ``Authorization: Bearer TOKEN`` (an API token, ``robofuel tokens create``) or with
the session cookie a login at ``/login`` set. A cookie is sent by the browser on its own, so a state-changing
request (anything but GET, HEAD, OPTIONS) authenticated by the cookie must also carry the session's CSRF token in
the ``X-CSRF-Token`` header (``GET /api/session`` and the login give it); the cookie is also ``SameSite=Strict``
and ``HttpOnly``. No proof: 401; a role below the one needed: 403.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from robofuel.server.auth import User, csrf_token, token_user
from robofuel.server.throttle import LoginThrottle

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

SESSION_COOKIE = "robofuel_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="An API token: `robofuel tokens create NAME`.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The session a login at /login set.")


@dataclass(frozen=True)
class Console:
    """What the application serves: a lake and its catalog (and the count of failed sign-ins)."""

    lake: Lake
    catalog: Catalog
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_cookie)],
) -> User:
    """The user behind the request's token or session cookie (checking the CSRF token of a cookie's writes)."""
    catalog = console(request).catalog
    if bearer is None and "authorization" in request.headers:
        raise _unauthorized("the Authorization header must be 'Bearer TOKEN'")
    if bearer is not None:
        user = token_user(catalog, bearer.credentials, "api")
        if user is None:
            raise _unauthorized("unknown or revoked token; `robofuel tokens create NAME` makes one")
        return user
    if not session:
        raise _unauthorized("sign in at /login or send 'Authorization: Bearer TOKEN' (robofuel tokens create NAME)")
    user = token_user(catalog, session, "session")
    if user is None:
        raise _unauthorized("the session has expired or ended; sign in again at /login")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "").encode()
        if not hmac.compare_digest(sent, csrf_token(session).encode()):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (GET /api/session gives the token)")
    return user


@dataclass(frozen=True)
class Requires:
    """A dependency giving the request's user when they have ``role`` or a role above it (403 otherwise); the role
    a route needs can be read from its dependencies (the access tests enumerate every route this way)."""

    role: str

    def __call__(self, user: Annotated[User, Depends(current_user)]) -> User:
        if not user.may(self.role):
            raise HTTPException(403, f"{user.name} is a {user.role}: this needs the {self.role} role or above")
        return user


def requires(role: str) -> Requires:
    """The dependency letting ``role`` and the roles above it through."""
    return Requires(role)
