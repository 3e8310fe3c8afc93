"""A data-leak case's own confidential SIRT issue and its step notes, through the outbox, against the
GitLab stand-in."""

from __future__ import annotations

from bot.db.engine import session_scope
from bot.leak import service
from bot.sandbox.gitlab.markdown import read
from tests.gitlab_issues.conftest import SIRT_HANDLE, World, drain, runtime_for, settings_for
from tests.leak.conftest import SIRT, T0, reported
from workflows import leak as L
from workflows.leak import DataCategory


def test_leak_issue_from_its_own_template_neutralised_with_a_note_per_step(
    world: World, database_url: str
) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = reported(database_url, category=DataCategory.PERSONAL_DATA, contact="Jane @alice-acme Roe")
    drain(runtime)
    [issue] = world.sirt_issues()
    assert issue.title == f"LD-{case_id} · Data leak reported by acme-corp"
    assert issue.confidential
    assert issue.labels == ["SIRT", "logdive", "data-leak", "status::leak_reported"]
    assert issue.description.startswith(f"<!-- logdive-case:{case_id} -->\n{SIRT_HANDLE}: ")
    for expected in (
        "personal data",
        "s3://telemetry/acme/2026-11/",
        "Datadog",
        "ZD-4711",
        "Legal: brought in",
    ):
        assert expected in issue.description
    # The customer's words and contact neither run quick actions nor notify anyone.
    assert read(issue.description).mentions == (SIRT_HANDLE.lstrip("@"),)
    assert world.tracker.executed == []
    assert issue.state == "opened"

    with session_scope(database_url) as session:
        service.take_step(
            session, case_id, L.Triage(note="/close real one"), actor="U_SIRT", roles=SIRT, now=T0
        )
    drain(runtime)
    [issue] = world.sirt_issues()
    assert issue.labels == ["SIRT", "logdive", "data-leak", "status::leak_triaged"]
    [note] = [n for n in issue.notes if "triage" in n.body]
    assert "now **triaged**" in note.body and "real one" in note.body
    assert world.tracker.executed == [] and issue.state == "opened"
