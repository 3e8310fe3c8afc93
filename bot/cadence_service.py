"""The customer-update cadence of stored cases, and the timed work each case owes, kept in scheduled_work.

`workflows.cadence` decides; this module reads a case row into a `CadenceClock` and a `CaseSnapshot`,
writes the clock back (paused_at, paused_business_hours, next_update_due) and keeps one pending
scheduled_work row per slot the case owes as things stand: the next reminder, its escalation, a
log-retention warning. The tick then finds due work by index (status, due_at) alone, and its cost
follows what is due, not what is open.

The case service calls `case_changed` (and `customer_updated`) in its own unit of work whenever a case
is created, triaged, paused, resumed, updated or closed: the schedule commits with the change.

The clock's fields on the case row: anchor = the later of triaged_at and last_customer_update_at,
paused_at, paused_business_hours, and stopped = closed_at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.calendar_config import calendar_for, load_calendars
from bot.db.models import Case, ScheduledWork
from bot.db.upsert import insert_if_absent
from bot.settings import Settings, get_settings
from workflows.assessment import Route
from workflows.business_calendar import BusinessCalendar
from workflows.cadence import CadenceClock, CaseSnapshot, DueSlot, DueWork, plan_timed_work, scheduled_work
from workflows.policy import Policy
from workflows.states import OPEN_STATES, PAUSED_STATES, CaseState

PENDING, DONE, CANCELLED, PARKED = "pending", "done", "cancelled", "parked"

# The calendar team (config/calendar.toml) whose hours count for a route's cases; a team the file does
# not name falls back to [teams.default].
ROUTE_TEAMS = {Route.SECURITY.value: "sirt", Route.SUPPORT.value: "support"}

# Once the case is in review the log-dive is done: a log source ageing out no longer matters.
_LOG_DIVE_DONE = frozenset({CaseState.ARTEFACTS_IN_REVIEW, CaseState.ARTEFACTS_APPROVED, CaseState.SHARED})


@dataclass(frozen=True)
class CadenceRules:
    """The policy (cadence, grace, log retention) and the business calendars the cadence runs on."""

    policy: Policy
    calendars: Mapping[str, BusinessCalendar]

    def calendar(self, case: Case) -> BusinessCalendar:
        """The case's team calendar, in the owner's time zone when Slack told us one."""
        team = ROUTE_TEAMS.get(case.route or "")
        return calendar_for(team, case.owner_timezone, dict(self.calendars))


def current_rules(settings: Settings | None = None) -> CadenceRules:
    """The rules of this deployment: LOGDIVE_POLICY (or the packaged policy) and config/calendar.toml."""
    settings = settings or get_settings()
    return _rules(settings.policy_file)


@cache  # one read of each policy file per process, as the calendars are
def _rules(policy_file: Path | None) -> CadenceRules:
    return CadenceRules(policy=Settings(policy_file=policy_file).load_policy(), calendars=load_calendars())


# ---------------------------------------------------------------------------------------------- reading


def clock_of(case: Case) -> CadenceClock | None:
    """The case's update clock; None until triage starts it."""
    if case.triaged_at is None:
        return None
    anchor = max(t for t in (case.triaged_at, case.last_customer_update_at) if t is not None)
    return CadenceClock(
        anchor=anchor,
        paused_business_hours=case.paused_business_hours,
        paused_at=case.paused_at,
        stopped_at=case.closed_at,
    )


def snapshot_of(case: Case, clock: CadenceClock | None = None) -> CaseSnapshot:
    assert case.id is not None
    state = CaseState(case.state)
    request = case.request or {}
    return CaseSnapshot(
        case_id=case.id,
        closed=state not in OPEN_STATES,
        clock=clock if clock is not None else clock_of(case),
        window_start=_window_start(request),
        log_sources=tuple(str(s) for s in request.get("log_sources") or ("application",)),
        log_dive_done=state in _LOG_DIVE_DONE,
    )


def _window_start(request: Mapping[str, Any]) -> datetime | None:
    try:
        start = datetime.fromisoformat(str((request.get("window") or {})["start"]))
    except (KeyError, TypeError, ValueError):
        return None
    return start if start.tzinfo is not None else None


def due_work(case: Case, now: datetime, rules: CadenceRules) -> list[DueWork]:
    """The timed work the case owes at `now` (workflows.cadence.plan_timed_work over the stored case)."""
    return plan_timed_work(snapshot_of(case), now, rules.calendar(case), rules.policy)


# ---------------------------------------------------------------------------------------------- changes


def case_changed(session: Session, case: Case, now: datetime, rules: CadenceRules | None = None) -> None:
    """Bring the clock in line with the case's state (paused while it waits on the customer or Legal,
    stopped once closed) and the scheduled work in line with the clock. In the caller's transaction."""
    rules = rules or current_rules()
    clock = clock_of(case)
    if clock is not None:
        calendar = rules.calendar(case)
        waiting = CaseState(case.state) in PAUSED_STATES
        clock = clock.pause(now) if waiting else clock.resume(now, calendar)
        _store(case, clock, calendar, rules)
    sync_schedule(session, case, now, rules)


def customer_updated(session: Session, case: Case, now: datetime, rules: CadenceRules | None = None) -> None:
    """A customer update was logged: the clock restarts from `now` (an update recorded out of order
    never moves it back), then as `case_changed`."""
    rules = rules or current_rules()
    clock = clock_of(case)  # before the update: reset() compares against the old anchor
    case.first_customer_update_at = case.first_customer_update_at or now
    latest = case.last_customer_update_at
    case.last_customer_update_at = max(latest, now) if latest is not None else now
    if clock is not None:
        _store(case, clock.reset(now), rules.calendar(case), rules)
    case_changed(session, case, now, rules)


def _store(case: Case, clock: CadenceClock, calendar: BusinessCalendar, rules: CadenceRules) -> None:
    case.paused_at = clock.paused_at
    case.paused_business_hours = clock.paused_business_hours
    case.next_update_due = clock.due_at(calendar, rules.policy.cadence)


def sync_schedule(session: Session, case: Case, now: datetime, rules: CadenceRules | None = None) -> None:
    """One pending scheduled_work row per slot the case owes; pending rows it no longer owes cancelled.

    Rows already done stay done: a slot is sent at most once. A slot cancelled earlier and owed again
    (a pause that spanned no business time leaves the due time where it was) is pending once more.
    """
    rules = rules or current_rules()
    assert case.id is not None
    owed = {
        (item.slot.kind.value, item.slot.due_at): item
        for item in scheduled_work(snapshot_of(case), now, rules.calendar(case), rules.policy)
    }
    pending = session.exec(
        select(ScheduledWork).where(ScheduledWork.case_id == case.id, ScheduledWork.status == PENDING)
    ).all()
    stale = [row.id for row in pending if (row.kind, row.due_at) not in owed]
    if stale:
        session.execute(
            update(ScheduledWork)
            .where(col(ScheduledWork.id).in_(stale), col(ScheduledWork.status) == PENDING)
            .values(status=CANCELLED)  # a tick sending it right now still records what it sent
            .execution_options(synchronize_session=False)
        )
    for (kind, due_at), _item in owed.items():
        values = {"case_id": case.id, "kind": kind, "due_at": due_at, "status": PENDING, "data": {}}
        if not insert_if_absent(session, ScheduledWork, values, conflict_on=["case_id", "kind", "due_at"]):
            session.execute(
                update(ScheduledWork)
                .where(
                    col(ScheduledWork.case_id) == case.id,
                    col(ScheduledWork.kind) == kind,
                    col(ScheduledWork.due_at) == due_at,
                    col(ScheduledWork.status) == CANCELLED,
                )
                .values(status=PENDING, attempts=0, last_error=None)
                .execution_options(synchronize_session=False)
            )


def slot_of(row: ScheduledWork) -> DueSlot:
    return DueSlot(case_id=row.case_id, kind=row.kind, due_at=row.due_at)


def clock_state(case: Case) -> str:
    """`not started` (until triage), `running`, `paused` (waiting on the customer or Legal) or `stopped`."""
    if case.triaged_at is None:
        return "not started"
    if case.closed_at is not None:
        return "stopped"
    return "paused" if case.paused_at is not None else "running"


def is_overdue(case: Case, now: datetime) -> bool:
    """The customer update is due and not logged (never while the clock is paused or stopped)."""
    return case.next_update_due is not None and case.next_update_due <= now
