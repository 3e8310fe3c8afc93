"""The customer-update cadence and the timed work a case owes: reminders, escalations, retention warnings.

A customer update is due `update_every_business_hours` after the last one (after triage for the
first). The clock pauses while the case waits on the customer or on Legal and stops when the case
closes. Timed work is identified by its slot (case, kind, due time): the scheduler stores one row
per slot, so a reminder for the same due time is never sent twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from workflows.business_calendar import (
    BusinessCalendar,
    add_business_hours,
    aware_utc,
    business_hours_between,
)
from workflows.policy import CadencePolicy, Policy, RetentionPolicy


class WorkKind(StrEnum):
    UPDATE_REMINDER = "update_reminder"
    ESCALATION = "escalation"
    RETENTION_WARNING = "retention_warning"


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def next_update_due(
    last_update_or_triage: datetime,
    calendar: BusinessCalendar,
    policy: CadencePolicy,
    paused_business_hours: float = 0.0,
) -> datetime:
    """When the next customer update is due: the cadence plus any business time spent paused."""
    if paused_business_hours < 0:
        raise ValueError(f"paused_business_hours must be 0 or more, not {paused_business_hours!r}")
    return add_business_hours(
        last_update_or_triage, policy.update_every_business_hours + paused_business_hours, calendar
    )


def escalation_due(due_at: datetime, calendar: BusinessCalendar, policy: CadencePolicy) -> datetime:
    """When an update still missing after `escalation_grace_business_hours` is escalated."""
    return add_business_hours(due_at, policy.escalation_grace_business_hours, calendar)


class CadenceClock(_Value):
    """The update clock of one case. Methods return a new clock; `bot/` stores its three fields.

    `anchor` is the last customer update (triage before the first); `paused_business_hours` is the
    business time spent paused since the anchor, which pushes the due time back by as much.
    """

    anchor: AwareDatetime
    paused_business_hours: float = Field(default=0.0, ge=0)
    paused_at: AwareDatetime | None = None
    stopped_at: AwareDatetime | None = None

    @field_validator("anchor", "paused_at", "stopped_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @classmethod
    def start(cls, triaged_at: datetime) -> CadenceClock:
        return cls(anchor=triaged_at)

    @property
    def running(self) -> bool:
        return self.paused_at is None and self.stopped_at is None

    def pause(self, now: datetime) -> CadenceClock:
        """Awaiting the customer or Legal. Pausing a paused clock keeps the first pause."""
        if not self.running:
            return self
        return self.model_copy(update={"paused_at": max(aware_utc("now", now), self.anchor)})

    def resume(self, now: datetime, calendar: BusinessCalendar) -> CadenceClock:
        """Back to work: the business time spent paused (in `calendar`) is added to the allowance."""
        if self.paused_at is None or self.stopped_at is not None:
            return self
        paused = max(0.0, business_hours_between(self.paused_at, aware_utc("now", now), calendar))
        return self.model_copy(
            update={"paused_at": None, "paused_business_hours": self.paused_business_hours + paused}
        )

    def reset(self, now: datetime) -> CadenceClock:
        """A customer update was logged: the next one is due a full cadence from now.

        An update recorded out of order (older than the anchor) never moves the clock back.
        A paused clock stays paused, counting from now.
        """
        now = aware_utc("now", now)
        if self.stopped_at is not None or now < self.anchor:
            return self
        return CadenceClock(anchor=now, paused_at=now if self.paused_at is not None else None)

    def stop(self, now: datetime) -> CadenceClock:
        """The case closed: nothing is due any more."""
        if self.stopped_at is not None:
            return self
        return self.model_copy(update={"stopped_at": aware_utc("now", now)})

    def due_at(self, calendar: BusinessCalendar, policy: CadencePolicy) -> datetime | None:
        """When the next update is due; None while paused or stopped."""
        if not self.running:
            return None
        return next_update_due(self.anchor, calendar, policy, self.paused_business_hours)


class DueSlot(_Value):
    """The identity of one piece of timed work: the scheduler's unique key (case_id, kind, due_at)."""

    case_id: int
    kind: WorkKind
    due_at: AwareDatetime

    @field_validator("due_at")
    @classmethod
    def _whole_seconds_utc(cls, value: datetime) -> datetime:
        # Rounded up to the second: the key survives any database's precision, and work never fires early.
        value = value.astimezone(UTC)
        if value.microsecond:
            value = value.replace(microsecond=0) + timedelta(seconds=1)
        return value


def reminder_slots(
    case_id: int, due_at: datetime, calendar: BusinessCalendar, policy: CadencePolicy
) -> tuple[DueSlot, DueSlot]:
    """The reminder at the due time and the escalation after the grace period, for one due update."""
    return (
        DueSlot(case_id=case_id, kind=WorkKind.UPDATE_REMINDER, due_at=due_at),
        DueSlot(case_id=case_id, kind=WorkKind.ESCALATION, due_at=escalation_due(due_at, calendar, policy)),
    )


class RetentionWarning(_Value):
    """The oldest part of a case's window is about to leave (or has left) a log source's retention."""

    source: str
    ages_out_at: AwareDatetime  # the window's start plus the source's retention
    warn_from: AwareDatetime  # `log_retention_warning_days` before that
    aged_out: bool  # already past: the oldest entries are gone

    @property
    def ages_out_on(self) -> date:
        return self.ages_out_at.astimezone(UTC).date()


def retention_warning(
    window_start: datetime, log_sources: Iterable[str], retention: RetentionPolicy, now: datetime
) -> RetentionWarning | None:
    """A warning when the window's start ages out of a source within the warning period, else None.

    Sources without a configured retention are ignored; of several, the first to age out counts.
    Whether the log-dive is already done is the caller's to say (see `plan_timed_work`).
    """
    warning = _earliest_ageing(window_start, log_sources, retention, now)
    return warning if warning is not None and warning.warn_from <= aware_utc("now", now) else None


class CaseSnapshot(_Value):
    """What the timed-work planner needs to know about a case; `bot/` builds it from the case row."""

    case_id: int
    closed: bool = False  # closed wins: nothing is due, whatever the clock says
    clock: CadenceClock | None = None  # None until triage starts the cadence
    window_start: AwareDatetime | None = None
    log_sources: tuple[str, ...] = ()
    log_dive_done: bool = False


class DueWork(_Value):
    slot: DueSlot
    update_due_at: AwareDatetime | None = None  # reminders and escalations: when the update was due
    retention: RetentionWarning | None = None  # retention warnings: what ages out when


def scheduled_work(
    case: CaseSnapshot, now: datetime, calendar: BusinessCalendar, policy: Policy
) -> list[DueWork]:
    """Every piece of timed work the case owes as things stand, due or not yet, earliest first."""
    if case.closed:
        return []
    work: list[DueWork] = []
    due = case.clock.due_at(calendar, policy.cadence) if case.clock is not None else None
    if due is not None:
        work += [
            DueWork(slot=slot, update_due_at=due)
            for slot in reminder_slots(case.case_id, due, calendar, policy.cadence)
        ]
    if case.window_start is not None and not case.log_dive_done:
        warning = _earliest_ageing(case.window_start, case.log_sources, policy.retention, now)
        if warning is not None:
            slot = DueSlot(case_id=case.case_id, kind=WorkKind.RETENTION_WARNING, due_at=warning.warn_from)
            work.append(DueWork(slot=slot, retention=warning))
    return sorted(work, key=lambda item: (item.slot.due_at, item.slot.kind))


def plan_timed_work(
    case: CaseSnapshot,
    now: datetime,
    calendar: BusinessCalendar,
    policy: Policy,
    done: Collection[DueSlot] = (),
) -> list[DueWork]:
    """The timed work due for `case` at `now`, leaving out slots already `done`.

    Stateless: asked again later it names the same slots, so storing them keyed by slot (and
    claiming each row once) is what keeps a reminder from repeating.
    """
    now = aware_utc("now", now)
    return [
        item
        for item in scheduled_work(case, now, calendar, policy)
        if item.slot.due_at <= now and item.slot not in done
    ]


def next_due_at(
    case: CaseSnapshot,
    now: datetime,
    calendar: BusinessCalendar,
    policy: Policy,
    done: Collection[DueSlot] = (),
) -> datetime | None:
    """When the scheduler should next look at `case`: its earliest slot not yet done."""
    pending = [
        item.slot.due_at for item in scheduled_work(case, now, calendar, policy) if item.slot not in done
    ]
    return min(pending, default=None)


def _earliest_ageing(
    window_start: datetime, log_sources: Iterable[str], retention: RetentionPolicy, now: datetime
) -> RetentionWarning | None:
    start, now = aware_utc("window_start", window_start), aware_utc("now", now)
    candidates = [
        (start + timedelta(days=retention.log_retention_days[source]), str(source))
        for source in dict.fromkeys(log_sources)
        if source in retention.log_retention_days
    ]
    if not candidates:
        return None
    ages_out_at, source = min(candidates)
    return RetentionWarning(
        source=source,
        ages_out_at=ages_out_at,
        warn_from=ages_out_at - timedelta(days=retention.log_retention_warning_days),
        aged_out=ages_out_at <= now,
    )
