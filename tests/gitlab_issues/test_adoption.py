"""Nobody but Logdive decides which GitLab issue belongs to a case (issue 11, item 5).

Markers are predictable (`<!-- logdive-case:N -->`, and a public gap issue shows its own), and anyone
who can open an issue can type one. Through python-gitlab against the stand-in: issues and notes
written by someone else with the right marker are never adopted; Logdive files its own and the
squatter's issue gets nothing.
"""

from __future__ import annotations

from typing import Any

from bot import cases
from bot.db.engine import session_scope
from bot.sandbox.gitlab.issues import Issue
from tests.gitlab_issues.conftest import (
    GAP_PROJECT,
    SIRT_PROJECT,
    World,
    case_row,
    drain,
    now,
    open_case,
    runtime_for,
    settings_for,
    writer_for,
)
from workflows.audit_gap import GapReport
from workflows.sirt_issue import AUDIT_GAP_LABELS
from workflows.states import CaseState, Role

SIRT = "U0SIR0001"


def _as(world: World, token: str, project: str) -> Any:
    return world.standin.gitlab(private_token=token).projects.get(project)


def _squat(world: World, token: str, project: str, description: str, **fields: Any) -> Issue:
    created = _as(world, token, project).issues.create(
        {"title": "spam", "description": description, **fields}
    )
    issues = world.tracker.in_project(world.sirt if project == SIRT_PROJECT else world.gap)
    return next(i for i in issues if i.iid == created.iid)


def test_a_pre_claimed_sirt_issue_is_not_adopted_and_gets_nothing(world: World, database_url: str) -> None:
    # A SIRT member (Reporter) pre-claims the next case numbers: a public issue and a confidential one.
    public = _squat(world, world.sirt_token, SIRT_PROJECT, "<!-- logdive-case:1 -->\nmine", labels="SIRT")
    secret = _squat(
        world, world.sirt_token, SIRT_PROJECT, "<!-- logdive-case:2 -->\nmine too", confidential=True
    )
    runtime = runtime_for(settings_for(world, database_url))
    first, second = open_case(database_url, "a"), open_case(database_url, "b")
    assert (first, second) == (1, 2)  # the numbers the squatter guessed
    drain(runtime)
    with session_scope(database_url) as session:
        cases.claim(session, first, actor=SIRT, roles={Role.SIRT}, now=now())
        cases.apply_transition(session, second, CaseState.REJECTED, actor=SIRT, roles={Role.SIRT}, now=now())
    drain(runtime)

    ours = {i.iid: i for i in world.sirt_issues() if i.author_id == world.standin.bot.id}
    assert len(ours) == 2 and all(i.confidential for i in ours.values())
    assert {
        case_row(database_url, first).sirt_issue_iid,
        case_row(database_url, second).sirt_issue_iid,
    } == set(ours)
    assert public.iid not in ours and secret.iid not in ours
    claimed = ours[case_row(database_url, first).sirt_issue_iid or 0]
    assert claimed.notes and "status::triaged" in claimed.labels
    for squat in (public, secret):
        assert squat.notes == [] and squat.state == "opened"
    assert public.labels == ["SIRT"] and secret.labels == []


def test_only_a_marker_on_its_own_line_in_logdives_own_text_counts(world: World) -> None:
    writer = writer_for(world)
    marker = "<!-- logdive-case:9 -->"
    # Logdive's own issue, but the marker is not where Logdive writes it (first line).
    writer.create(SIRT_PROJECT, title="t", description=f"intro\n{marker}", labels=[], confidential=True)
    writer.create(SIRT_PROJECT, title="t", description=f"{marker} and more", labels=[], confidential=True)
    assert writer.find_by_marker(SIRT_PROJECT, marker, search="logdive-case:9") is None
    ref = writer.create(SIRT_PROJECT, title="t", description=f"{marker}\nbody", labels=[], confidential=True)
    assert writer.find_by_marker(SIRT_PROJECT, marker, search="logdive-case:9") == ref

    # A note someone else wrote with Logdive's note marker does not stop Logdive's own note.
    note_marker = "<!-- logdive-event:5 -->"
    _as(world, world.sirt_token, SIRT_PROJECT).issues.get(ref.iid).notes.create(
        {"body": f"{note_marker}\nhi"}
    )
    note, created = writer.note(
        SIRT_PROJECT, ref.iid, body=f"{note_marker}\nours", internal=False, marker=note_marker
    )
    assert created
    again, created_again = writer.note(
        SIRT_PROJECT, ref.iid, body=f"{note_marker}\nours", internal=False, marker=note_marker
    )
    assert (again, created_again) == (note, False)
    assert writer.user_id() == world.standin.bot.id
    assert len(world.standin.requests_to(r"/user$")) == 1  # asked once, remembered


def _close_with_gap(database_url: str, case_id: int, missing: list[str]) -> None:
    with session_scope(database_url) as session:
        case = cases.get_case(session, case_id)
        case.state = CaseState.SHARED.value  # the review steps are not what this test is about
        session.add(case)
    with session_scope(database_url) as session:
        cases.close_case(
            session, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), gap=GapReport(missing=missing)
        )


def test_a_spam_issue_in_the_gap_project_is_not_linked(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    first = open_case(database_url, "a")
    drain(runtime)
    _close_with_gap(database_url, first, ["git_operations"])
    drain(runtime)
    [filed] = world.gap_issues()
    assert filed.author_id == world.standin.bot.id
    # Anyone can read the public issue's markers and copy them into an issue of their own; once
    # Logdive's is closed, the copy is the only open issue carrying them.
    world.standin.state.add_user("spammer")
    world.standin.state.add_token("spam-token", world.standin.state.user_by_username("spammer"))  # type: ignore[arg-type]
    spam = _squat(
        world, "spam-token", GAP_PROJECT, filed.description + "\nBuy now", labels=",".join(AUDIT_GAP_LABELS)
    )
    _as(world, world.standin.token, GAP_PROJECT).issues.update(filed.iid, {"state_event": "close"})

    second = open_case(database_url, "b")
    drain(runtime)
    _close_with_gap(database_url, second, ["git_operations"])
    drain(runtime)
    assert spam.notes == []
    assert case_row(database_url, second).audit_gap_issue_url != spam_url(world, spam)
    [new] = [i for i in world.gap_issues() if i.iid not in (filed.iid, spam.iid)]
    assert new.author_id == world.standin.bot.id
    assert case_row(database_url, second).audit_gap_issue_url == spam_url(world, new)


def spam_url(world: World, issue: Issue) -> str:
    return f"{world.standin.url}/{GAP_PROJECT}/-/issues/{issue.iid}"
