"""The FastAPI application: limits, errors, the page, and the routes of :mod:`._routes`.

Every error is JSON ``{"error": ..., "field": ...}``: 400 malformed JSON, 404 unknown
path or model, 413 body too large, 415 wrong content type, 422 invalid field (the message
names it), 503 over the per-request time limit. CPU work runs in a bounded thread pool
under the per-request timeout, never on the event loop. No CORS headers are sent (the
page is served from the same origin); the page gets a strict Content-Security-Policy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from importlib import resources
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cellresponse.pipeline import QueryError
from cellresponse.service._errors import ServiceError, error_response, validation_message
from cellresponse.service._state import ServedModel, ServiceSettings

log = logging.getLogger("cellresponse")
T = TypeVar("T")
API = "/api/v1"
JSON_ROUTES = {f"{API}/response", f"{API}/expression", f"{API}/repurposing"}
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class LimitsMiddleware:
    """Body-size cap (413), JSON content type on the JSON routes (415), security headers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        reject = None
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            reject = (413, f"body: {length} bytes exceed the limit of {self.max_body} bytes")
        elif scope.get("method") == "POST" and path in JSON_ROUTES:
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                reject = (415, f"Content-Type must be application/json, got {ctype or 'none'!r}")
        if reject is not None:
            response = error_response(reject[0], reject[1], "body" if reject[0] == 413 else "Content-Type")
            await response(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise HTTPException(413, f"body: more than the limit of {self.max_body} bytes")
            return message

        page = not (path.startswith("/docs") or path.startswith("/static-offline-docs"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if page:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)


class Runner:
    """Runs CPU work in a bounded thread pool under the per-request timeout."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.limiter = anyio.CapacityLimiter(settings.threads)

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            with anyio.fail_after(self.settings.timeout_s):
                return await anyio.to_thread.run_sync(
                    partial(fn, *args, **kwargs), abandon_on_cancel=True, limiter=self.limiter
                )
        except TimeoutError:
            raise ServiceError(
                503, f"the request took longer than the limit of {self.settings.timeout_s:g} s; ask for less"
            ) from None


def static_dir() -> str:
    return str(resources.files("cellresponse").joinpath("service", "static"))


def create_app(models: dict[str, ServedModel], *, settings: ServiceSettings | None = None) -> FastAPI:
    """The service's ASGI application serving ``models`` (see :func:`load_served_models`).

    Examples
    --------
    >>> from cellresponse.pipeline import default_bundles            # doctest: +SKIP
    >>> from cellresponse.service import create_app, load_served_models  # doctest: +SKIP
    >>> app = create_app(load_served_models([(None, p) for p in default_bundles()]))  # doctest: +SKIP
    """
    from fastapi_offline import FastAPIOffline

    from cellresponse import __version__
    from cellresponse.service._routes import build_router

    settings = settings or ServiceSettings()
    app = FastAPIOffline(
        title="cellresponse",
        version=__version__,
        description=(
            "Predictions of cellresponse model bundles: drug response (known or new cell lines and drugs), "
            "L1000 expression signatures with dose curves, and repurposing queries ranked by connectivity."
        ),
        redoc_url=None,
    )
    app.state.models = models
    app.state.settings = settings
    app.state.started = time.time()
    app.state.run = Runner(settings)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, message, field = validation_message(list(exc.errors()))
        return error_response(status, message, field)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = "body: could not be parsed (malformed JSON or form data)"
        return error_response(exc.status_code, detail, "body" if exc.status_code in (400, 413) else None)

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc.status, str(exc), exc.field)

    @app.exception_handler(QueryError)
    async def _query(_: Request, exc: QueryError) -> JSONResponse:
        return error_response(422, str(exc), exc.field)

    @app.exception_handler(ValueError)
    async def _value(_: Request, exc: ValueError) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(KeyError)
    async def _key(_: Request, exc: KeyError) -> JSONResponse:
        return error_response(422, str(exc.args[0]) if exc.args else "unknown key")

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error", exc_info=exc)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log")

    app.include_router(build_router(), prefix=API)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(f"{static_dir()}/index.html", media_type="text/html")

    app.add_middleware(LimitsMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


__all__ = ["API", "Runner", "create_app"]
