"""The case service on the selected database: intake, transitions, refusals, exceptions, one transaction."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import cases, outbox
from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent, IdempotencyKey, OutboxItem
from tests.services.conftest import NOW, make_assessment, make_request
from workflows.assessment import Decision, Route
from workflows.states import CaseState, Role

LATER = NOW + timedelta(hours=1)


def _intake(url: str, decision: Decision = Decision.ELIGIBLE, *, key: str = "view-1", **kw: object) -> int:
    route = kw.pop("route", Route.SECURITY)
    with session_scope(url) as session:
        case, created = cases.record_intake(
            session,
            request=make_request(),
            assessment=make_assessment(decision, route),  # type: ignore[arg-type]
            actor="U-CSM",
            now=NOW,
            idempotency_key=key,
            **kw,  # type: ignore[arg-type]
        )
        assert created
        assert case.id is not None
        return case.id


def _snapshot(url: str, case_id: int) -> tuple[Case, list[CaseEvent], list[OutboxItem]]:
    with session_scope(url) as session:
        case = cases.get_case(session, case_id)
        events = cases.case_events(session, case_id)
        owed = list(session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id)).all())
        return case, events, owed


# ------------------------------------------------------------------------------------------------ intake


def test_an_eligible_request_becomes_a_requested_case_owing_its_sirt_issue(database_url: str) -> None:
    case_id = _intake(database_url, channel="C-CASES")
    case, events, owed = _snapshot(database_url, case_id)
    assert (case.state, case.decision, case.route, case.version) == ("requested", "eligible", "security", 1)
    assert case.created_by == "U-CSM" and case.slack_channel == "C-CASES"
    assert [e.kind for e in events] == ["created", "eligibility"]
    eligibility = events[1].data
    assert eligibility["decision"] == "eligible" and eligibility["route"] == "security"
    assert [r["id"] for r in eligibility["rules"]] == ["plan", "ownership"]
    assert {r["outcome"] for r in eligibility["rules"]} == {"pass"}
    assert sorted(i.kind for i in owed) == ["gitlab.create_issue", "slack.thread_post"]


def test_a_second_delivery_returns_the_same_case_and_owes_nothing_more(database_url: str) -> None:
    first = _intake(database_url, key="slack-retry")
    with session_scope(database_url) as session:
        again, created = cases.record_intake(
            session,
            request=make_request(),
            assessment=make_assessment(),
            actor="U-CSM",
            now=LATER,
            idempotency_key="slack-retry",
        )
    assert (again.id, created) == (first, False)
    with session_scope(database_url) as session:
        assert len(session.exec(select(Case)).all()) == 1
        assert len(session.exec(select(OutboxItem)).all()) == 1
        assert len(session.exec(select(CaseEvent)).all()) == 2


@pytest.mark.slow
def test_concurrent_deliveries_of_one_submission_make_one_case(database_url: str) -> None:
    results: list[tuple[int | None, bool]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        try:
            barrier.wait()
            with session_scope(database_url) as session:
                case, created = cases.record_intake(
                    session,
                    request=make_request(),
                    assessment=make_assessment(),
                    actor="U-CSM",
                    now=NOW,
                    idempotency_key="same-view",
                )
                results.append((case.id, created))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len({case_id for case_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]


@pytest.mark.parametrize("decision", [Decision.RESCOPE, Decision.INELIGIBLE])
def test_refused_requests_are_kept_as_rejected_cases_with_nothing_owed(
    database_url: str, decision: Decision
) -> None:
    case_id = _intake(database_url, decision, channel="C-CASES")
    case, events, owed = _snapshot(database_url, case_id)
    assert (case.state, case.decision, case.route, case.closed_at) == ("rejected", decision.value, None, NOW)
    assert events[1].data["decision"] == decision.value
    assert owed == []
    with session_scope(database_url) as session:
        assert cases.list_cases(session) == []
        assert [c.id for c in cases.list_cases(session, open_only=False)] == [case_id]


def test_an_exception_required_request_waits_for_an_exception_before_gitlab(database_url: str) -> None:
    case_id = _intake(database_url, Decision.EXCEPTION_REQUIRED)
    case, events, owed = _snapshot(database_url, case_id)
    assert (case.state, case.decision) == ("requested", "exception_required")
    assert events[1].data["rules"][0]["outcome"] == "exception_required"
    assert owed == []


def test_a_failure_mid_intake_leaves_nothing_and_the_delivery_can_be_retried(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _intake(database_url, key="view-9")
    with session_scope(database_url) as session:
        for model in (Case, CaseEvent, OutboxItem, IdempotencyKey):
            assert session.exec(select(model)).all() == []
    monkeypatch.undo()
    case_id = _intake(database_url, key="view-9")
    assert _snapshot(database_url, case_id)[0].state == "requested"


# ------------------------------------------------------------------------------------------------ changes


def test_the_routed_team_claims_a_case(database_url: str) -> None:
    case_id = _intake(database_url, channel="C-CASES")
    with session_scope(database_url) as session:
        case = cases.claim(session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=LATER, expected_version=1)
    assert (case.state, case.owner, case.triaged_at, case.version) == ("triaged", "U-SIRT", LATER, 2)
    _, events, owed = _snapshot(database_url, case_id)
    claimed = events[-1]
    assert (claimed.kind, claimed.from_state, claimed.to_state, claimed.actor, claimed.actor_role) == (
        "claimed",
        "requested",
        "triaged",
        "U-SIRT",
        "sirt",
    )
    # The thread and the SIRT issue (owed, not yet created) both hear of it.
    assert sorted(i.kind for i in owed if i.payload.get("event_id") == claimed.id) == [
        "gitlab.note",
        "slack.thread_post",
    ]


def test_an_unauthorised_claim_changes_nothing_and_is_recorded(database_url: str) -> None:
    case_id = _intake(database_url)
    before, events_before, owed_before = _snapshot(database_url, case_id)
    with (
        pytest.raises(cases.ActionRefused, match="needs the sirt role") as refused,
        session_scope(database_url) as session,
    ):
        cases.claim(session, case_id, actor="U-SUP", roles={Role.SUPPORT}, now=LATER)
    assert refused.value.kind == "unauthorised"
    after, events, owed = _snapshot(database_url, case_id)
    assert (after.state, after.owner, after.version, after.updated_at) == (
        before.state,
        None,
        before.version,
        before.updated_at,
    )
    assert owed == owed_before
    [record] = events[len(events_before) :]
    assert (record.kind, record.actor, record.actor_role, record.from_state) == (
        "unauthorised",
        "U-SUP",
        "support",
        "requested",
    )
    assert "sirt role" in record.data["message"]


def test_a_step_the_state_machine_does_not_have_is_refused_and_recorded(database_url: str) -> None:
    case_id = _intake(database_url)
    with (
        pytest.raises(cases.ActionRefused, match="cannot go from requested to shared") as refused,
        session_scope(database_url) as session,
    ):
        cases.apply_transition(
            session, case_id, CaseState.SHARED, actor="U-SIRT", roles={Role.SIRT}, now=LATER
        )
    assert refused.value.kind == "refused"
    case, events, _ = _snapshot(database_url, case_id)
    assert case.state == "requested" and case.version == 1
    assert events[-1].kind == "refused" and events[-1].data["to"] == "shared"


def test_a_role_the_step_does_not_allow_is_unauthorised(database_url: str) -> None:
    case_id = _intake(database_url)
    with (
        pytest.raises(cases.ActionRefused, match="needs one of the roles") as refused,
        session_scope(database_url) as session,
    ):
        cases.apply_transition(session, case_id, "rejected", actor="U-CSM", roles={Role.CSM}, now=LATER)
    assert refused.value.kind == "unauthorised"
    assert _snapshot(database_url, case_id)[0].state == "requested"


def test_a_refusal_discards_the_rest_of_the_unit_of_work_but_survives_itself(database_url: str) -> None:
    case_id = _intake(database_url)
    with pytest.raises(cases.ActionRefused), session_scope(database_url) as session:
        session.add(CaseEvent(case_id=case_id, at=LATER, actor="U-CSM", kind="half_done"))
        session.flush()
        cases.apply_transition(session, case_id, "closed", actor="U-CSM", roles={Role.CSM}, now=LATER)
    kinds = [e.kind for e in _snapshot(database_url, case_id)[1]]
    assert kinds == ["created", "eligibility", "refused"]


def test_triage_by_transition_is_a_claim_and_checks_the_route(database_url: str) -> None:
    case_id = _intake(database_url)
    with (
        pytest.raises(cases.ActionRefused, match="needs the sirt role"),
        session_scope(database_url) as session,
    ):
        cases.apply_transition(session, case_id, "triaged", actor="U-SUP", roles={Role.SUPPORT}, now=LATER)
    with session_scope(database_url) as session:
        case = cases.apply_transition(
            session, case_id, "triaged", actor="U-SIRT", roles={Role.SIRT}, now=LATER
        )
    assert (case.state, case.owner) == ("triaged", "U-SIRT")


def test_an_unknown_target_state_names_the_allowed_ones(database_url: str) -> None:
    case_id = _intake(database_url)
    with (
        pytest.raises(cases.CaseError, match="'done' is not a case state; allowed: requested"),
        session_scope(database_url) as session,
    ):
        cases.apply_transition(session, case_id, "done", actor="U-SIRT", roles={Role.SIRT}, now=LATER)


def test_a_stale_click_changes_nothing_and_is_recorded(database_url: str) -> None:
    case_id = _intake(database_url)
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=LATER, expected_version=1)
    with (
        pytest.raises(cases.StaleAction, match="changed since you looked"),
        session_scope(database_url) as session,
    ):
        cases.apply_transition(
            session,
            case_id,
            CaseState.INVESTIGATING,
            actor="U-SIRT2",
            roles={Role.SIRT},
            now=LATER,
            expected_version=1,
        )
    case, events, _ = _snapshot(database_url, case_id)
    assert (case.state, case.version) == ("triaged", 2)
    assert events[-1].kind == "stale" and events[-1].data["expected_version"] == 1


def test_transitions_bump_the_version_and_close_terminal_cases(database_url: str) -> None:
    case_id = _intake(database_url, route=Route.SUPPORT)
    steps = [
        (CaseState.INVESTIGATING, Role.SUPPORT),
        (CaseState.ARTEFACTS_IN_REVIEW, Role.SYSTEM),  # Logdive moves it as the artefacts' keys say
        (CaseState.ARTEFACTS_APPROVED, Role.SYSTEM),
        (CaseState.SHARED, Role.SYSTEM),
        (CaseState.CLOSED, Role.CSM),
    ]
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor="U-SUP", roles={Role.SUPPORT}, now=LATER)
    for n, (target, role) in enumerate(steps, start=1):
        with session_scope(database_url) as session:
            case = cases.apply_transition(
                session, case_id, target, actor=f"U-{role}", roles={role}, now=LATER + timedelta(minutes=n)
            )
            assert case.version == n + 2
    case, events, _ = _snapshot(database_url, case_id)
    assert case.state == "closed" and case.closed_at == LATER + timedelta(minutes=5)
    assert [e.to_state for e in events if e.kind == "transition"] == [s.value for s, _ in steps]


def test_an_unknown_case_is_a_clear_error(database_url: str) -> None:
    with pytest.raises(cases.CaseNotFound, match="no case LD-404"), session_scope(database_url) as session:
        cases.claim(session, 404, actor="U-SIRT", roles={Role.SIRT}, now=NOW)


# ------------------------------------------------------------------------------------------------ exceptions


def test_an_exception_is_requested_by_the_csm_and_decided_by_someone_else_in_legal(database_url: str) -> None:
    case_id = _intake(database_url, Decision.EXCEPTION_REQUIRED, channel="C-CASES")
    with (
        pytest.raises(cases.ActionRefused, match="needs an approved exception"),
        session_scope(database_url) as session,
    ):
        cases.claim(session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=NOW)
    with session_scope(database_url) as session:
        case = cases.request_exception(
            session, case_id, actor="U-CSM", roles={Role.CSM, Role.LEGAL}, now=NOW, reason="renewal in flight"
        )
        assert case.state == "awaiting_exception"

    with pytest.raises(cases.ActionRefused, match="cannot decide it"), session_scope(database_url) as session:
        cases.decide_exception(
            session, case_id, approver="U-CSM", roles={Role.LEGAL}, approve=True, reason=None, now=LATER
        )
    with pytest.raises(cases.ActionRefused, match="legal") as refused, session_scope(database_url) as session:
        cases.decide_exception(
            session, case_id, approver="U-SIRT", roles={Role.SIRT}, approve=True, reason=None, now=LATER
        )
    assert refused.value.kind == "unauthorised"
    with (
        pytest.raises(cases.CaseError, match="a denial must say why"),
        session_scope(database_url) as session,
    ):
        cases.decide_exception(
            session, case_id, approver="U-LEGAL", roles={Role.LEGAL}, approve=False, reason=" ", now=LATER
        )
    case, events, owed = _snapshot(database_url, case_id)
    assert case.state == "awaiting_exception"
    assert not any(i.kind == "gitlab.create_issue" for i in owed)
    assert [e.kind for e in events][-3:] == ["exception_requested", "unauthorised", "unauthorised"]
    assert events[-3].data == {"reason": "renewal in flight", "rules": ["plan"]}

    with session_scope(database_url) as session:
        cases.decide_exception(
            session, case_id, approver="U-LEGAL", roles={Role.LEGAL}, approve=True, reason="ok", now=LATER
        )
    with session_scope(database_url) as session:
        case = cases.claim(session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=LATER)
    case, events, owed = _snapshot(database_url, case_id)
    assert case.state == "triaged"
    approved = next(e for e in events if e.kind == "exception_approved")
    assert (approved.actor, approved.actor_role, approved.data["requested_by"]) == (
        "U-LEGAL",
        "legal",
        "U-CSM",
    )
    assert [i.kind for i in owed].count("gitlab.create_issue") == 1


def test_the_filer_cannot_decide_the_exception_another_csm_asked_for(database_url: str) -> None:
    case_id = _intake(database_url, Decision.EXCEPTION_REQUIRED)  # filed by U-CSM
    with session_scope(database_url) as session:
        cases.request_exception(
            session, case_id, actor="U-CSM2", roles={Role.CSM}, now=NOW, reason="renewal in flight"
        )
    for approve in (True, False):
        with (
            pytest.raises(cases.ActionRefused, match="filed a case cannot decide") as refused,
            session_scope(database_url) as session,
        ):
            cases.decide_exception(
                session,
                case_id,
                approver="U-CSM",
                roles={Role.CSM, Role.LEGAL},
                approve=approve,
                reason="fine by me",
                now=LATER,
            )
        assert refused.value.kind == "unauthorised"
    case, events, owed = _snapshot(database_url, case_id)
    assert case.state == "awaiting_exception" and not any(i.kind == "gitlab.create_issue" for i in owed)
    assert [(e.kind, e.actor) for e in events][-2:] == [("unauthorised", "U-CSM")] * 2
    with session_scope(database_url) as session:
        case = cases.decide_exception(
            session, case_id, approver="U-LEGAL", roles={Role.LEGAL}, approve=True, reason=None, now=LATER
        )
        assert case.state == "exception_approved"


def test_a_denied_exception_rejects_the_case_with_its_reason(database_url: str) -> None:
    case_id = _intake(database_url, Decision.EXCEPTION_REQUIRED)
    with session_scope(database_url) as session:
        cases.request_exception(session, case_id, actor="U-CSM", roles={Role.CSM}, now=NOW, reason="please")
    with session_scope(database_url) as session:
        cases.decide_exception(
            session,
            case_id,
            approver="U-LEGAL",
            roles={Role.LEGAL},
            approve=False,
            reason="no NDA",
            now=LATER,
        )
    case, events, owed = _snapshot(database_url, case_id)
    assert (case.state, case.closed_at) == ("rejected", LATER)
    assert events[-1].kind == "exception_denied" and events[-1].data["reason"] == "no NDA"
    assert owed == []


def test_an_eligible_case_needs_no_exception(database_url: str) -> None:
    case_id = _intake(database_url)
    with (
        pytest.raises(cases.ActionRefused, match="only exception_required"),
        session_scope(database_url) as session,
    ):
        cases.request_exception(session, case_id, actor="U-CSM", roles={Role.CSM}, now=NOW, reason="x")
    assert _snapshot(database_url, case_id)[1][-1].kind == "refused"


# ------------------------------------------------------------------------------------------------ updates


def test_a_customer_update_restarts_the_cadence_and_is_announced(database_url: str) -> None:
    case_id = _intake(database_url, channel="C-CASES")
    with session_scope(database_url) as session:
        cases.claim(session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=NOW)
        cases.log_customer_update(
            session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=LATER, summary="first look"
        )
    later = LATER + timedelta(hours=2)
    with session_scope(database_url) as session:
        case = cases.log_customer_update(
            session, case_id, actor="U-SIRT", roles={Role.SIRT}, now=later, summary="second"
        )
    # Security-route cases run on the SIRT calendar (every weekday hour): due 12 hours after the update.
    assert (case.first_customer_update_at, case.last_customer_update_at, case.next_update_due) == (
        LATER,
        later,
        later + timedelta(hours=12),
    )
    _, events, owed = _snapshot(database_url, case_id)
    update_ids = {e.id for e in events if e.kind == "customer_update"}
    announced = [(i.kind, i.payload["event_id"]) for i in owed if i.payload.get("event_id") in update_ids]
    assert len(announced) == 4  # a thread post and a SIRT-issue note for each update


def test_a_customer_update_on_a_rejected_case_is_refused(database_url: str) -> None:
    case_id = _intake(database_url, Decision.INELIGIBLE)
    with pytest.raises(cases.ActionRefused, match="open cases"), session_scope(database_url) as session:
        cases.log_customer_update(session, case_id, actor="U-CSM", roles={Role.CSM}, now=LATER, summary="x")
    case, events, _ = _snapshot(database_url, case_id)
    assert case.last_customer_update_at is None and events[-1].kind == "refused"


# ------------------------------------------------------------------------------------------------ reading


def test_labels_round_trip() -> None:
    assert cases.case_label(42) == "LD-42"
    assert [cases.parse_case_label(t) for t in ("LD-42", "ld-42", " 42 ")] == [42, 42, 42]
    with pytest.raises(ValueError, match="LD-42 or 42"):
        cases.parse_case_label("case 42")


def test_list_cases_filters_open_and_by_creator(database_url: str) -> None:
    first = _intake(database_url, key="a")
    second = _intake(database_url, Decision.INELIGIBLE, key="b")
    with session_scope(database_url) as session:
        third, _ = cases.record_intake(
            session,
            request=make_request(),
            assessment=make_assessment(),
            actor="U-OTHER",
            now=NOW,
            idempotency_key="c",
        )
    with session_scope(database_url) as session:
        assert [c.id for c in cases.list_cases(session)] == [third.id, first]
        assert [c.id for c in cases.list_cases(session, open_only=False)] == [third.id, second, first]
        assert [c.id for c in cases.list_cases(session, created_by="U-OTHER")] == [third.id]
        assert session.exec(select(Case).where(col(Case.id).in_([first]))).one().state == "requested"
