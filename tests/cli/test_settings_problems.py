"""A settings problem is one line naming the setting and what it allows, exit 2, on every command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli.main import COMMAND_MODULES, build_app
from bot.settings import get_settings
from tests.cli.conftest import Run

# (name, environment, the error line's start, a part of it that says what is allowed or what is wrong)
PROBLEMS: list[tuple[str, dict[str, str], str, str]] = [
    (
        "config missing",
        {"LOGDIVE_CONFIG": "{tmp}/missing.toml"},
        "LOGDIVE_CONFIG: cannot read {tmp}/missing.toml: No such file or directory",
        "(allowed: the path of a TOML file)",
    ),
    (
        "config malformed",
        {"LOGDIVE_CONFIG": "{tmp}/broken.toml"},
        "LOGDIVE_CONFIG: {tmp}/broken.toml",
        "not valid TOML",
    ),
    (
        "config value",
        {"LOGDIVE_CONFIG": "{tmp}/loud.toml"},
        "LOGDIVE_LOG_LEVEL: 'LOUD' is not a log level",
        "(allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL)",
    ),
    (
        "log level",
        {"LOGDIVE_LOG_LEVEL": "LOUD"},
        "LOGDIVE_LOG_LEVEL: 'LOUD' is not a log level",
        "(allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL)",
    ),
    (
        "number",
        {"LOGDIVE_GITLAB_TIMEOUT": "soon"},
        "LOGDIVE_GITLAB_TIMEOUT: Input should be a valid number",
        "unable to parse string as a number",
    ),
    (
        "policy missing",
        {"LOGDIVE_POLICY": "{tmp}/nope/policy.toml"},
        "LOGDIVE_POLICY: cannot read {tmp}/nope/policy.toml: No such file or directory",
        "(allowed: the path of a TOML file)",
    ),
    (
        "policy malformed",
        {"LOGDIVE_POLICY": "{tmp}/broken.toml"},
        "LOGDIVE_POLICY: {tmp}/broken.toml",
        "not valid TOML",
    ),
    (
        "policy value",
        {"LOGDIVE_POLICY": "{tmp}/narrow-cap.toml"},
        "LOGDIVE_POLICY: eligibility: hard_max_resources and hard_max_event_types must be at least",
        "a wider scope is re-scoped, not refused",
    ),
]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "broken.toml").write_text('database_url = "sqlite:///x.db\n[eligibility\n', encoding="utf-8")
    (tmp_path / "loud.toml").write_text('logdive_log_level = "LOUD"\n', encoding="utf-8")
    (tmp_path / "narrow-cap.toml").write_text("[eligibility]\nhard_max_resources = 5\n", encoding="utf-8")
    return tmp_path


def _fill(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp))


def _leaf_commands() -> Iterator[list[str]]:
    """Every command a person can run, as its words: ['check'], ['cases', 'list'], …"""

    def walk(command: Any, path: list[str]) -> Iterator[list[str]]:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path

    yield from walk(typer.main.get_command(build_app()), [])


LEAVES = list(_leaf_commands())


def test_every_command_is_walked() -> None:
    tops = {leaf[0] for leaf in LEAVES}
    assert tops == {name for names in COMMAND_MODULES.values() for name in names}
    assert len(LEAVES) > len(tops)  # the groups' subcommands too


@pytest.mark.parametrize(("name", "env", "start", "allowed"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_every_command_gives_one_line_and_exit_2(
    name: str, env: dict[str, str], start: str, allowed: str, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app()
    for key, value in env.items():
        monkeypatch.setenv(key, _fill(value, files))
    for words in LEAVES:
        get_settings.cache_clear()
        result = CliRunner().invoke(app, [*words, "--json"] if words == ["check"] else words)
        shown = " ".join(words)
        assert result.exit_code == 2, f"logdive {shown}: {result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), f"logdive {shown}"
        [line] = result.stderr.splitlines()
        assert line.startswith(f"error: {_fill(start, files)}"), f"logdive {shown}: {line}"
        assert allowed in line


@pytest.mark.parametrize(("name", "env", "start", "allowed"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_the_console_script_says_the_same_for_check_and_serve(
    name: str, env: dict[str, str], start: str, allowed: str, files: Path, logdive: Run
) -> None:
    filled = {key: _fill(value, files) for key, value in env.items()}
    for words in (["check", "request.json"], ["serve"]):
        done = logdive(*words, env=filled)  # a traceback anywhere fails here
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith(f"error: {_fill(start, files)}") and allowed in line


@pytest.mark.parametrize("command", sorted({name for names in COMMAND_MODULES.values() for name in names}))
def test_each_installed_command_refuses_a_bad_log_level(command: str, logdive: Run) -> None:
    done = logdive(command, env={"LOGDIVE_LOG_LEVEL": "LOUD"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: LOGDIVE_LOG_LEVEL: 'LOUD' is not a log level (allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL)"
    ]


def test_help_still_works_with_broken_settings(logdive: Run) -> None:
    done = logdive("check", "--help", env={"LOGDIVE_LOG_LEVEL": "LOUD"})
    assert done.returncode == 0 and "Usage: logdive check" in done.stdout


def test_check_with_json_output_gives_the_problem_as_json(files: Path) -> None:
    get_settings.cache_clear()
    result = CliRunner().invoke(build_app(), ["check", "x.json", "--json"], env={"LOGDIVE_LOG_LEVEL": "LOUD"})
    assert result.exit_code == 2
    assert '"field": "LOGDIVE_LOG_LEVEL"' in result.stdout
