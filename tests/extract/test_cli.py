"""`logdive extract` as a person runs it: outputs by route, exit codes, clear errors, no tracebacks."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from bot.cli.extract import register
from bot.sandbox.gitlab.server import GitLabStandIn
from tests.extract import synthetic


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """logdive"""

    register(app)
    return app


@pytest.fixture
def run(app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gitlab_env: GitLabStandIn):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "160")

    def invoke(*args: str) -> Result:
        result = CliRunner().invoke(app, ["extract", *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    return invoke


def _request(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(synthetic.request_data(**overrides)))
    return path


def _log(tmp_path: Path) -> Path:
    lines = [*synthetic.encode(s.entry for s in synthetic.scenarios()), *synthetic.GARBAGE_LINES]
    return synthetic.write_log(tmp_path / "production_json.log", lines)


def _planted_in(text: str) -> list[str]:
    return [p for p in synthetic.FOREIGN.strings() + synthetic.SECRETS.strings() if p in text]


def test_security_gets_entries_and_a_manifest(run, tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = run("--request", str(_request(tmp_path)), str(log), "--route", "security", "--case-id", "LD-7")
    assert result.exit_code == 0, result.output
    entries, manifest_path = tmp_path / "LD-7-extract.jsonl", tmp_path / "LD-7-extract.manifest.json"
    for path in (entries, manifest_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert _planted_in(path.read_text()) == []
    manifest = json.loads(manifest_path.read_text())
    kept = sum(s.keep_all for s in synthetic.scenarios())
    assert manifest["case"] == "LD-7" and manifest["route"] == "security"
    assert manifest["entries"]["count"] == kept == len(entries.read_text().splitlines())
    assert manifest["inputs"][0]["name"] == "production_json.log"
    assert manifest["inputs"][0]["lines"] == len(synthetic.scenarios()) + len(synthetic.GARBAGE_LINES)
    assert manifest["dropped"]["malformed"] == synthetic.GARBAGE_CANDIDATES
    assert "LD-7-extract.jsonl" in result.stdout and "per event type" in result.stdout


def test_support_gets_a_summary_and_no_entries(run, tmp_path: Path) -> None:
    log = _log(tmp_path)
    request = _request(tmp_path, personal_data=False)
    result = run("--request", str(request), str(log), "--route", "support", "--out", "sum.json", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["production_json.log", "request.json", "sum.json"]
    text = (tmp_path / "sum.json").read_text()
    summary = json.loads(text)
    assert summary["summary"]["entries"] == sum(s.keep_all for s in synthetic.scenarios())
    assert "entries" not in {k for k in summary if k != "summary"}
    assert _planted_in(text) == [] and "case-01" not in text
    assert result.stdout == ""  # --quiet


def test_route_comes_from_the_routing_policy(run, tmp_path: Path) -> None:
    # A recent week, three resources, no personal data: Support takes it.
    request = _request(
        tmp_path, personal_data=False, window={"start": "2026-11-02T00:00:00Z", "end": "2026-11-08T00:00:00Z"}
    )
    result = run("--request", str(request), str(_log(tmp_path)), "--now", "2026-11-08T12:00:00Z", "-q")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("req-*-summary.json"))) == 1
    assert not list(tmp_path.glob("*.jsonl"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "CASE"),
        (("--request", "request.json"), "SOURCE: name at least one log file"),
        (("--request", "request.json", "missing.log"), "missing.log: names no file"),
        (("--request", "nowhere.json", "production_json.log"), "nowhere.json: cannot be read"),
        (("--request", "request.json", "production_json.log", "--case-id", "../x"), "--case-id"),
        (("--request", "request.json", "production_json.log", "--now", "yesterday"), "--now"),
        (
            ("--request", "request.json", "production_json.log", "--out", "no/such/dir/x.jsonl"),
            "does not exist",
        ),
        (("LD-1", "production_json.log", "--route", "security"), "--route: only with --request"),
        (("LD-1", "production_json.log"), "logdive db upgrade"),  # no database here yet
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    run, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    _request(tmp_path)
    _log(tmp_path)
    if "--request" in args:
        args = (*args, "--route", "security")
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not list(tmp_path.glob("*extract*")) and not list(tmp_path.glob("*summary*"))


def test_a_bad_request_field_is_named(run, tmp_path: Path) -> None:
    path = tmp_path / "request.yaml"
    path.write_text("customer_namespace: acme-corp\nrequester_username: alice\nwindow: {start: soon}\n")
    result = run("--request", str(path), str(_log(tmp_path)), "--route", "security")
    assert result.exit_code == 2
    assert "window.start" in result.stderr or "window.end" in result.stderr


def test_unknown_event_types_are_refused(run, tmp_path: Path) -> None:
    request = _request(tmp_path, event_types=["sign_inz"])
    result = run("--request", str(request), str(_log(tmp_path)), "--route", "security")
    assert result.exit_code == 2 and "sign_ins" in result.stderr  # the nearest known name is suggested


def test_an_internal_error_is_one_line_without_the_log_content(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError(synthetic.FOREIGN.USERNAME)

    monkeypatch.setattr("bot.extract.job.run_extraction", broken)  # where every extraction runs
    result = run("--request", str(_request(tmp_path)), str(_log(tmp_path)), "--route", "security")
    assert result.exit_code == 1
    assert "internal error KeyError" in result.stderr
    assert synthetic.FOREIGN.USERNAME not in result.output


def _record_case(database_url: str, decision: str, route: str | None, **overrides: object) -> int:
    from datetime import UTC, datetime

    from bot import cases
    from bot.db.engine import session_scope
    from workflows.assessment import Assessment, Decision, Route
    from workflows.request import LogDiveRequest

    request = LogDiveRequest.model_validate(synthetic.request_data(**overrides))
    assessment = Assessment(decision=Decision(decision), route=Route(route) if route else None, rules=())
    with session_scope(database_url) as session:
        case, _ = cases.record_intake(
            session,
            request=request,
            assessment=assessment,
            actor="U-CSM",
            now=datetime(2026, 11, 23, tzinfo=UTC),
            idempotency_key=decision,
        )
    assert case.id is not None
    return case.id


@pytest.fixture
def custody(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> str:
    from bot.artefacts.keys import generate_entry

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOGDIVE_ARTEFACT_KEY", generate_entry("k1"))
    monkeypatch.setenv("LOGDIVE_ARTEFACT_DIR", str(tmp_path / "vault"))
    return database_url


def _case_record(database_url: str, case_id: int) -> tuple[list, list]:
    from sqlmodel import select

    from bot.artefacts import service
    from bot.cases import get_case
    from bot.db.engine import session_scope
    from bot.db.models import CaseEvent

    with session_scope(database_url) as session:
        get_case(session, case_id)
        events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all())
        artefacts = service.artefact_summaries(session, case_id)
        return [(e.kind, e.actor, dict(e.data or {})) for e in events], artefacts


def test_a_recorded_security_case_is_sealed_on_the_case_and_recorded(
    run, tmp_path: Path, custody: str
) -> None:
    import hashlib

    case_id = _record_case(custody, "eligible", "security")
    log = _log(tmp_path)
    result = run(f"LD-{case_id}", str(log))
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob("*extract*")) and not list(tmp_path.glob("*summary*"))  # no plain files
    events, artefacts = _case_record(custody, case_id)
    assert [(a["name"], a["kind"]) for a in artefacts] == [
        (f"LD-{case_id}-extract.jsonl", "raw"),
        (f"LD-{case_id}-extract.manifest.json", "automated_analysis"),
    ]
    run_event = next(data for kind, actor, data in events if kind == "extract_run")
    assert run_event["route"] == "security"
    assert run_event["inputs"][0]["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert run_event["entries_kept"] == sum(s.keep_all for s in synthetic.scenarios())
    assert [a["id"] for a in run_event["artefacts"]] == [a["id"] for a in artefacts]
    assert "extract_plain_copy" not in [kind for kind, _, _ in events]
    # the blobs on disk are ciphertext: nothing of the entries readable
    blobs = [p.read_bytes() for p in (tmp_path / "vault").rglob("*") if p.is_file()]
    assert len(blobs) == 2 and not any(b"correlation_id" in blob for blob in blobs)


def test_a_recorded_support_case_gets_its_summary_sealed_whatever_is_asked(
    run, tmp_path: Path, custody: str
) -> None:
    case_id = _record_case(custody, "eligible", "support", personal_data=False)
    assert run(f"LD-{case_id}", str(_log(tmp_path)), "--route", "security").exit_code == 2
    result = run(f"LD-{case_id}", str(_log(tmp_path)), "--out", "plain.json", "-q")
    assert result.exit_code == 0, result.output
    events, artefacts = _case_record(custody, case_id)
    assert [(a["name"], a["kind"]) for a in artefacts] == [
        (f"LD-{case_id}-summary.json", "automated_analysis")
    ]
    summary = json.loads((tmp_path / "plain.json").read_text())
    assert "entries" not in {k for k in summary if k != "summary"} and summary["route"] == "support"
    copy = next(data for kind, _, data in events if kind == "extract_plain_copy")
    assert copy["files"] == [str((tmp_path / "plain.json").resolve())]


def test_a_recorded_case_without_the_artefact_key_reads_nothing(
    run, tmp_path: Path, custody: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _record_case(custody, "eligible", "security")
    monkeypatch.delenv("LOGDIVE_ARTEFACT_KEY")
    from bot.settings import get_settings

    get_settings.cache_clear()
    result = run(f"LD-{case_id}", str(_log(tmp_path)))
    assert result.exit_code == 2 and "LOGDIVE_ARTEFACT_KEY" in result.stderr
    assert _case_record(custody, case_id)[1] == []


def test_a_case_that_was_not_accepted_has_nothing_to_extract(run, tmp_path: Path, custody: str) -> None:
    case_id = _record_case(custody, "ineligible", None)
    result = run(str(case_id), str(_log(tmp_path)))
    assert result.exit_code == 2
    assert "was not accepted" in result.output
    assert run("LD-999999", str(_log(tmp_path))).exit_code == 2


def test_log_sources_setting_finds_the_files_for_the_window(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as _json

    from bot.settings import get_settings

    day = tmp_path / "logs" / "2026-11-03"
    day.mkdir(parents=True)
    lines = list(synthetic.encode(s.entry for s in synthetic.scenarios()))
    synthetic.write_log(day / "production_json.log.1.gz", lines, compress=True)
    patterns = {"production_json": str(tmp_path / "logs" / "{date}" / "production_json.log*")}
    monkeypatch.setenv("LOGDIVE_LOG_SOURCES", _json.dumps(patterns))
    get_settings.cache_clear()
    result = run("--request", str(_request(tmp_path)), "--route", "security", "--case-id", "LD-9", "-q")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "LD-9-extract.manifest.json").read_text())
    assert [i["name"] for i in manifest["inputs"]] == ["production_json.log.1.gz"]
    assert manifest["entries"]["count"] == sum(s.keep_all for s in synthetic.scenarios())
    assert "6 of the window's log patterns named no file" in result.stderr  # 7 days, one file
