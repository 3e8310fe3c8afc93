"""`logdive serve`, `logdive socket` and `logdive sweep`: the bot over HTTP, over Socket Mode, one tick."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console

from bot.clock import fixed, parse_moment, utc_now
from bot.db.engine import upgrade
from bot.logs import configure_logging
from bot.runtime import MissingSettings, Runtime, check_settings, freeze_start_up_heap
from bot.settings import Settings, get_settings
from bot.slack import log_safety

err = Console(stderr=True)


def _settings_for(mode: str) -> Settings:
    settings = get_settings()
    try:
        check_settings(settings, mode)
    except MissingSettings as missing:
        err.print(
            f"logdive {mode}: missing {', '.join(missing.names)} — set "
            f"{'it' if len(missing.names) == 1 else 'them'} in the environment or the LOGDIVE_CONFIG file.",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    log_safety.install()
    return settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104 -- a server
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    ) -> None:
        """Serve Slack (POST /slack/events), /healthz and /metrics over HTTP; migrations are applied first."""
        import uvicorn

        from bot.server import create_server

        settings = _settings_for("serve")
        upgrade(settings.database_url)
        runtime = Runtime(settings)
        server = uvicorn.Server(
            uvicorn.Config(
                create_server(runtime),
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=10,
            )
        )
        runtime.start()
        freeze_start_up_heap()
        try:
            server.run()
        finally:
            runtime.stop()

    @app.command()
    def socket() -> None:
        """Run the same bot over Slack Socket Mode (SLACK_APP_TOKEN); no public URL needed."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        settings = _settings_for("socket")
        upgrade(settings.database_url)
        runtime = Runtime(settings)
        assert settings.slack_app_token is not None
        bolt = runtime.slack_app(socket_mode=True)
        app_token = settings.slack_app_token.get_secret_value()

        async def run_socket_mode() -> None:
            # Made inside the running loop: the Socket Mode client's aiohttp session and its message
            # processor belong to the loop that exists when it is constructed (none before asyncio.run).
            handler = AsyncSocketModeHandler(bolt, app_token)
            await handler.start_async()

        runtime.start()
        freeze_start_up_heap()
        try:
            asyncio.run(run_socket_mode())
        except KeyboardInterrupt:
            pass
        finally:
            runtime.stop()

    @app.command()
    def sweep(
        now: Annotated[
            str | None, typer.Option(help="Replay this ISO 8601 moment, e.g. 2026-11-08T09:00:00Z.")
        ] = None,
    ) -> None:
        """One scheduler tick (outbox, reminders, retention), for cron."""
        settings = _settings_for("sweep")
        try:
            clock = fixed(parse_moment(now)) if now else utc_now
        except ValueError as exc:
            err.print(f"--now: {exc}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        upgrade(settings.database_url)
        runtime = Runtime(settings, clock=clock)
        results = runtime.tick(clock())
        runtime.work.shutdown()
        report = results.get("deliver_outbox")
        if report is None:
            err.print("outbox: delivery failed; see the log", highlight=False, markup=False)
            raise typer.Exit(1)
        print(
            f"outbox: {len(report.delivered)} delivered, {len(report.retrying)} retrying, "
            f"{len(report.parked)} parked",
            file=sys.stdout,
        )
        timed = results.get("send_timed_work")
        if timed is None:
            err.print("timed work: the reminder pass failed; see the log", highlight=False, markup=False)
            raise typer.Exit(1)
        print(timed.summary(), file=sys.stdout)
