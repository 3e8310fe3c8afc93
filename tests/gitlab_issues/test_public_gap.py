"""The public Audit Events gap issue never names the customer (issue 11, item 6).

What people typed when closing goes to the confidential SIRT issue only; the public issue is built from
catalog names and Logdive's own wording. Checked in what the GitLab stand-in stored, not in what the
client sent.
"""

from __future__ import annotations

from bot import cases, outbox
from bot.db.engine import session_scope
from tests.gitlab_issues.conftest import (
    World,
    case_row,
    drain,
    now,
    open_case,
    owed,
    runtime_for,
    settings_for,
)
from tests.services.conftest import make_request
from workflows.audit_gap import GapReport
from workflows.states import CaseState, Role

SIRT = "U0SIR0001"
PLANTED = ("Acme Corporation", "acme.com", "carol-outside", "81.2.69.142")
CLOSING = GapReport(
    missing=[
        "git_operations",
        "Project export created",  # a catalog name, typed as prose
        "exports by Acme Corporation from acme.com",
        "token listed by carol-outside from IP 81.2.69.142.",
    ],
    used_logs=["production_json"],
    details="Acme Corporation (acme.com): carol-outside, not in scope, came from IP 81.2.69.142.",
)


def _close(database_url: str, case_id: int, report: GapReport) -> None:
    with session_scope(database_url) as session:
        case = cases.get_case(session, case_id)
        case.state = CaseState.SHARED.value  # the review steps are not what this test is about
        session.add(case)
    with session_scope(database_url) as session:
        cases.close_case(session, case_id, actor=SIRT, roles={Role.SIRT}, now=now(), gap=report)


def _public_text(world: World) -> str:
    return "\n".join(
        f"{issue.title}\n{issue.description}\n" + "\n".join(n.body for n in issue.notes)
        for issue in world.gap_issues()
    )


def test_closing_text_reaches_the_sirt_issue_only(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    request = make_request(customer_namespace="acme-corp", resources={"users": ["bob-acme"]})
    first, second = (
        open_case(database_url, "a", request=request),
        open_case(database_url, "b", request=request),
    )
    drain(runtime)
    _close(database_url, first, CLOSING)
    drain(runtime)
    _close(database_url, second, CLOSING)  # the same gap: a note on the same public issue
    drain(runtime)

    [gap] = world.gap_issues()
    assert len(gap.notes) == 1 and not gap.confidential
    public = _public_text(world)
    assert "git\\_operations" in public and "project\\_export\\_created" in public
    for planted in (*PLANTED, "acme", "81.2.69", "carol", "bob"):
        assert planted.lower() not in public.lower(), planted
    # Nothing is lost: the SIRT issue's internal note has every word of it.
    sirt = next(i for i in world.sirt_issues() if i.iid == case_row(database_url, first).sirt_issue_iid)
    [reported] = [n for n in sirt.notes if "reported what Audit Events lacked" in n.body]
    assert reported.internal and sirt.confidential
    for planted in PLANTED:
        assert planted in reported.body, planted


def test_a_report_with_no_catalog_name_files_nothing_public(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url)
    drain(runtime)
    _close(database_url, case_id, GapReport(missing=["exports by Acme Corporation"], details="acme.com"))
    drain(runtime)
    assert world.gap_issues() == []
    [parked] = [i for i in owed(database_url, kinds=("gitlab.audit_gap",))]
    assert parked.status == outbox.PARKED and "nothing was filed publicly" in (parked.last_error or "")


def test_without_the_marker_secret_nothing_is_filed(world: World, database_url: str) -> None:
    runtime = runtime_for(settings_for(world, database_url, gap_marker_secret=None))
    case_id = open_case(database_url)
    drain(runtime)
    _close(database_url, case_id, GapReport(missing=["git_operations"]))
    drain(runtime)
    assert world.gap_issues() == []
    [parked] = owed(database_url, kinds=("gitlab.audit_gap",))
    assert parked.status == outbox.PARKED and "LOGDIVE_GAP_MARKER_SECRET" in (parked.last_error or "")
