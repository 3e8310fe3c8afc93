"""`logdive serve`, `logdive socket` and `logdive sweep`: the bot over HTTP, over Socket Mode, one tick."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from bot.logs import get_logger

if TYPE_CHECKING:  # the bot itself is imported when a command runs, not for `--help`
    from types import FrameType

    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.runtime import Runtime
    from bot.settings import Settings

err = Console(stderr=True)
log = get_logger(__name__)

# apps.connections.open's answers for an app-level token that will never work: retrying is pointless.
REFUSED_APP_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_allowed_token_type",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
    }
)
LINK_RETRY_CAP_SECONDS = 30.0
# A stop signal ends the process within 10 s (Kubernetes allows 30): open HTTP requests get this long,
# handed-on Slack work 3 s (bot.slack.background), and the tick stops between items.
GRACEFUL_HTTP_SECONDS = 4


class AppTokenRefused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _settings_for(mode: str) -> Settings:
    from bot.logs import configure_logging
    from bot.runtime import InvalidSetting, MissingSettings, advisories, check_settings
    from bot.settings import get_settings
    from bot.slack import log_safety

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
    except InvalidSetting as invalid:
        err.print(f"logdive {mode}: {invalid}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    log_safety.install()
    for advice in advisories(settings, mode):
        err.print(f"logdive {mode}: warning: {advice}.", highlight=False, markup=False)
    return settings


async def _first_link(client: AsyncWebClient, app_token: str) -> str:
    """The first Socket Mode link, asked for here and not by the handler, which would retry a refused token
    every 10 s for ever with a traceback each time. A refused token raises AppTokenRefused; network errors,
    5xx and rate limits are retried with back-off."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    delay = 1.0
    while True:
        try:
            return str((await client.apps_connections_open(app_token=app_token))["url"])
        except SlackApiError as exc:
            # A body that is not JSON leaves aiohttp's own response here, with `status`, without `data`.
            data = getattr(exc.response, "data", None)
            status = getattr(exc.response, "status_code", None) or getattr(exc.response, "status", None)
            error = str((data.get("error") if isinstance(data, dict) else None) or f"HTTP {status}")
            if error in REFUSED_APP_TOKEN:
                raise AppTokenRefused(error) from None
            retry_after = exc.response.headers.get("Retry-After") if error == "ratelimited" else None
            wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error, wait = type(exc).__name__, delay
        log.warning("socket.link_failed", error=error, retry_in_seconds=wait)
        await asyncio.sleep(wait)
        delay = min(delay * 2, LINK_RETRY_CAP_SECONDS)


async def _run_socket_mode(runtime: Runtime, bolt: AsyncApp, app_token: str) -> None:
    """Serve Socket Mode until SIGTERM or SIGINT, then close the websocket and let handed-on work finish."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.runtime import freeze_start_up_heap

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    stop_signals = (signal.SIGTERM, signal.SIGINT)

    def stop(signum: signal.Signals) -> None:
        for other in stop_signals:  # a second signal is not caught: it ends the process at once
            loop.remove_signal_handler(other)
        main.cancel()
        runtime.request_stop()  # the tick stops between items while the websocket closes
        log.info("socket.stopping", signal=signum.name)  # last: a failed write (stderr gone) must not stop it

    for signum in stop_signals:
        loop.add_signal_handler(signum, stop, signum)
    handler: AsyncSocketModeHandler | None = None
    try:
        link = await _first_link(bolt.client, app_token)
        runtime.start()
        freeze_start_up_heap()
        # Made inside the running loop: the Socket Mode client's aiohttp session and its message
        # processor belong to the loop that exists when it is constructed (none before asyncio.run).
        handler = AsyncSocketModeHandler(bolt, app_token)
        handler.client.wss_uri = link  # connect() asks for a link only when it has none
        await handler.start_async()  # sleeps for ever once connected
    except asyncio.CancelledError:
        pass  # stop() cancelled it: a clean stop, not an error
    finally:
        if handler is not None:
            await handler.close_async()  # the close frame: Slack stops sending this connection envelopes
        await runtime.work.close()


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104 -- a server
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    ) -> None:
        """Serve Slack (POST /slack/events), /healthz and /metrics over HTTP; migrations are applied first.
        SIGTERM or SIGINT stops it within 10 s; outbox items not started stay pending for the next process."""
        import uvicorn

        from bot.db.engine import upgrade
        from bot.runtime import Runtime, freeze_start_up_heap
        from bot.server import CleanStopServer, create_server

        settings = _settings_for("serve")
        upgrade(settings.database_url)
        runtime = Runtime(settings)

        class Server(CleanStopServer):
            def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                runtime.request_stop()  # at once: the tick winds down while uvicorn closes connections
                super().handle_exit(sig, frame)

        server = Server(
            uvicorn.Config(
                create_server(runtime),
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=GRACEFUL_HTTP_SECONDS,
            )
        )
        runtime.start()
        freeze_start_up_heap()
        server.run()  # its shutdown stops the runtime (bot.server)

    @app.command()
    def socket() -> None:
        """Run the same bot over Slack Socket Mode (SLACK_APP_TOKEN); no public URL needed.
        SIGTERM or SIGINT stops it cleanly (exit 0); an app-level token Slack refuses ends it (exit 2)."""
        from bot.db.engine import upgrade
        from bot.runtime import Runtime

        settings = _settings_for("socket")
        upgrade(settings.database_url)
        runtime = Runtime(settings)
        assert settings.slack_app_token is not None
        bolt = runtime.slack_app(socket_mode=True)
        try:
            asyncio.run(_run_socket_mode(runtime, bolt, settings.slack_app_token.get_secret_value()))
        except AppTokenRefused as refused:
            err.print(
                f"logdive socket: Slack refused SLACK_APP_TOKEN ({refused.error}); it must be a current "
                "app-level token, xapp-…, of this app, with the connections:write scope.",
                highlight=False,
                markup=False,
            )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
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
        from bot.clock import fixed, parse_moment, utc_now
        from bot.db.engine import upgrade
        from bot.runtime import Runtime

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
