"""`logdive artefacts …`, `logdive erase`, `logdive keys …` in process, an operator acting `--as` people."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cases
from bot.cli.main import app
from bot.db.engine import session_scope
from tests.artefacts.conftest import (
    CSM,
    LEGAL1,
    MARKER,
    NOBODY,
    SIRT1,
    SIRT2,
    SUPPORT,
    open_case,
    ring_text,
)
from tests.cli.conftest import run_logdive

ROLES_FILE = f"""
csm = ["{CSM}"]
support = ["{SUPPORT}"]
sirt = ["{SIRT1}", "{SIRT2}"]
legal = ["{LEGAL1}"]
"""


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES_FILE)
    return {
        "DATABASE_URL": database_url,
        "LOGDIVE_ARTEFACT_KEY": ring_text(("k1", 1)),
        "LOGDIVE_ARTEFACT_DIR": str(tmp_path / "store"),
        "LOGDIVE_ROLES_FILE": str(roles),
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


def test_the_whole_custody_flow_from_a_terminal(cli: Cli, database_url: str, tmp_path: Path) -> None:
    case_id = open_case(database_url)
    label = f"LD-{case_id}"
    source = tmp_path / "summary.json"
    source.write_text(f'{{"entries": 3, "note": "{MARKER}"}}')

    assert "artefact 1 stored on" in cli(
        "artefacts", "add", label, str(source), "--kind", "automated_analysis", "--as", SUPPORT
    )
    stored = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert len(stored) == 1 and MARKER.encode() not in stored[0].read_bytes()
    [row] = json.loads(cli("artefacts", "list", label, "--json"))["artefacts"]
    sha = row["sha256"]
    assert row["review"] == "not_submitted" and row["kind"] == "automated_analysis"
    assert row["expires_at"] > row["created_at"]

    out = tmp_path / "export.zip"
    assert "no artefact submitted" in cli(
        "artefacts", "export", label, "--out", str(out), "--as", CSM, code=1
    )
    assert not out.exists()
    cli("artefacts", "submit", "1", "--as", SUPPORT)
    assert "needs the sirt or legal role" in cli(
        "artefacts", "approve", "1", "--sha256", sha, "--as", SUPPORT, code=1
    )
    assert "needs the sirt or legal role" in cli(
        "artefacts", "approve", "1", "--sha256", sha, "--as", NOBODY, code=1
    )
    assert "you reviewed" in cli("artefacts", "approve", "1", "--sha256", "0" * 12, "--as", SIRT2, code=1)
    assert "still needs: legal" in cli("artefacts", "approve", "1", "--sha256", sha[:12], "--as", SIRT2)
    assert "not approved: 1 (pending)" in cli(
        "artefacts", "export", label, "--out", str(out), "--as", CSM, code=1
    )
    assert "is approved" in cli("artefacts", "approve", "1", "--sha256", sha, "--as", LEGAL1)
    assert "written to" in cli("artefacts", "export", label, "--out", str(out), "--as", CSM)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert MARKER in zipfile.ZipFile(out).read("1-v1-summary.json").decode()
    assert "already exists" in cli("artefacts", "export", label, "--out", str(out), "--as", CSM, code=2)

    assert "tell the customer" in cli(
        "artefacts",
        "extend",
        "1",
        "--until",
        "2027-06-01T00:00:00Z",
        "--reason",
        "legal hold",
        "--as",
        LEGAL1,
    )
    assert "extended: tell the customer" in cli("artefacts", "list", label)
    assert "NDA signed" in cli("artefacts", "nda", label, "signed", "--as", CSM)

    new_key = {"LOGDIVE_ARTEFACT_KEY": ring_text(("k2", 2), ("k1", 1))}
    assert "1 artefact(s) re-sealed under key 'k2'" in cli("keys", "rotate", env=new_key)
    read = tmp_path / "read.json"
    cli(
        "artefacts",
        "read",
        "1",
        "--out",
        str(read),
        "--as",
        LEGAL1,
        env={"LOGDIVE_ARTEFACT_KEY": ring_text(("k2", 2))},
    )
    assert MARKER in read.read_text()

    assert "erased: 1 artefact(s) deleted" in cli(
        "erase", label, "--reason", "customer request", "--as", LEGAL1, "--yes"
    )
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    with session_scope(database_url) as session:
        kinds = [e.kind for e in cases.case_events(session, case_id)]
    for kind in (
        "artefact_added",
        "artefact_submitted",
        "artefact_approved",
        "artefacts_exported",
        "retention_extended",
        "nda_status",
        "artefact_rekeyed",
        "artefact_read",
        "case_erased",
    ):
        assert kind in kinds
    assert kinds.count("unauthorised") >= 1


def test_bad_input_names_the_field(cli: Cli, database_url: str, tmp_path: Path, env: dict[str, str]) -> None:
    case_id = open_case(database_url)
    label = f"LD-{case_id}"
    source = tmp_path / "a.log"
    source.write_text("x")
    assert "CASE: 'LD-x' is not a case id" in cli("artefacts", "list", "LD-x", code=2)
    assert "no case LD-999" in cli(
        "artefacts", "add", "LD-999", str(source), "--kind", "raw", "--as", SUPPORT, code=2
    )
    assert "Invalid value for '--kind'" in cli(
        "artefacts", "add", label, str(source), "--kind", "logs", "--as", SUPPORT, code=2
    )
    assert "FILE: cannot read" in cli(
        "artefacts", "add", label, str(tmp_path / "nope"), "--kind", "raw", "--as", SUPPORT, code=2
    )
    no_key = cli(
        "artefacts",
        "add",
        label,
        str(source),
        "--kind",
        "raw",
        "--as",
        SUPPORT,
        code=2,
        env={"LOGDIVE_ARTEFACT_KEY": ""},
    )
    assert "LOGDIVE_ARTEFACT_KEY is not set" in no_key
    bad_roles = tmp_path / "bad.toml"
    bad_roles.write_text('auditor = ["U1"]')
    assert "'auditor' is not a role; roles are csm, support, sirt, legal" in cli(
        "artefacts", "submit", "1", "--as", SUPPORT, code=2, env={"LOGDIVE_ROLES_FILE": str(bad_roles)}
    )
    assert "--until: " in cli(
        "artefacts", "extend", "1", "--until", "tomorrow", "--reason", "r", "--as", LEGAL1, code=2
    )
    assert "no artefact 42" in cli("artefacts", "submit", "42", "--as", SUPPORT, code=2)
    assert "erasure needs a reason" in cli("erase", label, "--reason", " ", "--as", LEGAL1, "--yes", code=2)


def test_expire_with_a_replayed_moment(cli: Cli, database_url: str, tmp_path: Path) -> None:
    case_id = open_case(database_url)
    source = tmp_path / "notes.txt"
    source.write_text("manual notes")
    cli("artefacts", "add", f"LD-{case_id}", str(source), "--kind", "manual_analysis", "--as", SUPPORT)
    assert json.loads(cli("artefacts", "expire", "--now", "2030-01-01T00:00:00Z", "--json"))["deleted"][0][
        "why"
    ] == ("retention")
    assert "0 expired artefact(s) deleted" in cli("artefacts", "expire", "--now", "2030-01-01T00:00:00Z")


def test_keys_generate_prints_a_usable_entry(env: dict[str, str]) -> None:
    done = run_logdive("keys", "generate", "--id", "2027-01", env=env)
    assert done.returncode == 0, done.stderr
    from bot.artefacts.keys import KeyRing

    assert KeyRing.parse(done.stdout.strip()).current_id == "2027-01"
