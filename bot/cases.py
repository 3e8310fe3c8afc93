"""The case service: the one place where cases change, used by Slack, GitLab webhooks, the scheduler, the CLI.

Every change happens in the caller's session as ONE unit of work: the case row, its event-log rows
and the outbox items it owes are flushed together and committed together by the caller
(`bot.db.engine.session_scope`). The state machine (workflows.states) decides what may happen.

A refusal (not allowed, unauthorised, stale) must be recorded even though nothing changes: the
service rolls back whatever the unit of work had done, commits the refusal event on its own, and
raises a `CaseError` the caller shows to the person. The caller's `session_scope` then rolls back
nothing more: the refusal survives, the refused change never happened.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import cadence_service, outbox
from bot.db.locks import lock_row
from bot.db.models import Case, CaseEvent, IdempotencyKey, OutboxItem
from bot.db.upsert import insert_if_absent
from workflows.assessment import Assessment, Decision, Route
from workflows.audit_gap import GapReport
from workflows.leak import LEAK_OPEN_STATES
from workflows.request import LogDiveRequest
from workflows.sirt_issue import state_after_issue_closed
from workflows.states import (
    OPEN_STATES,
    CaseState,
    Role,
    TransitionRefused,
    can_claim,
    exception_decider_problem,
    needs,
    transition,
)

LABEL_PREFIX = "LD-"
SYSTEM = "system"

# Where each decision leaves a new case. Refused requests are kept (state `rejected`) so history is.
_INTAKE_STATE = {
    Decision.ELIGIBLE: CaseState.REQUESTED,
    Decision.EXCEPTION_REQUIRED: CaseState.REQUESTED,
    Decision.RESCOPE: CaseState.REJECTED,
    Decision.INELIGIBLE: CaseState.REJECTED,
}

# Outbox kinds the case service owes; their handlers live with the GitLab and Slack adapters.
GITLAB_CREATE_ISSUE = "gitlab.create_issue"
GITLAB_NOTE = "gitlab.note"
SLACK_THREAD_POST = "slack.thread_post"


class CaseError(Exception):
    """A case change that did not happen. The message is for a person: it says what and why."""


class CaseNotFound(CaseError):
    pass


class StaleAction(CaseError):
    """The person acted on an old view of the case (a stale Slack button): nothing changed."""


class ActionRefused(CaseError):
    """Not allowed in this state, or not by this person. Recorded as an `unauthorised`/`refused` event."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------------------------------------- reading


def case_label(case_id: int) -> str:
    """The id people read and type: LD-42."""
    return f"{LABEL_PREFIX}{case_id}"


def parse_case_label(text: str) -> int:
    """'LD-42', 'ld-42' or '42' → 42. Raises ValueError naming what is allowed."""
    match = re.fullmatch(rf"(?:{LABEL_PREFIX})?(\d{{1,12}})", text.strip(), flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a case id; use the form {case_label(42)} or 42")
    return int(match.group(1))


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_label(case_id)}")
    return case


def list_cases(
    session: Session, *, open_only: bool = True, created_by: str | None = None, limit: int | None = None
) -> list[Case]:
    """Newest first."""
    query = select(Case)
    if open_only:
        # A data-leak case has its own states (workflows.leak); both kinds of open case are listed.
        open_states = [s.value for s in OPEN_STATES] + [s.value for s in LEAK_OPEN_STATES]
        query = query.where(col(Case.state).in_(open_states))
    if created_by is not None:
        query = query.where(Case.created_by == created_by)
    query = query.order_by(col(Case.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def case_events(session: Session, case_id: int) -> list[CaseEvent]:
    """The event log of a case, oldest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id)
    return list(session.exec(query.order_by(col(CaseEvent.at), col(CaseEvent.id))).all())


# ---------------------------------------------------------------------------------------------- intake


def record_intake(
    session: Session,
    *,
    request: LogDiveRequest,
    assessment: Assessment,
    actor: str,
    now: datetime,
    idempotency_key: str,
    channel: str | None = None,
) -> tuple[Case, bool]:
    """Record a request and its eligibility decision as a case. Returns (case, created).

    Idempotent on `idempotency_key` (a Slack retry, a double-submitted view): a second delivery
    returns the case the first one made, created=False, and owes nothing more. Every decision is
    kept: eligible and exception-required requests become `requested` cases; rescope and ineligible
    ones become `rejected` cases with their reasons, and nothing is created on GitLab.
    """
    if not insert_if_absent(
        session, IdempotencyKey, {"key": idempotency_key, "created_at": now}, conflict_on=["key"]
    ):
        existing = session.get(IdempotencyKey, idempotency_key, populate_existing=True)
        if existing is None or existing.case_id is None:
            raise CaseError(f"delivery {idempotency_key!r} was used for something other than a new case")
        return get_case(session, existing.case_id), False

    state = _INTAKE_STATE[assessment.decision]
    case = Case(
        state=state.value,
        decision=assessment.decision.value,
        route=assessment.route.value if assessment.route else None,
        customer_namespace=request.customer_namespace,
        requester_username=request.requester_username,
        ticket_reference=request.ticket_reference,
        description=request.description,
        request=request.model_dump(mode="json"),
        assessment=assessment.model_dump(mode="json"),
        created_by=actor,
        slack_channel=channel,
        created_at=now,
        updated_at=now,
        closed_at=now if state is CaseState.REJECTED else None,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    session.execute(
        update(IdempotencyKey).where(col(IdempotencyKey.key) == idempotency_key).values(case_id=case.id)
    )
    record_event(session, case, actor=actor, now=now, kind="created", to_state=state.value)
    record_event(
        session,
        case,
        actor=SYSTEM,
        now=now,
        kind="eligibility",
        data={
            "decision": assessment.decision.value,
            "route": assessment.route.value if assessment.route else None,
            "rules": [rule.model_dump(mode="json") for rule in assessment.rules],
            "notes": list(assessment.notes),
        },
    )
    cadence_service.case_changed(session, case, now)  # e.g. a window already near its log retention
    if assessment.decision is Decision.ELIGIBLE:
        _owe(session, case, GITLAB_CREATE_ISSUE, now=now, key=f"case:{case.id}:{GITLAB_CREATE_ISSUE}")
    if channel and state is not CaseState.REJECTED:
        _owe(
            session,
            case,
            SLACK_THREAD_POST,
            now=now,
            key=f"case:{case.id}:slack.case_opened",
            payload={"message": "case_opened", "channel": channel},
        )
    return case, True


# ---------------------------------------------------------------------------------------------- changes


def apply_transition(
    session: Session,
    case_id: int,
    target: CaseState | str,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    expected_version: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> Case:
    """Move a case to `target` if the state machine allows it for these roles; record who did it.

    Triage by a person is a claim (the route decides which team may): it goes through `claim`.
    """
    try:
        wanted = CaseState(target)
    except ValueError:
        allowed = ", ".join(state.value for state in CaseState)
        raise CaseError(f"target: {str(target)!r} is not a case state; allowed: {allowed}") from None
    if wanted is CaseState.TRIAGED and Role.SYSTEM not in roles:
        return claim(session, case_id, actor=actor, roles=roles, now=now, expected_version=expected_version)
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=actor, roles=roles, now=now, action=wanted.value)
    return _transition(session, case, wanted, actor=actor, roles=roles, now=now, data=data)


def claim(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    expected_version: int | None = None,
    owner_timezone: str | None = None,
) -> Case:
    """Take ownership and triage: Support claims support-route cases, SIRT security-route ones.

    `owner_timezone`: the claimer's IANA zone as Slack knows it, or None to keep the team calendar's
    own (the update cadence counts business hours in it).
    """
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=actor, roles=roles, now=now, action="claim")
    label = case_label(case.id or 0)
    problem = None
    if case.route is None:
        problem = ("refused", f"{label} has no route ({case.decision}): there is nothing to claim")
    elif case.state == CaseState.REQUESTED and case.decision != Decision.ELIGIBLE.value:
        problem = ("refused", f"{label} needs an approved exception before anyone claims it")
    elif not can_claim(Route(case.route), frozenset(roles)):
        team = "support" if case.route == Route.SUPPORT.value else "sirt"
        problem = ("unauthorised", f"{label} is on the {case.route} route: claiming it needs the {team} role")
    if problem:
        _refuse_with(session, case, problem, actor=actor, roles=roles, now=now, action="claim")
    acting = Role.SUPPORT if case.route == Route.SUPPORT.value else Role.SIRT
    case.owner, case.owner_timezone = actor, owner_timezone
    return _transition(
        session,
        case,
        CaseState.TRIAGED,
        actor=actor,
        roles=roles,
        now=now,
        data={"owner": actor},
        acting_role=acting,
        kind="claimed",
    )


def log_customer_update(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    summary: str,
    expected_version: int | None = None,
    url: str | None = None,
    from_gitlab: bool = False,
) -> Case:
    """Record that the customer was updated: the update clock restarts (bot.cadence_service).

    `from_gitlab`: a note on the SIRT issue marked as a customer update, vouched for by the GitLab
    webhook (no Slack role is asked of its author, and no note is written back to the issue).
    """
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=actor, roles=roles, now=now, action="update")
    problem = None
    if not from_gitlab and not set(roles) & {Role.SUPPORT, Role.SIRT, Role.CSM}:
        problem = ("unauthorised", "logging a customer update needs the csm, support or sirt role")
    elif CaseState(case.state) not in OPEN_STATES:
        problem = (
            "refused",
            f"{case_label(case.id or 0)} is {case.state}: customer updates are for open cases",
        )
    if problem:
        _refuse_with(session, case, problem, actor=actor, roles=roles, now=now, action="customer_update")
    cadence_service.customer_updated(session, case, now)
    _touch(case, now)
    data: dict[str, Any] = {"summary": summary}
    if from_gitlab:
        data |= {"source": "gitlab", "url": url}
    event = record_event(session, case, actor=actor, roles=roles, now=now, kind="customer_update", data=data)
    _announce(session, case, event, now=now, gitlab=not from_gitlab)
    return case


def request_exception(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """A CSM asks Legal to lift the exception-overridable rules this case failed."""
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=actor, roles=roles, now=now, action="exception")
    if case.decision != Decision.EXCEPTION_REQUIRED.value and Role.CSM in roles:
        message = f"{case_label(case.id or 0)} is {case.decision}: only exception_required cases go to Legal"
        _refuse_with(
            session, case, ("refused", message), actor=actor, roles=roles, now=now, action="request_exception"
        )
    if not reason.strip():
        raise CaseError("reason: say why the customer should have an exception (it must not be empty)")
    rules = [r["id"] for r in case.assessment.get("rules", []) if r.get("outcome") == "exception_required"]
    return _transition(
        session,
        case,
        CaseState.AWAITING_EXCEPTION,
        actor=actor,
        roles=roles,
        now=now,
        data={"reason": reason.strip(), "rules": rules},
        acting_role=Role.CSM,
        kind="exception_requested",
        gitlab=False,
    )


def decide_exception(
    session: Session,
    case_id: int,
    *,
    approver: str,
    roles: Collection[Role],
    approve: bool,
    reason: str | None,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Legal approves or denies a pending exception, never the filer's or the requester's; a denial says why.

    Approved: the case owes its SIRT issue and waits to be claimed. Denied: it is rejected.
    """
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=approver, roles=roles, now=now, action="decide")
    if not approve and not (reason or "").strip():
        raise CaseError("reason: a denial must say why (it must not be empty)")
    requested = _latest_event(session, case, "exception_requested")
    second_person = exception_decider_problem(
        approver, filed_by=case.created_by, requested_by=requested.actor if requested else None
    )
    if Role.LEGAL in roles and second_person:
        problem = ("unauthorised", second_person)
        _refuse_with(session, case, problem, actor=approver, roles=roles, now=now, action="decide_exception")
    case = _transition(
        session,
        case,
        CaseState.EXCEPTION_APPROVED if approve else CaseState.REJECTED,
        actor=approver,
        roles=roles,
        now=now,
        data={
            "reason": (reason or "").strip() or None,
            "requested_by": requested.actor if requested else None,
        },
        acting_role=Role.LEGAL,
        kind="exception_approved" if approve else "exception_denied",
        gitlab=False,
    )
    if approve:
        _owe(session, case, GITLAB_CREATE_ISSUE, now=now, key=f"case:{case.id}:{GITLAB_CREATE_ISSUE}")
    return case


# ------------------------------------------------------------------------------------------- the SIRT issue

# Outbox kind owed when a closed case reports what Audit Events lacked (bot/gitlab/outbox_handlers.py).
GITLAB_AUDIT_GAP = "gitlab.audit_gap"


def record_sirt_issue(session: Session, case_id: int, *, iid: int, url: str) -> Case:
    """The case's SIRT issue exists: remember it (the first one recorded stays). Not a change people
    act on, so the version stays and nobody's buttons go stale."""
    case = lock_case(session, case_id)
    if case.sirt_issue_iid is None:
        case.sirt_issue_iid, case.sirt_issue_url = iid, url
        session.add(case)
        session.flush()
    return case


def close_case(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    gap: GapReport | None,
    expected_version: int | None = None,
) -> Case:
    """Close a shared case with the investigating team's answer to "what did Audit Events lack?".

    `gap` None: nothing was missing. Otherwise the report is recorded (a note on the SIRT issue) and
    the Audit Events gap issue is owed, in the same transaction as the close."""
    case = lock_case(session, case_id)
    _check_version(session, case, expected_version, actor=actor, roles=roles, now=now, action="close")
    case = _transition(
        session,
        case,
        CaseState.CLOSED,
        actor=actor,
        roles=roles,
        now=now,
        data={"audit_gap": "reported" if gap else "nothing missing"},
    )
    if gap is not None:
        gap = gap.model_copy(update={"requested": tuple((case.request or {}).get("event_types") or ())})
        event = record_event(
            session,
            case,
            actor=actor,
            roles=roles,
            now=now,
            kind="audit_gap_reported",
            data={"report": gap.model_dump(mode="json")},
        )
        _announce(session, case, event, now=now)
        _owe(
            session,
            case,
            GITLAB_AUDIT_GAP,
            now=now,
            key=f"case:{case.id}:{GITLAB_AUDIT_GAP}",
            payload={"event_id": event.id},
        )
    return case


def record_audit_gap_filed(session: Session, case_id: int, *, url: str, created: bool, now: datetime) -> Case:
    """The gap issue was filed (or an open one on the same events got a note): linked from the SIRT
    issue by a note, and told in the thread."""
    case = lock_case(session, case_id)
    if case.audit_gap_issue_url == url:
        return case
    case.audit_gap_issue_url = url
    event = record_event(
        session, case, actor=SYSTEM, now=now, kind="audit_gap_filed", data={"url": url, "created": created}
    )
    _announce(session, case, event, now=now)
    return case


def record_finding(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    summary: str,
    url: str | None = None,
    from_gitlab: bool = False,
) -> Case:
    """A finding: told in the thread; a note on the SIRT issue unless it was written there already."""
    case = lock_case(session, case_id)
    if not from_gitlab and not set(roles) & {Role.SUPPORT, Role.SIRT}:
        message = "recording a finding needs the support or sirt role"
        _refuse_with(
            session, case, ("unauthorised", message), actor=actor, roles=roles, now=now, action="finding"
        )
    if not summary.strip():
        raise CaseError("summary: say what was found (it must not be empty)")
    event = record_event(
        session,
        case,
        actor=actor,
        roles=roles,
        now=now,
        kind="finding",
        data={"summary": summary.strip(), "url": url, "source": "gitlab" if from_gitlab else "logdive"},
    )
    _announce(session, case, event, now=now, gitlab=not from_gitlab)
    return case


def issue_closed_in_gitlab(
    session: Session, case_id: int, *, actor: str, now: datetime, url: str | None
) -> Case:
    """Someone closed the SIRT issue in GitLab: a shared case closes, one still in progress is cancelled
    (workflows.sirt_issue.state_after_issue_closed); a case already over only hears of it."""
    case = lock_case(session, case_id)
    target = state_after_issue_closed(case.state)
    data = {"source": "gitlab", "url": url}
    if target is None:
        event = record_event(session, case, actor=actor, now=now, kind="issue_closed_in_gitlab", data=data)
        _announce(session, case, event, now=now, gitlab=False)
        return case
    acting = Role.SYSTEM if target is CaseState.CLOSED else Role.SIRT
    return _transition(
        session,
        case,
        target,
        actor=actor,
        roles=frozenset({acting}),
        now=now,
        data=data,
        acting_role=acting,
        kind="issue_closed_in_gitlab",
    )


def issue_reopened_in_gitlab(
    session: Session, case_id: int, *, actor: str, now: datetime, url: str | None
) -> Case:
    """Someone reopened the SIRT issue: told in the thread (a finished case is not reopened)."""
    case = lock_case(session, case_id)
    event = record_event(
        session, case, actor=actor, now=now, kind="issue_reopened_in_gitlab", data={"url": url}
    )
    _announce(session, case, event, now=now, gitlab=False)
    return case


def record_delivery_parked(
    session: Session, case_id: int, *, item_id: int, kind: str, attempts: int, error: str, now: datetime
) -> Case:
    """An owed side effect keeps failing and waits for a person: said in the thread."""
    case = lock_case(session, case_id)
    event = record_event(
        session,
        case,
        actor=SYSTEM,
        now=now,
        kind="delivery_parked",
        data={"item_id": item_id, "item_kind": kind, "attempts": attempts, "error": error[:300]},
    )
    _announce(session, case, event, now=now, gitlab=False)
    return case


# ---------------------------------------------------------------------------------------------- internals


def lock_case(session: Session, case_id: int) -> Case:
    """Read the case for a change, locked so concurrent changes to it queue up instead of racing."""
    case = lock_row(session, Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_label(case_id)}")
    return case


def _check_version(
    session: Session,
    case: Case,
    expected: int | None,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    action: str,
) -> None:
    if expected is None or expected == case.version:
        return
    message = (
        f"{case_label(case.id or 0)} changed since you looked at it (version {expected}, now {case.version}):"
        " refresh and try again"
    )
    _refuse(
        session,
        case,
        kind="stale",
        actor=actor,
        roles=roles,
        now=now,
        message=message,
        data={"action": action, "expected_version": expected, "version": case.version},
        error=StaleAction,
    )


def _transition(
    session: Session,
    case: Case,
    target: CaseState,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    data: Mapping[str, Any] | None = None,
    acting_role: Role | None = None,
    kind: str = "transition",
    gitlab: bool = True,
) -> Case:
    current = CaseState(case.state)
    try:
        reached = transition(current, target, frozenset(roles))
    except TransitionRefused as refusal:
        _refuse(
            session,
            case,
            # The step exists but not for these roles: unauthorised; no such step at all: refused.
            kind="unauthorised" if needs(current, target) else "refused",
            actor=actor,
            roles=roles,
            now=now,
            message=f"{case_label(case.id or 0)}: {refusal}",
            data={"action": "transition", "from": current.value, "to": target.value, **(data or {})},
        )
    case.state = reached.value
    if reached is CaseState.TRIAGED:
        case.triaged_at = case.triaged_at or now
    if reached not in OPEN_STATES:
        case.closed_at = now
    # Triage starts the update clock, waiting on the customer or Legal pauses it, closing stops it.
    cadence_service.case_changed(session, case, now)
    _touch(case, now)
    event = record_event(
        session,
        case,
        actor=actor,
        roles=roles,
        now=now,
        kind=kind,
        from_state=current.value,
        to_state=reached.value,
        data=dict(data or {}),
        acting_role=acting_role,
    )
    _announce(session, case, event, now=now, gitlab=gitlab)
    return case


def record_refusal(
    session: Session,
    case_id: int | None,
    *,
    kind: str,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    message: str,
    data: Mapping[str, Any],
    from_state: str | None = None,
) -> None:
    """Undo the unit of work so far and commit the refusal on its own: nothing changed, and it shows.

    The caller raises next; its `session_scope` then has nothing left to roll back.
    """
    session.rollback()
    session.add(
        CaseEvent(
            case_id=case_id,
            at=now,
            actor=actor,
            actor_role=_roles_text(roles),
            kind=kind,
            from_state=from_state,
            data={**data, "message": message},
        )
    )
    session.commit()


def _refuse(
    session: Session,
    case: Case,
    *,
    kind: str,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    message: str,
    data: Mapping[str, Any],
    error: type[CaseError] = ActionRefused,
) -> NoReturn:
    case_id, state = case.id, case.state  # read before the rollback expires `case`
    record_refusal(
        session,
        case_id,
        kind=kind,
        actor=actor,
        roles=roles,
        now=now,
        message=message,
        data=data,
        from_state=state,
    )
    if error is ActionRefused:
        raise ActionRefused(message, kind=kind)
    raise error(message)


def _refuse_with(
    session: Session,
    case: Case,
    problem: tuple[str, str],
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    action: str,
) -> NoReturn:
    """`_refuse` for a (kind, message) pair found by a service's own checks."""
    kind, message = problem
    _refuse(
        session, case, kind=kind, actor=actor, roles=roles, now=now, message=message, data={"action": action}
    )


def _touch(case: Case, now: datetime) -> None:
    case.version += 1
    case.updated_at = now


def _roles_text(roles: Collection[Role]) -> str | None:
    return ",".join(sorted(str(Role(r).value) for r in roles)) or None


def record_event(
    session: Session,
    case: Case,
    *,
    actor: str,
    now: datetime,
    kind: str,
    roles: Collection[Role] = (),
    from_state: str | None = None,
    to_state: str | None = None,
    data: Mapping[str, Any] | None = None,
    acting_role: Role | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=now,
        actor=actor,
        actor_role=acting_role.value if acting_role else _roles_text(roles),
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        data=dict(data or {}),
    )
    session.add(case)
    session.add(event)
    session.flush()
    return event


def _owe(
    session: Session,
    case: Case,
    kind: str,
    *,
    now: datetime,
    key: str,
    payload: Mapping[str, Any] | None = None,
) -> OutboxItem:
    return outbox.enqueue(
        session, case_id=case.id, kind=kind, payload={"case_id": case.id, **(payload or {})}, key=key, now=now
    )


def _announce(session: Session, case: Case, event: CaseEvent, *, now: datetime, gitlab: bool = True) -> None:
    """Owe the thread message and the SIRT-issue note that tell people about `event`."""
    payload = {"event_id": event.id, "event": event.kind}
    if case.slack_channel:
        _owe(
            session,
            case,
            SLACK_THREAD_POST,
            now=now,
            key=f"event:{event.id}:{SLACK_THREAD_POST}",
            payload=payload,
        )
    if gitlab and sirt_issue_exists_or_owed(session, case):
        _owe(session, case, GITLAB_NOTE, now=now, key=f"event:{event.id}:{GITLAB_NOTE}", payload=payload)


def sirt_issue_exists_or_owed(session: Session, case: Case) -> bool:
    """Created, or owed: a note queued behind a pending create is delivered once the issue exists."""
    if case.sirt_issue_iid is not None:
        return True
    key = f"case:{case.id}:{GITLAB_CREATE_ISSUE}"
    return session.exec(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)).first() is not None


def _latest_event(session: Session, case: Case, kind: str) -> CaseEvent | None:
    query = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
    return session.exec(query.order_by(col(CaseEvent.id).desc())).first()
