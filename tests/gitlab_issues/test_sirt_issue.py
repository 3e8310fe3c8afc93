"""The SIRT issue through the outbox, against the GitLab stand-in: created once, kept current, closed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot import cases, outbox
from bot.cli.main import build_app
from bot.db.engine import session_scope
from bot.db.models import CaseEvent
from bot.sandbox.gitlab.markdown import read
from bot.settings import get_settings
from tests.gitlab_issues.conftest import (
    CUSTOMER_USERS,
    SIRT_HANDLE,
    World,
    case_row,
    drain,
    now,
    open_case,
    owed,
    runtime_for,
    settings_for,
)
from tests.gitlab_issues.test_gitlab_text import INJECTIONS
from tests.services.conftest import make_request
from tests.workflows.factories import NOW, facts_for
from workflows.assessment import Decision
from workflows.eligibility import evaluate
from workflows.policy import Policy
from workflows.states import CaseState, Role

SIRT, CSM, LEGAL = "U0SIR0001", "U0CSM0001", "U0LEG0001"


app = build_app("outbox")


def test_an_eligible_case_gets_one_confidential_issue_that_mentions_sirt_only(
    world: World, database_url: str
) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url)
    drain(runtime)
    [issue] = world.sirt_issues()
    assert issue.title == f"LD-{case_id} · Log-dive for acme-corp"
    assert issue.confidential and issue.assignee_ids == []
    assert issue.labels == ["SIRT", "logdive", "route::security", "status::requested"]
    assert issue.description.startswith(f"<!-- logdive-case:{case_id} -->\n{SIRT_HANDLE}: ")
    for expected in (
        "acme-corp/api",
        "alice-acme",
        "user\\_access\\_token\\_created",
        "**Plan**: passed",
        "- [ ] ",
    ):
        assert expected in issue.description
    assert [m.name for m in world.tracker.mentions] == [SIRT_HANDLE[1:]]
    assert world.tracker.executed == []
    row = case_row(database_url, case_id)
    assert (row.sirt_issue_iid, row.sirt_issue_url) == (
        issue.iid,
        f"{world.standin.url}/gl-security/sirt/operations/-/issues/{issue.iid}",
    )
    runtime.tick()  # nothing more is owed: no second issue
    assert len(world.sirt_issues()) == 1


def test_every_change_becomes_a_note_and_a_label_change_and_closing_closes(
    world: World, database_url: str
) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url)
    steps = [
        lambda s: cases.claim(s, case_id, actor=SIRT, roles={Role.SIRT}, now=now()),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.INVESTIGATING, actor=SIRT, roles={Role.SIRT}, now=now()
        ),
        lambda s: cases.log_customer_update(
            s, case_id, actor=CSM, roles={Role.CSM}, now=now(), summary="Told them: 2 days"
        ),
        lambda s: cases.record_finding(
            s, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), summary="Token made from 203.0.113.7"
        ),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.ARTEFACTS_IN_REVIEW, actor="system", roles={Role.SYSTEM}, now=now()
        ),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.ARTEFACTS_APPROVED, actor="system", roles={Role.SYSTEM}, now=now()
        ),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.SHARED, actor="system", roles={Role.SYSTEM}, now=now()
        ),
        lambda s: cases.close_case(s, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), gap=None),
    ]
    labels_seen = []
    for step in steps:
        with session_scope(database_url) as session:
            step(session)
        drain(runtime)
        labels_seen.append([label for label in world.sirt_issues()[0].labels if label.startswith("status::")])
    [issue] = world.sirt_issues()
    assert labels_seen == [
        ["status::triaged"],
        ["status::investigating"],
        ["status::investigating"],
        ["status::investigating"],
        ["status::artefacts_in_review"],
        ["status::artefacts_approved"],
        ["status::shared"],
        ["status::closed"],
    ]
    assert issue.state == "closed"
    notes = [(n.internal, n.body.splitlines()[1]) for n in issue.notes]
    assert notes[0] == (False, f"**LD-{case_id}** claimed by Slack user {SIRT} (sirt): now **triaged**.")
    assert [internal for internal, _ in notes] == [False, False, True, True, False, False, False, False]
    assert "Customer update logged by Slack user U0CSM0001" in notes[2][1]
    assert notes[3][1] == f"**Finding** recorded by Slack user {SIRT}:"
    assert "Told them: 2 days" in issue.notes[2].body and "203.0.113.7" in issue.notes[3].body
    assert world.tracker.executed == []


def test_an_approved_exception_is_in_the_issue_with_approver_and_reason(
    world: World, database_url: str
) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url, decision=Decision.EXCEPTION_REQUIRED)
    drain(runtime)
    assert world.sirt_issues() == []  # not accepted yet: no issue
    with session_scope(database_url) as session:
        cases.request_exception(
            session, case_id, actor=CSM, roles={Role.CSM}, now=now(), reason="Renewal signed"
        )
    with session_scope(database_url) as session:
        cases.decide_exception(
            session,
            case_id,
            approver=LEGAL,
            roles={Role.LEGAL},
            approve=True,
            reason="Contract covers it",
            now=now(),
        )
    drain(runtime)
    [issue] = world.sirt_issues()
    assert "### Legal exception" in issue.description
    assert f"Requested by Slack user {CSM}: Renewal signed" in issue.description
    assert f"Approved by Slack user {LEGAL} at " in issue.description
    assert "Contract covers it" in issue.description
    assert issue.labels[-1] == "status::exception_approved"


def test_notes_owed_before_the_issue_exists_wait_for_it(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    world.standin.fail_always(status=503, path=r"/issues$")  # the create (and its search) fail
    case_id = open_case(database_url)
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor=SIRT, roles={Role.SIRT}, now=now())
    for _ in range(3):
        runtime.tick()
    waiting = {i.kind: i.last_error or "" for i in owed(database_url)}
    assert waiting["gitlab.note"].startswith("WaitingForIssue:")
    world.standin.clear_faults()
    drain(runtime)
    [issue] = world.sirt_issues()
    assert issue.labels[-1] == "status::triaged"
    assert [n.body.splitlines()[1].split(":")[0] for n in issue.notes] == [
        f"**LD-{case_id}** claimed by Slack user {SIRT} (sirt)"
    ]


def test_a_permanent_refusal_is_parked_told_in_the_thread_listed_and_retried(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = runtime_for(settings_for(world, database_url, sirt_project="gl-security/sirt/missing"))
    case_id = open_case(database_url, channel=None)
    drain(runtime)
    [parked] = [i for i in owed(database_url) if i.status == outbox.PARKED]
    assert parked.kind == "gitlab.create_issue" and "404" in (parked.last_error or "")
    runtime.tick()  # the watch job announces it once
    runtime.tick()
    with session_scope(database_url) as session:
        told = [e for e in cases.case_events(session, case_id) if e.kind == "delivery_parked"]
    assert len(told) == 1 and told[0].data["item_kind"] == "gitlab.create_issue"

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    listed = CliRunner().invoke(app, ["outbox", "list", "--status", "parked", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)["items"]
    assert (row["kind"], row["case"], row["status"]) == ("gitlab.create_issue", f"LD-{case_id}", "parked")
    retried = CliRunner().invoke(app, ["outbox", "retry", "--case", f"LD-{case_id}", "--json"])
    assert json.loads(retried.stdout) == {"retried": 1}
    fixed = runtime_for(settings_for(world, database_url))  # the project setting corrected
    drain(fixed)
    assert len(world.sirt_issues()) == 1
    bad = CliRunner().invoke(app, ["outbox", "retry", "--case", "LD-x"])
    assert bad.exit_code == 2 and "--case" in bad.output


def test_injection_in_every_field_that_reaches_gitlab_does_nothing(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    nasty = "\n".join(INJECTIONS)
    request = make_request(
        description=nasty[:3000],
        ticket_reference="/close @alice-acme #1 <b>",
        event_types=[*INJECTIONS[:6], "@bob-acme"],
    )
    case_id = open_case(database_url, request=request)
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor="/assign @alice-acme", roles={Role.SIRT}, now=now())
    with session_scope(database_url) as session:
        cases.log_customer_update(session, case_id, actor=CSM, roles={Role.CSM}, now=now(), summary=nasty)
    with session_scope(database_url) as session:
        cases.record_finding(session, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), summary=nasty)
    drain(runtime)
    [issue] = world.sirt_issues()
    assert len(issue.notes) == 3
    assert world.tracker.executed == []  # 0 quick actions
    mentioned = {m.name for m in world.tracker.mentions}
    assert mentioned == {SIRT_HANDLE[1:]}  # 0 customer mentions (and no @all)
    assert not mentioned & set(CUSTOMER_USERS)
    assert world.tracker.references == []
    assert all(html.startswith("<!-- logdive-") for _where, html in world.tracker.html)
    assert issue.state == "opened" and issue.confidential and issue.assignee_ids == []
    assert issue.title == f"LD-{case_id} · Log-dive for acme-corp"
    assert {"SIRT", "logdive", "route::security", "status::triaged"} == set(issue.labels)
    # The words are all still there for SIRT to read.
    assert "assign" in issue.description and "alice" in issue.notes[1].body
    assert read(issue.description).mentions == (SIRT_HANDLE[1:],)


def test_event_rows_are_the_source_of_every_note(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url)
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor=SIRT, roles={Role.SIRT}, now=now())
    drain(runtime)
    with session_scope(database_url) as session:
        claimed = next(e for e in cases.case_events(session, case_id) if e.kind == "claimed")
        assert isinstance(claimed, CaseEvent)
    [issue] = world.sirt_issues()
    assert issue.notes[0].body.startswith(f"<!-- logdive-event:{claimed.id} -->")


def test_an_accepted_wider_scope_shows_its_extra_hours_once_on_the_issue(
    world: World, database_url: str
) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    request = make_request(
        resources={"projects": [f"acme-corp/p{i}" for i in range(12)]}, scope_cost_accepted_hours=4
    )
    assessment = evaluate(request, facts_for(request), Policy(), NOW)
    assert assessment.decision is Decision.ELIGIBLE
    with session_scope(database_url) as session:
        cases.record_intake(
            session, request=request, assessment=assessment, actor=CSM, now=now(), idempotency_key="wide"
        )
    drain(runtime)
    [issue] = world.sirt_issues()
    text = issue.description
    accepted = (
        "**Scope**: passed. The scope is wider than standard: 12 resources (maximum 10). "
        "The customer accepted about 4 hours of extra effort (2 × 2 h per extra resource)."
    )
    assert accepted in text, text
    assert text.count("about 4 hours") == 1
