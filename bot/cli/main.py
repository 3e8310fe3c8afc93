"""`logdive`: the console script. Each command group registers itself here, in one place.

`run()` imports only the module behind the command being run: `logdive check` does not pay for the
Slack app, the artefact vault or the extractor (with all of them, start-up took 2.5 s of CPU).
`--help`, or a command not listed below, loads them all, which is cheap: each command module imports its
heavy libraries (Slack, GitLab, the database, the vault, the extractor) inside the commands, when they run,
so help imports none of them (tests/cli/test_lazy_help.py). `from bot.cli.main import app` is the full CLI.

Before any command runs, the settings and the policy are loaded: a problem with either is one line naming
the setting and what it allows, exit 2, whichever command was asked for (`--help` still works).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from bot.cli.output import Problem, fail

_ARGS = "logdive.args"
_HELP = frozenset({"--help", "-h"})

# Module -> the command names its register(app) adds. A new module goes here.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "bot.cli.db": ("db",),
    "bot.cli.cases": ("cases",),
    "bot.cli.outbox": ("outbox",),
    "bot.cli.check": ("check",),
    "bot.cli.serve": ("serve", "socket", "sweep"),
    "bot.cli.artefacts": ("artefacts", "keys"),
    "bot.cli.extract": ("extract",),
    "bot.cli.report": ("report",),
    "bot.cli.demo": ("demo",),
}


def build_app(command: str | None = None) -> typer.Typer:
    """The CLI with the module that registers `command`, or with every module."""
    app = typer.Typer(
        name="logdive",
        help="Customer security-incident log-dive requests: Slack → confidential GitLab issue → back.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,  # a person gets a clear message, never a traceback
        cls=_CheckedSettings,
    )

    @app.callback()
    def _group() -> None:
        # Keeps `logdive` a group with one command loaded: `logdive check FILE`, not `logdive FILE`.
        pass

    modules = [module for module, names in COMMAND_MODULES.items() if command in names] or list(
        COMMAND_MODULES
    )
    for module in modules:
        importlib.import_module(module).register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole CLI, for tests that drive it in-process
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CheckedSettings(TyperGroup):
    """The root group: settings and policy checked first; a SettingsError anywhere is one line, exit 2."""

    # typer passes its own Context; the base class names the Context of typer's private vendored click.
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        args = ctx.meta.get(_ARGS, [])
        try:
            if _HELP.isdisjoint(args):  # help reads no settings (and imports none of their libraries)
                from bot.settings import get_settings

                get_settings().load_policy()
            return super().invoke(ctx)
        except Exception as exc:
            from bot.settings import SettingsError

            if not isinstance(exc, SettingsError):
                raise
            fail([Problem(exc.setting, exc.message)], json_output="--json" in args)


def run() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    build_app(command)()
