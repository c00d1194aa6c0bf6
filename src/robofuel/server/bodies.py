"""JSON request bodies read only once the user is known, so a request without a token is 401 whatever its body
(FastAPI reads a declared body before any dependency runs): a route takes ``Depends(json_body(Model))`` after its
role dependency, and ``openapi_extra=body_schema(Model)`` to describe it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
#: Bytes a JSON body may have.
MAX_BODY = 65_536


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the request's body as ``model``: 415 when not sent as JSON, 413 when too large, 422
    naming each problem (without echoing the input) when malformed."""

    async def read(request: Request) -> M:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(415, "send the body as JSON, with Content-Type: application/json")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"the body has {len(body)} bytes; at most {MAX_BODY}")
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_input=False, include_url=False)) from exc

    return read


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` describing a body read by :func:`json_body`."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}
