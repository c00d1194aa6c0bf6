"""The review routes beyond a single decision: the queue, segment edits and reviewers' agreement."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from robofuel.server.agreement import agreement, latest_decisions
from robofuel.server.api import Served, _known
from robofuel.server.auth import User
from robofuel.server.bodies import body_schema, json_body
from robofuel.server.queue import DEFAULT_BELOW, review_queue
from robofuel.server.reviews import agreement_rows
from robofuel.server.security import requires
from robofuel.server.segments import edit_segment

router = APIRouter(prefix="/api")
Viewer = Annotated[User, Depends(requires("viewer"))]
Reviewer = Annotated[User, Depends(requires("reviewer"))]
Manager = Annotated[User, Depends(requires("manager"))]


class SegmentEdit(BaseModel):
    """New boundaries (s from the episode start) and/or label of a segment; none of them: confirm it as it is."""

    model_config = ConfigDict(extra="forbid")
    start_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    end_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    label: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _ordered(self) -> SegmentEdit:
        if self.start_s is not None and self.end_s is not None and self.end_s < self.start_s:
            raise ValueError(f"end_s {self.end_s} is before start_s {self.start_s}")
        return self


@router.get("/review/queue")
def queue(
    served: Served,
    _: Viewer,
    below: Annotated[float, Query(ge=0.0, le=1.0, description="Segments less confident than this.")] = DEFAULT_BELOW,
    limit: Annotated[int, Query(ge=1, le=1000, description="Episodes per page.")] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """``{"items": [{"episode", "kind": "episode"|"annotation", "reason", "verdict", "start_s", "end_s", "label",
    "confidence", "segment"}], "episodes": n}``: needs_review episodes and low-confidence segments (reading what
    waits is a viewer's; deciding on it a reviewer's)."""
    return review_queue(served.lake, served.catalog, below, limit, offset)


@router.patch("/episodes/{episode_id}/segments/{index}", openapi_extra=body_schema(SegmentEdit))
def patch_segment(
    served: Served,
    user: Reviewer,
    episode_id: str,
    index: int,
    edit: Annotated[SegmentEdit, Depends(json_body(SegmentEdit))],
) -> dict[str, Any]:
    """Move a segment's boundaries and/or rename it: ``{"review": the audit row, "segments": the episode's}``."""
    try:
        return edit_segment(
            served.lake,
            served.catalog,
            _known(served, episode_id),
            index,
            user.name,
            edit.start_s,
            edit.end_s,
            edit.label,
            edit.reason,
        )
    except IndexError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/review/agreement")
def review_agreement(served: Served, _: Manager, kind: Literal["episode", "annotation"] = "episode") -> dict[str, Any]:
    """How often two reviewers decided alike on the same item: ``{"kind", "items", "agreeing", "fraction",
    "kappa", "pairs"}`` (kappa: Cohen's, None where undefined)."""
    return {"kind": kind, **agreement(latest_decisions(agreement_rows(served.catalog, kind)))}
