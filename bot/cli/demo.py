"""`logdive demo`: the real bot with local Slack and GitLab stand-ins and a page to act in; a sandbox."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        host: Annotated[str, typer.Option(help="Interface for the page; keep it local.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port of the page and the bot (0: any free port).")] = 3000,
        sweep_hours: Annotated[
            float,
            typer.Option(min=0.5, max=24 * 14, help="Hours the page's Sweep button moves the clock on."),
        ] = 12.0,
    ) -> None:
        """A sandbox: the real bot on SQLite in a temporary directory, local Slack and GitLab stand-ins seeded
        with sample customers, and a page at http://127.0.0.1:3000/demo to act as CSM, Support, SIRT or Legal.
        No accounts, no internet; everything is gone when it stops (Ctrl-C)."""
        from bot.logs import configure_logging
        from bot.sandbox.demo.run import build

        configure_logging("WARNING")
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(
                f"logdive demo: warning: listening on {host}: anyone who reaches the page can act as anyone "
                "in the sandbox."
            )
        try:
            sandbox = build(host=host, port=port, sweep_hours=sweep_hours)
        except OSError as exc:
            err.print(f"logdive demo: cannot listen on {host}:{port} ({exc.strerror}); try --port 3001.")
            raise typer.Exit(2) from None
        print(
            f"Logdive sandbox: open {sandbox.url}/demo (Ctrl-C to stop).\n"
            "Local stand-ins for Slack and GitLab, sample customers, a throw-away database: nothing here "
            "reaches a real workspace or instance.",
            flush=True,
        )
        sandbox.serve()
