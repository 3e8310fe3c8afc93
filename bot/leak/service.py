"""The one door for every change to a data-leak case.

Each function owns its unit of work: it locks the case, rebuilds the `workflows.leak.LeakCase`
aggregate from the rows, lets the aggregate decide, writes the result and the step's `case_events`
row, and owes the SIRT-issue note in the same transaction. A refusal is recorded on its own and raised
as `ActionRefused`: nothing else changes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import cases, outbox
from bot.cases import ActionRefused, CaseError, StaleAction
from bot.db.models import Case, CaseEvent, IdempotencyKey
from bot.db.upsert import insert_if_absent
from bot.gitlab import templates
from bot.leak.models import LeakReport, LeakStorageLocation, LeakThirdParty
from workflows import leak as L
from workflows.leak_report import LeakReportForm
from workflows.states import CASE_ROLES, Role

LEAK = "data_leak"
LOG_DIVE = "log_dive"
NOT_APPLICABLE = "not_applicable"  # `cases.decision`: a leak has no eligibility decision
STEP = "leak_step"


def is_leak(case: Case) -> bool:
    return case.type == LEAK


def report(
    session: Session,
    form: LeakReportForm,
    *,
    actor: str,
    roles: frozenset[Role],
    now: datetime,
    idempotency_key: str,
    channel: str | None = None,
) -> tuple[Case, bool]:
    """Open a confidential SIRT case for a leak report; (case, created). Case-handling roles only."""
    if not roles & CASE_ROLES:
        message = "Reporting a data leak needs one of the roles csm, legal, sirt, support."
        cases.record_refusal(
            session,
            None,
            kind="unauthorised",
            actor=actor,
            roles=roles,
            now=now,
            message=message,
            data={"action": "leak_report"},
        )
        raise ActionRefused(message, kind="unauthorised")
    if not insert_if_absent(
        session, IdempotencyKey, {"key": idempotency_key, "created_at": now}, conflict_on=["key"]
    ):
        existing = session.get(IdempotencyKey, idempotency_key, populate_existing=True)
        if existing is None or existing.case_id is None:
            raise CaseError(f"delivery {idempotency_key!r} was used for something other than a new case")
        return cases.get_case(session, existing.case_id), False
    case = Case(
        type=LEAK,
        state=L.LeakState.REPORTED.value,
        decision=NOT_APPLICABLE,
        route="security",
        customer_namespace=form.customer_namespace,
        requester_username="",
        ticket_reference=form.ticket_reference,
        description=form.description,
        request=form.model_dump(mode="json"),
        assessment={},
        created_by=actor,
        slack_channel=channel,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    session.execute(
        update(IdempotencyKey).where(col(IdempotencyKey.key) == idempotency_key).values(case_id=case.id)
    )
    session.add(
        LeakReport(
            case_id=case.id,
            category=form.category.value,
            contact=form.contact,
            first_exported=form.first_exported.isoformat() if form.first_exported else None,
        )
    )
    cases.record_event(
        session,
        case,
        actor=actor,
        now=now,
        kind="created",
        roles=roles,
        to_state=case.state,
        data={"type": LEAK, "category": form.category.value, "legal_required": _legal(form)},
    )
    key = f"case:{case.id}:{cases.GITLAB_CREATE_ISSUE}"
    outbox.enqueue(
        session,
        case_id=case.id,
        kind=cases.GITLAB_CREATE_ISSUE,
        payload={"case_id": case.id},
        key=key,
        now=now,
    )
    return case, True


def _legal(form: LeakReportForm) -> bool:
    return L.LeakCase(category=form.category).legal_required


def leak_case(session: Session, case_id: int) -> L.LeakCase:
    """The aggregate as it is now."""
    case = cases.get_case(session, case_id)
    if not is_leak(case):
        raise CaseError(f"{cases.case_label(case_id)} is not a data-leak case")
    return _aggregate(session, case)


def take_step(
    session: Session,
    case_id: int,
    step: L.Step,
    *,
    actor: str,
    roles: frozenset[Role],
    now: datetime,
    version: int | None = None,
) -> L.StepRecord:
    """Take one step of the lifecycle; refused steps are recorded and raised as ActionRefused."""
    case = cases.lock_case(session, case_id)
    if not is_leak(case):
        raise CaseError(f"{cases.case_label(case_id)} is not a data-leak case")
    if version is not None and version != case.version:
        raise StaleAction(f"{cases.case_label(case_id)} changed since this was shown; look again.")
    before = _aggregate(session, case)
    try:
        after, record = L.apply(before, step, actor=actor, roles=roles, at=now)
    except L.LeakRefused as refused:
        kind = "refused" if L.may(step.action, roles) else "unauthorised"
        cases.record_refusal(
            session,
            case_id,
            kind=kind,
            actor=actor,
            roles=roles,
            now=now,
            message=refused.reason,
            data={"action": step.action.value},
            from_state=case.state,
        )
        raise ActionRefused(refused.reason, kind=kind) from None
    _write(session, case, after, actor=actor, now=now)
    changed = record.from_state is not record.to_state
    event = cases.record_event(
        session,
        case,
        actor=actor,
        now=now,
        kind=STEP,
        acting_role=record.role,
        from_state=record.from_state.value if changed else None,
        to_state=record.to_state.value if changed else None,
        data={"action": record.action.value, "evidence": record.evidence},
    )
    _owe_note(session, case, event, record, now=now)
    return record


def refuse(
    session: Session,
    case_id: int,
    action: L.LeakAction,
    *,
    actor: str,
    roles: Collection[Role],
    now: datetime,
    message: str,
    kind: str = "refused",
) -> None:
    """Record a refusal the adapters found before the aggregate could (e.g. an unconfirmed deletion)."""
    case = cases.get_case(session, case_id)
    cases.record_refusal(
        session,
        case_id,
        kind=kind,
        actor=actor,
        roles=roles,
        now=now,
        message=message,
        data={"action": action.value},
        from_state=case.state,
    )


def steps(session: Session, case_id: int) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == STEP)
    return list(session.exec(query.order_by(col(CaseEvent.id))).all())


def summary(session: Session, case: Case) -> dict[str, Any]:
    """What `logdive cases show` and the Slack message show of a leak."""
    assert case.id is not None
    aggregate = _aggregate(session, case)
    row = session.get(LeakReport, case.id)
    return {
        "category": aggregate.category.value,
        "contact": row.contact if row else None,
        "first_exported": row.first_exported if row else None,
        "legal_required": aggregate.legal_required,
        "legal_signed_off_by": aggregate.legal_signed_off_by,
        "storage": [
            {
                "url": s.url,
                "holds": s.holds,
                "status": s.evidence.describe() if s.evidence else "not yet checked",
                "deleted": s.deleted,
            }
            for s in aggregate.storage
        ],
        "third_parties": [
            p.model_dump(mode="json") | {"deleted": p.deleted} for p in aggregate.third_parties
        ],
        "outstanding": L.outstanding(aggregate) if aggregate.state is L.LeakState.IDENTIFIED else [],
        "root_cause": aggregate.root_cause,
        "improvement_url": aggregate.improvement_url,
    }


# ------------------------------------------------------------------------------------------------ rows


def _aggregate(session: Session, case: Case) -> L.LeakCase:
    assert case.id is not None
    row = session.get(LeakReport, case.id)
    if row is None:
        raise CaseError(f"{cases.case_label(case.id)} has no leak report")
    storage = session.exec(
        select(LeakStorageLocation)
        .where(LeakStorageLocation.case_id == case.id)
        .order_by(col(LeakStorageLocation.id))
    ).all()
    parties = session.exec(
        select(LeakThirdParty).where(LeakThirdParty.case_id == case.id).order_by(col(LeakThirdParty.id))
    ).all()
    return L.LeakCase(
        state=L.LeakState(case.state),
        category=L.DataCategory(row.category),
        storage=tuple(
            L.StorageLocation(
                url=s.url,
                holds=s.holds,
                evidence=L.StorageEvidence.model_validate(s.evidence) if s.evidence else None,
            )
            for s in storage
        ),
        third_parties=tuple(
            L.ThirdParty(
                name=p.name,
                holds=p.holds,
                requested_at=p.requested_at,
                requested_by=p.requested_by,
                request_reference=p.request_reference,
                confirmed_at=p.confirmed_at,
                confirmed_by=p.confirmed_by,
                confirmation_reference=p.confirmation_reference,
            )
            for p in parties
        ),
        legal_signed_off_by=row.legal_signed_off_by,
        root_cause=row.root_cause,
        improvement_url=row.improvement_url,
    )


def _write(session: Session, case: Case, after: L.LeakCase, *, actor: str, now: datetime) -> None:
    """Bring the rows in line with the aggregate after one step."""
    assert case.id is not None
    rows = {
        s.url: s
        for s in session.exec(select(LeakStorageLocation).where(LeakStorageLocation.case_id == case.id))
    }
    for location in after.storage:
        evidence = location.evidence.model_dump(mode="json") if location.evidence else None
        found = rows.get(location.url)
        if found is None:
            session.add(
                LeakStorageLocation(
                    case_id=case.id,
                    url=location.url,
                    holds=location.holds,
                    identified_by=actor,
                    identified_at=now,
                    evidence=evidence,
                )
            )
        elif found.evidence != evidence:
            found.evidence = evidence
            session.add(found)
    parties = {
        p.name: p for p in session.exec(select(LeakThirdParty).where(LeakThirdParty.case_id == case.id))
    }
    for party in after.third_parties:
        found_party = parties.get(party.name)
        if found_party is None:
            found_party = LeakThirdParty(
                case_id=case.id, name=party.name, holds=party.holds, identified_by=actor, identified_at=now
            )
        for field in (
            "requested_at",
            "requested_by",
            "request_reference",
            "confirmed_at",
            "confirmed_by",
            "confirmation_reference",
        ):
            setattr(found_party, field, getattr(party, field))
        session.add(found_party)
    report_row = session.get(LeakReport, case.id)
    assert report_row is not None
    if after.legal_signed_off_by and not report_row.legal_signed_off_by:
        report_row.legal_signed_off_by, report_row.legal_signed_off_at = after.legal_signed_off_by, now
    report_row.root_cause, report_row.improvement_url = after.root_cause, after.improvement_url
    session.add(report_row)
    if case.state != after.state.value:
        case.state = after.state.value
        if after.state in L.LEAK_TERMINAL_STATES:
            case.closed_at = now
    case.version += 1
    case.updated_at = now
    session.add(case)
    session.flush()


def _owe_note(session: Session, case: Case, event: CaseEvent, record: L.StepRecord, *, now: datetime) -> None:
    """The SIRT issue's note for the step: rendered here, through the neutralising templates."""
    if not cases.sirt_issue_exists_or_owed(session, case):
        return
    body = templates.render("leak_step_note", record=record, evidence=record.evidence)
    outbox.enqueue(
        session,
        case_id=case.id,
        kind=cases.GITLAB_NOTE,
        payload={"case_id": case.id, "event_id": event.id, "event": event.kind, "body": body},
        key=f"event:{event.id}:{cases.GITLAB_NOTE}",
        now=now,
    )
