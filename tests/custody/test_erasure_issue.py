"""Erasure on the SIRT issue, through python-gitlab against the GitLab stand-in: the title, the description
and every note Logdive wrote become tombstones; a note a person wrote is left alone and listed."""

from __future__ import annotations

from bot import cases
from bot.artefacts import erasure
from bot.artefacts.store import LocalDirectoryStore
from bot.db.engine import session_scope
from bot.sandbox.gitlab.issues import Note
from tests.gitlab_issues.conftest import (
    World,
    drain,
    now,
    open_case,
    runtime_for,
    settings_for,
)
from workflows.review import Person
from workflows.states import CaseState, Role

SIRT, LEGAL = "U0SIRT001", "U0LEGAL01"


def test_the_sirt_issue_keeps_tombstones_only(world: World, database_url: str, tmp_path: object) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url)
    for step in (
        lambda s: cases.claim(s, case_id, actor=SIRT, roles={Role.SIRT}, now=now()),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.INVESTIGATING, actor=SIRT, roles={Role.SIRT}, now=now()
        ),
        lambda s: cases.log_customer_update(
            s, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), summary="Told alice-acme"
        ),
    ):  # fmt: skip
        with session_scope(database_url) as session:
            step(session)
    drain(runtime)
    [issue] = world.sirt_issues()
    assert "acme-corp" in issue.title + issue.description
    logdive_notes = [n.id for n in issue.notes if n.author_id != world.sirt_member.id]
    assert len(logdive_notes) >= 3
    # A person's own note on the issue.
    issue.notes.append(
        Note(id=9999, project_id=issue.project_id, issue_iid=issue.iid, issue_id=issue.id,
             body="alice-acme called me about acme-corp", author_id=world.sirt_member.id, internal=True,
             created_at=now())
    )  # fmt: skip

    with session_scope(database_url) as session:
        erasure.erase_case(
            session, LocalDirectoryStore(tmp_path / "store"), case_id, reason="Customer request ZD-99",  # type: ignore[operator]
            actor=Person(LEGAL), roles={Role.LEGAL}, now=now(),
        )  # fmt: skip
    drain(runtime)
    drain(runtime)  # the tombstone waits for nothing, but notes owed by the erasure go out too

    [issue] = world.sirt_issues()
    assert "acme-corp" not in issue.title and "erased on request" in issue.title
    assert "acme-corp" not in issue.description and "Customer request ZD-99" in issue.description
    assert f"logdive-case:{case_id}" in issue.description  # still found by its marker
    by_id = {n.id: n for n in issue.notes}
    for note_id in logdive_notes:
        assert "alice-acme" not in by_id[note_id].body and "erased on request" in by_id[note_id].body
    assert by_id[9999].body == "alice-acme called me about acme-corp"  # a person's note: theirs
    [listing] = [n for n in issue.notes if "please remove any customer data" in n.body]
    assert "note 9999 by" in listing.body and "sirt-sam" in listing.body
    assert [m.name for m in world.tracker.mentions].count("sirt-sam") == 0  # listed, never pinged
    assert cases.case_label(case_id) in listing.body
