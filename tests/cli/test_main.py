"""The console script loads only the module a command needs, and the map of commands stays true."""

from __future__ import annotations

import typer.main

from bot.cli.main import COMMAND_MODULES, build_app
from tests.cli.conftest import Run


def _names(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_each_listed_command_comes_from_its_module_alone() -> None:
    for module, names in COMMAND_MODULES.items():
        for name in names:
            assert _names(build_app(name)) == set(names), f"{module} should register exactly {names}"


def test_the_full_cli_has_every_listed_command() -> None:
    every = {name for names in COMMAND_MODULES.values() for name in names}
    assert every <= _names(build_app())


def test_a_single_loaded_command_is_still_a_subcommand(logdive: Run) -> None:
    done = logdive("check", "--help")
    assert done.returncode == 0 and "Usage: logdive check" in done.stdout
