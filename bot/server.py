"""The HTTP server: a Starlette app served by uvicorn. Its routes, in one table, are the public paths.

Slack's requests are answered on the event loop as soon as the listener acknowledges; blocking work
(GitLab, the database) runs in thread pools (bot.slack.background), so a slow GitLab delays nobody.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
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
from bot.oidc.http import configured as oidc_configured
from bot.oidc.http import oidc_routes
from bot.runtime import Runtime
from bot.slack.malformed import SlackRequestHandler

HTTP_REQUESTS = Counter("logdive_http_requests_total", "HTTP requests", ["path", "status"])
HTTP_SECONDS = Histogram(
    "logdive_http_request_seconds",
    "HTTP request latency",
    ["path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3, 10),
)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def routes(runtime: Runtime, slack: AsyncSlackRequestHandler) -> list[BaseRoute]:
    """The route table: the public paths."""

    async def slack_events(request: Request) -> Response:
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
            await runtime.work.drain(timeout=5)
            bolt.client.session = None
            await session.close()
            # Stopped here, not after uvicorn returns: on SIGTERM uvicorn re-raises the signal once it
            # has shut down, so code after `server.run()` never runs.
            await asyncio.to_thread(runtime.stop)

    table = routes(runtime, SlackRequestHandler(bolt))  # Bolt's adapter, its body parsing guarded
    if oidc_configured(runtime.settings):  # step-up sign-in for the review keys (LOGDIVE_OIDC_*)
        table += oidc_routes(runtime.settings, bolt.client, runtime.clock, runtime.kick)
    app = Starlette(routes=table, lifespan=lifespan)
    return _Measured(app, {route.path for route in table if isinstance(route, Route)})
