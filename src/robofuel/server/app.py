"""The console's FastAPI application: :func:`create_app` over a lake and its catalog.

Errors keep the command line's meaning: an :class:`~robofuel.errors.InputError` (a malformed ``where``, a span
outside the episode) is a 400 with its message, a :class:`~robofuel.errors.StorageError` (a lake or catalog that
cannot be written) a 503; nothing answers with a traceback. The interactive API pages FastAPI offers (``/docs``)
are off, since they load scripts from the internet; the schema is at ``/openapi.json``, for signed-in users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from robofuel import __version__
from robofuel.errors import InputError, RobofuelError, StorageError
from robofuel.server import api, api_access, api_releases, api_review, console_pages, ops_api, pages, views
from robofuel.server.auth import User
from robofuel.server.security import Console, requires

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

#: Headers on every response: no sniffing, no framing by other sites, no referrer, nothing cached.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _error(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(_: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handle


async def _invalid_request(_: Request, exc: Exception) -> Response:
    """A 422 naming each problem's place and what is wrong, without echoing the input (which may be NaN, which JSON
    cannot carry, or megabytes long)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors
    ]
    return JSONResponse({"detail": detail or str(exc)}, status_code=422)


async def _secure_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _openapi(request: Request, _: Annotated[User, Depends(requires("viewer"))]) -> JSONResponse:
    """The OpenAPI schema, to signed-in users only (nothing but /login and /api/health answers anyone)."""
    return JSONResponse(request.app.openapi())


def create_app(lake: Lake, catalog: Catalog) -> FastAPI:
    """The console over ``lake`` and ``catalog`` (a writable one: sessions and reviews are written to it)."""
    catalog.check_writable("the console (it keeps sessions and reviews)")
    app = FastAPI(
        title="robofuel console",
        version=__version__,
        description="Episodes, their quality verdicts and people's review decisions, over one robofuel lake.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_api_route("/openapi.json", _openapi, methods=["GET"], include_in_schema=False)
    app.state.console = Console(lake, catalog)
    app.include_router(api.router)
    app.include_router(ops_api.router)
    app.include_router(api_review.router)
    app.include_router(api_access.router)
    app.include_router(api_releases.router)
    app.include_router(pages.router)
    app.include_router(views.router)
    app.include_router(console_pages.router)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StorageError, _error(503))
    app.add_exception_handler(InputError, _error(400))
    app.add_exception_handler(RobofuelError, _error(500))
    app.middleware("http")(_secure_headers)
    views.warm_up()
    return app
