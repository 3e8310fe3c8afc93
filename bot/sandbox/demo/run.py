"""`logdive demo`: the real server (the same ASGI app `logdive serve` runs) on SQLite in a temporary
directory, pointed at the Slack and GitLab stand-ins, with the demo page mounted beside it at /demo."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bot import outbox
from bot.clock import utc_now
from bot.db.engine import upgrade
from bot.runtime import Runtime
from bot.sandbox.demo.page import Demo, DemoClock
from bot.sandbox.demo.sample_logs import write_sample_logs
from bot.sandbox.demo.workspace import Workspace
from bot.sandbox.demo.world import World, start_world
from bot.server import CleanStopServer, create_server

DEMO_PREFIX = "/demo"


class _DemoBeside:
    """Requests under /demo go to the demo page; everything else (and the lifespan) to the bot."""

    def __init__(self, bot: Any, demo: Any) -> None:
        self.bot = bot
        self.demo = demo

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == DEMO_PREFIX or path.startswith(DEMO_PREFIX + "/")):
            await self.demo(scope, receive, send)
        else:
            await self.bot(scope, receive, send)


@dataclass
class Sandbox:
    world: World
    runtime: Runtime
    demo: Demo
    server: uvicorn.Server
    sock: socket.socket
    directory: tempfile.TemporaryDirectory[str]

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"  # noqa: S104

    def serve(self) -> None:
        """Serve until Ctrl-C or SIGTERM (either: exit 0); the stand-ins and the temporary directory go with
        it."""
        self.runtime.start()
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.world.stop()
            self.directory.cleanup()


def build(*, host: str, port: int, sweep_hours: float, clock: Callable[[], Any] = utc_now) -> Sandbox:
    """Everything bound and migrated, nothing served yet (`Sandbox.serve`). Raises OSError when the port
    is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)  # connections wait in the backlog from now on, not refused until uvicorn starts
    except OSError:
        sock.close()
        raise
    bound_host, bound_port = sock.getsockname()[:2]
    local = f"http://{'127.0.0.1' if bound_host == '0.0.0.0' else bound_host}:{bound_port}"  # noqa: S104
    directory = tempfile.TemporaryDirectory(prefix="logdive-demo-")
    demo_clock = DemoClock(clock)
    world = start_world(demo_clock().astimezone(UTC).date())
    world.hook_into(local)
    logs = write_sample_logs(Path(directory.name) / "logs", demo_clock().astimezone(UTC))
    settings = world.settings(directory=Path(directory.name), public_url=local, log_sources=logs)
    upgrade(settings.database_url)
    runtime = Runtime(
        settings,
        clock=demo_clock,
        tick_seconds=2.0,
        retry=outbox.RetryPolicy(base_seconds=2, cap_seconds=20, max_attempts=10),
    )
    demo = Demo(
        world=world,
        workspace=Workspace(world.slack, local, world.signing_secret),
        clock=demo_clock,
        sweep_hours=sweep_hours,
        kick=runtime.kick,
    )
    page = Starlette(routes=demo.routes())
    app = _DemoBeside(create_server(runtime), page)
    server = CleanStopServer(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    )
    return Sandbox(world, runtime, demo, server, sock, directory)
