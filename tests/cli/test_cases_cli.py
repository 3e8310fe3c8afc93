"""`logdive cases list|show` as a subprocess against a seeded database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot import cases
from bot.db.engine import session_scope
from tests.cli.conftest import Run
from tests.services.conftest import NOW, make_assessment, make_request
from workflows.assessment import Decision, Route
from workflows.states import Role


def _seed(url: str) -> tuple[int, int, int]:
    with session_scope(url) as session:
        open_case, _ = cases.record_intake(
            session,
            request=make_request(description="[bold]not markup[/bold] \x1b[31mno escapes"),
            assessment=make_assessment(Decision.ELIGIBLE, Route.SECURITY),
            actor="U-CSM",
            now=NOW,
            idempotency_key="a",
            channel="C-CASES",
        )
        rejected, _ = cases.record_intake(
            session,
            request=make_request(customer_namespace="free-co"),
            assessment=make_assessment(Decision.INELIGIBLE),
            actor="U-CSM",
            now=NOW,
            idempotency_key="b",
        )
        support, _ = cases.record_intake(
            session,
            request=make_request(customer_namespace="beta-inc"),
            assessment=make_assessment(Decision.ELIGIBLE, Route.SUPPORT),
            actor="U-CSM2",
            now=NOW,
            idempotency_key="c",
        )
    assert open_case.id and rejected.id and support.id
    with session_scope(url) as session:
        cases.claim(session, open_case.id, actor="U-SIRT", roles={Role.SIRT}, now=NOW + timedelta(hours=1))
        case = cases.get_case(session, open_case.id)
        case.sirt_issue_url = "https://gitlab.example/sirt/issues/7"
        case.next_update_due = NOW + timedelta(hours=13)
        session.add(case)
    return open_case.id, rejected.id, support.id


def test_list_shows_open_cases_and_all_with_the_flag(database_url: str, logdive: Run) -> None:
    open_id, rejected_id, support_id = _seed(database_url)
    env = {"DATABASE_URL": database_url}
    listed = logdive("cases", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["cases"]
    assert [r["id"] for r in rows] == [f"LD-{support_id}", f"LD-{open_id}"]
    assert rows[1]["state"] == "triaged" and rows[1]["owner"] == "U-SIRT"
    assert rows[1]["next_update_due"] == (NOW + timedelta(hours=13)).isoformat()

    everything = json.loads(logdive("cases", "list", "--all", "--json", env=env).stdout)["cases"]
    assert {r["id"] for r in everything} == {f"LD-{i}" for i in (open_id, rejected_id, support_id)}

    human = logdive("cases", "list", env=env)
    assert human.returncode == 0
    assert f"LD-{open_id}" in human.stdout and "acme-corp" in human.stdout and "triaged" in human.stdout
    assert "free-co" not in human.stdout


def test_show_tells_the_whole_case_with_its_event_log(database_url: str, logdive: Run) -> None:
    open_id, _, _ = _seed(database_url)
    env = {"DATABASE_URL": database_url}
    shown = logdive("cases", "show", f"LD-{open_id}", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["id"] == f"LD-{open_id}"
    assert (detail["state"], detail["route"], detail["decision"], detail["owner"]) == (
        "triaged",
        "security",
        "eligible",
        "U-SIRT",
    )
    assert detail["customer_namespace"] == "acme-corp"
    assert detail["window"] == {"start": "2026-11-16T00:00:00Z", "end": "2026-11-20T00:00:00Z"}
    assert detail["sirt_issue_url"] == "https://gitlab.example/sirt/issues/7"
    assert [e["kind"] for e in detail["events"]] == ["created", "eligibility", "claimed"]
    assert {o["kind"] for o in detail["owed"]} == {"gitlab.create_issue", "gitlab.note", "slack.thread_post"}

    human = logdive("cases", "show", str(open_id), env=env)
    assert human.returncode == 0
    for expected in ("triaged", "security", "U-SIRT", "https://gitlab.example/sirt/issues/7", "claimed"):
        assert expected in human.stdout
    # User text is shown as written: rich markup not interpreted, terminal escapes dropped.
    assert "[bold]not markup[/bold]" in human.stdout
    assert "\x1b" not in human.stdout


def test_an_unknown_or_malformed_id_is_a_clear_error(database_url: str, logdive: Run) -> None:
    env = {"DATABASE_URL": database_url}
    missing = logdive("cases", "show", "LD-999", env=env)
    assert missing.returncode == 2
    assert "no case LD-999" in missing.stderr
    malformed = logdive("cases", "show", "banana", env=env)
    assert malformed.returncode == 2
    assert "'banana' is not a case id" in malformed.stderr


def test_an_unmigrated_database_says_to_run_db_upgrade(tmp_path: Path, logdive: Run) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    done = logdive("cases", "list", env=env)
    assert done.returncode == 2
    assert "run `logdive db upgrade` first" in done.stderr
    assert logdive("db", "upgrade", env=env).returncode == 0
    assert logdive("cases", "list", env=env).returncode == 0


def test_an_unreachable_database_is_named_without_its_password(logdive: Run) -> None:
    done = logdive("cases", "list", env={"DATABASE_URL": "postgresql://logdive:hunter2@127.0.0.1:1/logdive"})
    assert done.returncode == 2
    assert "cannot open the database at postgresql+psycopg://logdive:***@127.0.0.1:1/logdive" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr


def test_show_lists_each_artefact_with_its_expiry(database_url: str, logdive: Run, tmp_path: Path) -> None:
    from bot.artefacts.keys import KeyRing
    from bot.artefacts.service import store_artefact
    from bot.artefacts.store import LocalDirectoryStore
    from bot.artefacts.vault import Vault
    from workflows.policy import RetentionPolicy

    open_id, _, _ = _seed(database_url)
    vault = Vault(LocalDirectoryStore(tmp_path / "store"), KeyRing.parse("k1:" + "A" * 43 + "="))
    with session_scope(database_url) as session:
        store_artefact(
            session,
            vault,
            open_id,
            name="raw-upload.log",
            kind="raw",
            data=b"x",
            actor="U-SIRT",
            roles={Role.SIRT},
            now=NOW,
            policy=RetentionPolicy(),
        )
    env = {"DATABASE_URL": database_url}
    detail = json.loads(logdive("cases", "show", str(open_id), "--json", env=env).stdout)
    [artefact] = detail["artefacts"]
    assert artefact["name"] == "raw-upload.log"
    assert artefact["expires_at"] == (NOW + timedelta(days=7)).isoformat()  # raw data: 7 days
    human = logdive("cases", "show", str(open_id), env=env).stdout
    assert "raw-upload.log" in human and (NOW + timedelta(days=7)).strftime("%Y-%m-%d") in human
