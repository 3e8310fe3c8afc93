"""The HTTP server: a Starlette app served by uvicorn. Its routes, in one table, are the public paths.

Before any route runs, a request body over its limit (LOGDIVE_MAX_BODY_BYTES; the GitLab webhook
LOGDIVE_MAX_WEBHOOK_BODY_BYTES) is refused with 413, unread (`_BodyLimit`). Slack's requests are then
checked against their signature before Bolt sees them (bot.slack.signature); a refused one is logged
with its length and the reason, nothing of its content.

Slack's requests are answered on the event loop as soon as the listener acknowledges; blocking work
(GitLab, the database) runs in thread pools (bot.slack.background), so a slow GitLab delays nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import metrics as case_metrics
from bot.artefacts.http import download_route
from bot.artefacts.vault import Vault
from bot.gitlab import webhook as gitlab_webhook
from bot.logs import get_logger
from bot.oidc.http import configured as oidc_configured
from bot.oidc.http import oidc_routes
from bot.runtime import Runtime
from bot.slack import signature
from bot.slack.malformed import SlackRequestHandler

HTTP_REQUESTS = Counter("logdive_http_requests_total", "HTTP requests", ["path", "status"])
HTTP_SECONDS = Histogram(
    "logdive_http_request_seconds",
    "HTTP request latency",
    ["path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3, 10),
)

log = get_logger(__name__)
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def routes(runtime: Runtime, slack: AsyncSlackRequestHandler) -> list[BaseRoute]:
    """The route table: the public paths."""

    secret = runtime.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret is not None else ""

    async def slack_events(request: Request) -> Response:
        body = await request.body()  # whole, and within the limit (_BodyLimit)
        refused = signature.refusal(
            body,
            request.headers.get("x-slack-request-timestamp"),
            request.headers.get("x-slack-signature"),
            signing_secret,
            time.time(),
        )
        if refused is not None:
            log.warning("slack.request_refused", reason=refused, length=len(body))
            return JSONResponse({"error": "invalid request"}, status_code=401)
        return await slack.handle(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def metrics(_request: Request) -> Response:
        # The case gauges are read from the database, in the database thread pool.
        body = await runtime.work.db(case_metrics.exposition, runtime.database_url, runtime.clock)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/gitlab/webhook", gitlab_webhook.endpoint(runtime), methods=["POST"]),
        # One-time artefact downloads for the case owner (GET shows a button; POST hands the file over).
        download_route(
            runtime.settings.database_url, lambda: Vault.from_settings(runtime.settings), runtime.clock
        ),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


class _Measured:
    """Counts and times every request by route path (a fixed set: unknown paths count as `other`)."""

    def __init__(self, app: ASGIApp, paths: set[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.paths else "other"
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            HTTP_SECONDS.labels(path).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(path, str(status)).inc()


class _BodyLimit:
    """Refuses a request body over its path's limit with 413 before anything reads it: at once when
    Content-Length declares too much, as soon as a chunked body passes the limit. The body is read here
    (never more than the limit) and handed on whole; the connection of a refused one is closed."""

    def __init__(self, app: ASGIApp, limit: int, by_path: dict[str, int], paths: set[str]) -> None:
        self.app = app
        self.limit = limit
        self.by_path = by_path
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        handed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal handed
            if handed:
                return await receive()  # http.disconnect, when it comes
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Any, limit: int) -> None:
        path = scope["path"] if scope["path"] in self.paths else "other"  # never the attacker's text
        log.warning("http.body_too_large", path=path, limit=limit)
        response = JSONResponse(
            {"error": f"the request body is larger than {limit} bytes"},
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, self._no_receive, send)

    @staticmethod
    async def _no_receive() -> MutableMapping[str, Any]:
        return {"type": "http.disconnect"}


def create_server(runtime: Runtime) -> Any:
    bolt = runtime.slack_app()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # One HTTP session for every Slack Web API call of this process (keep-alive, no per-call set-up).
        session = aiohttp.ClientSession()
        bolt.client.session = session
        try:
            yield
        finally:
            await runtime.work.close()
            bolt.client.session = None
            await session.close()
            # Stopped here, not after uvicorn returns: on SIGTERM uvicorn re-raises the signal once it
            # has shut down, so code after `server.run()` never runs.
            await asyncio.to_thread(runtime.stop)

    table = routes(runtime, SlackRequestHandler(bolt))  # Bolt's adapter, its body parsing guarded
    if oidc_configured(runtime.settings):  # step-up sign-in for the review keys (LOGDIVE_OIDC_*)
        table += oidc_routes(runtime.settings, bolt.client, runtime.clock, runtime.kick)
    paths = {route.path for route in table if isinstance(route, Route)}
    settings = runtime.settings
    limited = _BodyLimit(
        Starlette(routes=table, lifespan=lifespan),
        settings.max_body_bytes,
        {"/gitlab/webhook": settings.max_webhook_body_bytes},
        paths,
    )
    return _Measured(limited, paths)


class CleanStopServer(uvicorn.Server):
    """One rule for `serve`, `socket` and `demo`: SIGTERM or SIGINT is a clean stop, exit 0. (uvicorn
    re-raises the signal once it has shut down, which made SIGTERM exit 143.)"""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()
