"""The console's HTTP API under ``/api``: the documents ``robofuel ls --json`` and ``show --json`` print, and
review decisions. Every route but ``/api/health`` needs a token or a session (see :mod:`robofuel.server.security`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from robofuel import __version__
from robofuel.catalog.browse import DEFAULT_SORT, Page, sorted_by
from robofuel.catalog.db import SORTABLE
from robofuel.documents import episode_document, episode_list
from robofuel.server.auth import User, csrf_token
from robofuel.server.reviews import record_review, review_rows
from robofuel.server.security import SESSION_COOKIE, Console, console, current_user, requires

router = APIRouter(prefix="/api")
Viewer = Annotated[User, Depends(requires("viewer"))]
Reviewer = Annotated[User, Depends(requires("reviewer"))]
Served = Annotated[Console, Depends(console)]


class ReviewIn(BaseModel):
    """A decision on an episode; ``start_s``/``end_s`` (s from the episode start) name the span looked at."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"]
    start_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    end_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    reason: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _ordered(self) -> ReviewIn:
        if self.start_s is not None and self.end_s is not None and self.end_s < self.start_s:
            raise ValueError(f"end_s {self.end_s} is before start_s {self.start_s}")
        return self


class ReviewOut(BaseModel):
    """A decision as the audit trail keeps it."""

    id: int
    episode_id: str
    decision: str = Field(description="accept | reject | edit (a segment edit, which keeps the verdict)")
    verdict: str
    start_s: float | None
    end_s: float | None
    reason: str
    reviewer: str
    at: str = Field(description="When, ISO 8601 UTC.")
    segment: int | None = Field(default=None, description="A segment edit: the segment's index before it.")
    label: str | None = Field(default=None, description="A segment edit: the segment's label after it.")


class SessionOut(BaseModel):
    user: str
    role: str
    csrf_token: str | None = Field(description="Send it as X-CSRF-Token with writes made with the session cookie.")


def _known(served: Console, episode_id: str) -> str:
    """``episode_id`` when the catalog has exactly that episode; 404 otherwise (ids, not prefixes, in the API)."""
    if served.catalog.match_episodes(episode_id, limit=1) != [episode_id]:
        raise HTTPException(404, f"no episode {episode_id!r}; GET /api/episodes lists them")
    return episode_id


@router.get("/health")
def health() -> dict[str, str]:
    """Whether the console is up (no sign-in needed)."""
    return {"status": "ok", "version": __version__}


@router.get("/session", response_model=SessionOut)
def session(request: Request, user: Annotated[User, Depends(current_user)]) -> SessionOut:
    """Who the request acts as, and the CSRF token of its session (None with a bearer token)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    bearer = "authorization" in request.headers
    return SessionOut(user=user.name, role=user.role, csrf_token=csrf_token(cookie) if cookie and not bearer else None)


@router.get("/episodes")
def list_episodes(
    served: Served,
    _: Viewer,
    where: Annotated[str | None, Query(description="A --where filter, e.g. 'verdict = qualified'.")] = None,
    superseded: bool = False,
    sort: Annotated[str, Query(description=f"One of {', '.join(SORTABLE)}; -FIELD: descending.")] = DEFAULT_SORT,
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int | None, Query(ge=0, description="At most this many (default: every match).")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """What ``robofuel ls --where EXPR --sort F --order O --limit N --offset M --json`` prints: ``{"episodes":
    [{"id", "duration_s", "verdict", ...}], "total", "limit", "offset"}`` (``total``: every match)."""
    whole = sorted_by(sort, order)
    return episode_list(served.catalog, where, superseded, Page(whole.sort, whole.order, limit, offset))


@router.get("/episodes/{episode_id}")
def get_episode(served: Served, _: Viewer, episode_id: str) -> dict[str, Any]:
    """What ``robofuel show EPISODE --json`` prints: the episode's metadata as the standard defines it."""
    return episode_document(served.lake, served.catalog, _known(served, episode_id))


@router.get("/episodes/{episode_id}/reviews", response_model=list[ReviewOut])
def list_reviews(served: Served, _: Viewer, episode_id: str) -> list[dict[str, Any]]:
    """Every decision on the episode, oldest first: the last one set its verdict."""
    return review_rows(served.catalog, _known(served, episode_id))


async def review_body(request: Request) -> ReviewIn:
    """The request's body as a review, read only once the user is known (a dependency after :data:`Reviewer`, so
    that a request without a token is 401 whatever its body; FastAPI reads a declared body before any check)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send the review as JSON, with Content-Type: application/json")
    try:
        return ReviewIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False, include_url=False)) from exc


_REVIEW_BODY = {"required": True, "content": {"application/json": {"schema": ReviewIn.model_json_schema()}}}


@router.post(
    "/episodes/{episode_id}/reviews",
    status_code=201,
    response_model=ReviewOut,
    openapi_extra={"requestBody": _REVIEW_BODY},
)
def post_review(
    served: Served, user: Reviewer, episode_id: str, review: Annotated[ReviewIn, Depends(review_body)]
) -> dict[str, Any]:
    """Accept or reject the episode: its verdict (``qualified`` or ``rejected``) follows the latest decision."""
    return record_review(
        served.lake,
        served.catalog,
        _known(served, episode_id),
        review.decision,
        user.name,
        review.start_s,
        review.end_s,
        review.reason,
    )
