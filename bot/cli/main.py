"""`logdive`: the console script. Each command group registers itself here, in one place."""

from __future__ import annotations

import typer

from bot.cli import artefacts, cases, check, db, serve

app = typer.Typer(
    name="logdive",
    help="Customer security-incident log-dive requests: Slack → confidential GitLab issue → back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # a person gets a clear message, never a traceback
)

db.register(app)
cases.register(app)
check.register(app)
serve.register(app)
artefacts.register(app)


def run() -> None:
    app()
