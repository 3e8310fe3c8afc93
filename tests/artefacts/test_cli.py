"""`logdive artefacts …` and `logdive keys …` in process: the operator's commands; none acts for a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cases
from bot.cli.main import app
from bot.db.engine import session_scope
from tests.artefacts.conftest import (
    MARKER,
    SIRT2,
    open_case,
    ring_text,
)
from tests.cli.conftest import run_logdive


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "LOGDIVE_ARTEFACT_KEY": ring_text(("k1", 1)),
        "LOGDIVE_ARTEFACT_DIR": str(tmp_path / "store"),
        "COLUMNS": "200",
    }


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
        from bot.settings import get_settings

        get_settings.cache_clear()
        result = self.runner.invoke(app, list(args), env={**self.env, **(env or {})})
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.output
        return result.stdout if code == 0 else result.stderr


@pytest.fixture
def cli(env: dict[str, str]) -> Cli:
    return Cli(env)


def test_the_operator_stores_lists_reads_and_rotates(cli: Cli, database_url: str, tmp_path: Path) -> None:
    case_id = open_case(database_url)
    label = f"LD-{case_id}"
    source = tmp_path / "summary.json"
    source.write_text(f'{{"entries": 3, "note": "{MARKER}"}}')

    assert "artefact 1 stored on" in cli(
        "artefacts", "add", label, str(source), "--kind", "automated_analysis"
    )
    stored = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert len(stored) == 1 and MARKER.encode() not in stored[0].read_bytes()
    [row] = json.loads(cli("artefacts", "list", label, "--json"))["artefacts"]
    assert row["review"] == "not_submitted" and row["kind"] == "automated_analysis"
    assert row["expires_at"] > row["created_at"]

    new_key = {"LOGDIVE_ARTEFACT_KEY": ring_text(("k2", 2), ("k1", 1))}
    assert "1 artefact(s) re-sealed under key 'k2'" in cli("keys", "rotate", env=new_key)
    read = tmp_path / "read.json"
    cli("artefacts", "read", "1", "--out", str(read), env={"LOGDIVE_ARTEFACT_KEY": ring_text(("k2", 2))})
    assert MARKER in read.read_text()
    assert oct(read.stat().st_mode & 0o777) == "0o600"
    with session_scope(database_url) as session:
        events = cases.case_events(session, case_id)
    added = next(e for e in events if e.kind == "artefact_added")
    assert added.actor.startswith("cli:") and added.data["source"] == "cli"
    assert [e.actor.startswith("cli:") for e in events if e.kind == "artefact_read"] == [True]


@pytest.mark.parametrize(
    "command",
    [
        ("artefacts", "submit", "1"),
        ("artefacts", "approve", "1", "--sha256", "0" * 64),
        ("artefacts", "deny", "1", "--reason", "r"),
        ("artefacts", "export", "LD-1", "--out", "x.zip"),
        ("artefacts", "extend", "1", "--until", "2027-01-01T00:00Z", "--reason", "r"),
        ("artefacts", "share", "LD-1", "--subcontractor", "x", "--out", "x.zip"),
        ("erase", "LD-1", "--reason", "r", "--yes"),
    ],
)
def test_nothing_a_person_does_is_done_from_a_terminal(
    cli: Cli, database_url: str, command: tuple[str, ...]
) -> None:
    """No command acts for a person: not with `--as`, not without it."""
    open_case(database_url)
    for extra in ((), ("--as", SIRT2)):
        assert "No such command" in cli(*command, *extra, code=2) or "No such option" in cli(
            *command, *extra, code=2
        )


def test_bad_input_names_the_field(cli: Cli, database_url: str, tmp_path: Path, env: dict[str, str]) -> None:
    case_id = open_case(database_url)
    label = f"LD-{case_id}"
    source = tmp_path / "a.log"
    source.write_text("x")
    assert "CASE: 'LD-x' is not a case id" in cli("artefacts", "list", "LD-x", code=2)
    assert "no case LD-999" in cli("artefacts", "add", "LD-999", str(source), "--kind", "raw", code=2)
    assert "Invalid value for '--kind'" in cli(
        "artefacts", "add", label, str(source), "--kind", "logs", code=2
    )
    assert "FILE: cannot read" in cli(
        "artefacts", "add", label, str(tmp_path / "nope"), "--kind", "raw", code=2
    )
    no_key = cli(
        "artefacts", "add", label, str(source), "--kind", "raw", code=2, env={"LOGDIVE_ARTEFACT_KEY": ""}
    )
    assert "LOGDIVE_ARTEFACT_KEY is not set" in no_key


def test_expire_with_a_replayed_moment(cli: Cli, database_url: str, tmp_path: Path) -> None:
    case_id = open_case(database_url)
    source = tmp_path / "notes.txt"
    source.write_text("manual notes")
    cli("artefacts", "add", f"LD-{case_id}", str(source), "--kind", "manual_analysis")
    assert json.loads(cli("artefacts", "expire", "--now", "2030-01-01T00:00:00Z", "--json"))["deleted"][0][
        "why"
    ] == ("retention")
    assert "0 expired artefact(s) deleted" in cli("artefacts", "expire", "--now", "2030-01-01T00:00:00Z")


def test_keys_generate_prints_a_usable_entry(env: dict[str, str]) -> None:
    done = run_logdive("keys", "generate", "--id", "2027-01", env=env)
    assert done.returncode == 0, done.stderr
    from bot.artefacts.keys import KeyRing

    assert KeyRing.parse(done.stdout.strip()).current_id == "2027-01"
