"""Users, API tokens (admin) and saved queries (each user's own; the team's by managers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from robofuel.catalog.browse import DEFAULT_SORT
from robofuel.server.api import Served
from robofuel.server.auth import ROLES, User, add_user, create_token, revoke_token_id, token_id, token_rows, user_rows
from robofuel.server.bodies import body_schema, json_body
from robofuel.server.queries import delete_query, list_queries, save_query
from robofuel.server.security import requires

router = APIRouter(prefix="/api")
Viewer = Annotated[User, Depends(requires("viewer"))]
Admin = Annotated[User, Depends(requires("admin"))]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    role: str = Field(description=f"One of {', '.join(ROLES)}.")
    password: str = Field(min_length=1, max_length=1024)
    replace: bool = False
    org: str | None = Field(default=None, max_length=128, description="Organisation (release grants to org:ORG).")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=128)
    days: float | None = Field(default=None, gt=0, le=36_500, allow_inf_nan=False, description="Expires after.")


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    where: str = Field(default="", max_length=4000)
    sort: str = DEFAULT_SORT
    order: str = "asc"
    team: bool = Field(default=False, description="Listed to every user (needs the manager role).")


@router.get("/users")
def get_users(served: Served, _: Admin) -> dict[str, Any]:
    """``{"users": [{"name", "role", "created_at", "org"}]}`` (what ``robofuel users list --json`` prints)."""
    return {"users": user_rows(served.catalog)}


@router.post("/users", status_code=201, openapi_extra=body_schema(UserIn))
def post_user(served: Served, _: Admin, body: Annotated[UserIn, Depends(json_body(UserIn))]) -> dict[str, str]:
    """Add a user (``replace``: change an existing one's role, password and organisation, ending their sessions)."""
    user = add_user(served.catalog, body.name, body.role, body.password, replace=body.replace, org=body.org)
    return {"user": user.name, "role": user.role}


@router.get("/tokens")
def get_tokens(served: Served, _: Admin) -> dict[str, Any]:
    """``{"tokens": [{"id", "user", "created_at", "expires_at"}]}``: the API tokens, never the secrets."""
    return {"tokens": token_rows(served.catalog)}


@router.post("/tokens", status_code=201, openapi_extra=body_schema(TokenIn))
def post_token(served: Served, _: Admin, body: Annotated[TokenIn, Depends(json_body(TokenIn))]) -> dict[str, str]:
    """A new API token acting as ``user``: ``{"token", "user", "id"}`` (the token is shown only now)."""
    token = create_token(served.catalog, body.user, ttl=timedelta(days=body.days) if body.days else None)
    return {"token": token, "user": body.user, "id": token_id(token)}


@router.delete("/tokens/{token_id}")
def delete_token(served: Served, _: Admin, token_id: str) -> dict[str, str]:
    """Revoke an API token by its id: refused from the next request on."""
    user = revoke_token_id(served.catalog, token_id)
    if user is None:
        raise HTTPException(404, f"no API token has the id {token_id!r}; GET /api/tokens lists them")
    return {"revoked": token_id, "user": user}


@router.get("/queries")
def get_queries(served: Served, user: Viewer) -> dict[str, Any]:
    """``{"queries": [{"id", "name", "where", "sort", "order", "owner", "team", "created_at", "link"}]}``: the
    user's own and the team's."""
    return {"queries": list_queries(served.catalog, user)}


@router.post("/queries", status_code=201, openapi_extra=body_schema(QueryIn))
def post_query(served: Served, user: Viewer, body: Annotated[QueryIn, Depends(json_body(QueryIn))]) -> dict[str, Any]:
    """Save a query (replacing the user's own of the same name); ``link`` opens it in the episode browser."""
    try:
        return save_query(served.catalog, user, body.name, body.where, body.sort, body.order, body.team)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc


@router.delete("/queries/{query_id}")
def remove_query(served: Served, user: Viewer, query_id: int) -> dict[str, int]:
    """Delete one's own query (a manager: anyone's)."""
    try:
        found = delete_query(served.catalog, user, query_id)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    if not found:
        raise HTTPException(404, f"no saved query {query_id} of yours; GET /api/queries lists them")
    return {"deleted": query_id}
