"""The customer-update cadence, by time travel: the clock is always passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.business_calendar import BusinessCalendar, add_business_hours, business_hours_between
from workflows.cadence import (
    CadenceClock,
    CaseSnapshot,
    DueSlot,
    WorkKind,
    escalation_due,
    next_due_at,
    next_update_due,
    plan_timed_work,
    reminder_slots,
    retention_warning,
    scheduled_work,
)
from workflows.policy import CadencePolicy, Policy, RetentionPolicy

CALENDAR = BusinessCalendar()  # UTC, Mon–Fri 09:00–17:00
POLICY = Policy()  # update every 12 business hours, escalate after 4 more
CASE = 42


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """June 2026: Monday the 1st … Friday the 5th, Monday the 8th …"""
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


TRIAGED = at(1, 10)  # Monday 10:00: the first update is due Tuesday 14:00


def snapshot(clock: CadenceClock | None, **fields: object) -> CaseSnapshot:
    return CaseSnapshot(case_id=CASE, clock=clock, **fields)  # type: ignore[arg-type]


def kinds(work: list) -> list[tuple[WorkKind, datetime]]:  # type: ignore[type-arg]
    return [(item.slot.kind, item.slot.due_at) for item in work]


def run_scheduler(
    case_at: Callable[[datetime], CaseSnapshot], start: datetime, end: datetime, every: timedelta
) -> dict[DueSlot, datetime]:
    """A scheduler polling every `every`, storing work keyed by slot the way the unique key does."""
    stored: dict[DueSlot, datetime] = {}
    now = start
    while now <= end:
        for item in plan_timed_work(case_at(now), now, CALENDAR, POLICY):
            stored.setdefault(item.slot, now)  # INSERT … ON CONFLICT DO NOTHING
        now += every
    return stored


# --- due times ----------------------------------------------------------------------------------


def test_the_first_update_is_due_twelve_business_hours_after_triage() -> None:
    assert next_update_due(TRIAGED, CALENDAR, POLICY.cadence) == at(2, 14)
    assert CadenceClock.start(TRIAGED).due_at(CALENDAR, POLICY.cadence) == at(2, 14)


def test_paused_business_hours_push_the_due_time_back() -> None:
    assert next_update_due(TRIAGED, CALENDAR, POLICY.cadence, paused_business_hours=4) == at(3, 10)
    with pytest.raises(ValueError, match="paused_business_hours must be 0 or more"):
        next_update_due(TRIAGED, CALENDAR, POLICY.cadence, paused_business_hours=-1)


def test_escalation_comes_after_the_grace_in_business_hours() -> None:
    assert escalation_due(at(2, 14), CALENDAR, POLICY.cadence) == at(3, 10)  # 3 h Tuesday, 1 h Wednesday
    no_grace = CadencePolicy(escalation_grace_business_hours=0)
    assert escalation_due(at(5, 17), CALENDAR, no_grace) == at(5, 17)


def test_a_new_york_case_over_the_spring_dst_weekend() -> None:
    new_york = ZoneInfo("America/New_York")
    calendar = BusinessCalendar(timezone="America/New_York", holiday_regions=("US",))
    triaged = datetime(2026, 3, 6, 15, tzinfo=new_york)  # Friday; clocks go forward on Sunday
    assert next_update_due(triaged, calendar, POLICY.cadence) == datetime(2026, 3, 10, 11, tzinfo=new_york)


# --- the clock ----------------------------------------------------------------------------------


def test_time_travel_reminder_then_escalation() -> None:
    case = snapshot(CadenceClock.start(TRIAGED))
    assert plan_timed_work(case, at(2, 13, 59), CALENDAR, POLICY) == []
    assert kinds(plan_timed_work(case, at(2, 14), CALENDAR, POLICY)) == [
        (WorkKind.UPDATE_REMINDER, at(2, 14))
    ]
    assert kinds(plan_timed_work(case, at(3, 9, 59), CALENDAR, POLICY)) == [
        (WorkKind.UPDATE_REMINDER, at(2, 14))
    ]
    assert kinds(plan_timed_work(case, at(3, 10), CALENDAR, POLICY)) == [
        (WorkKind.UPDATE_REMINDER, at(2, 14)),
        (WorkKind.ESCALATION, at(3, 10)),
    ]
    reminder = plan_timed_work(case, at(2, 14), CALENDAR, POLICY)[0]
    assert reminder.update_due_at == at(2, 14)
    assert plan_timed_work(case, at(3, 10), CALENDAR, POLICY)[1].update_due_at == at(2, 14)


def test_a_customer_update_resets_the_clock() -> None:
    clock = CadenceClock.start(TRIAGED).reset(at(2, 12))  # Tuesday noon: 5 h Tuesday, 7 h Wednesday
    assert clock.due_at(CALENDAR, POLICY.cadence) == at(3, 16)
    assert plan_timed_work(snapshot(clock), at(2, 14), CALENDAR, POLICY) == []
    assert next_due_at(snapshot(clock), at(2, 14), CALENDAR, POLICY) == at(3, 16)


def test_an_update_recorded_out_of_order_never_moves_the_clock_back() -> None:
    clock = CadenceClock.start(TRIAGED).reset(at(2, 12)).pause(at(2, 13)).resume(at(2, 15), CALENDAR)
    assert clock.reset(at(2, 11)) == clock
    assert clock.due_at(CALENDAR, POLICY.cadence) == at(4, 10)  # Wednesday 16:00 pushed back 2 h


def test_pause_and_resume_shift_the_due_time_by_the_paused_business_time() -> None:
    clock = CadenceClock.start(TRIAGED).pause(at(1, 15))  # awaiting customer, Monday 15:00
    assert clock.due_at(CALENDAR, POLICY.cadence) is None
    assert plan_timed_work(snapshot(clock), at(3, 12), CALENDAR, POLICY) == []
    resumed = clock.resume(at(2, 11), CALENDAR)  # 2 h Monday + 2 h Tuesday paused
    assert resumed.paused_business_hours == 4
    assert resumed.due_at(CALENDAR, POLICY.cadence) == at(3, 10)


def test_a_pause_outside_business_hours_costs_nothing() -> None:
    clock = CadenceClock.start(at(5, 10)).pause(at(5, 17, 30)).resume(at(8, 8), CALENDAR)  # over the weekend
    assert clock.paused_business_hours == 0
    assert clock.due_at(CALENDAR, POLICY.cadence) == next_update_due(at(5, 10), CALENDAR, POLICY.cadence)


def test_pausing_twice_keeps_the_first_pause_and_resuming_a_running_clock_changes_nothing() -> None:
    clock = CadenceClock.start(TRIAGED).pause(at(1, 12))
    assert clock.pause(at(1, 15)) == clock
    running = CadenceClock.start(TRIAGED)
    assert running.resume(at(1, 15), CALENDAR) == running


def test_a_resume_that_seems_earlier_than_the_pause_adds_nothing() -> None:
    # Replicas' clocks differ by a little: a negative pause must not shorten the allowance.
    clock = CadenceClock.start(TRIAGED).pause(at(1, 12)).resume(at(1, 11, 59), CALENDAR)
    assert clock.paused_business_hours == 0
    assert clock.running


def test_an_update_while_paused_restarts_the_count_and_stays_paused() -> None:
    clock = CadenceClock.start(TRIAGED).pause(at(1, 15)).reset(at(2, 10))
    assert (clock.anchor, clock.paused_at, clock.paused_business_hours) == (at(2, 10), at(2, 10), 0)
    assert clock.due_at(CALENDAR, POLICY.cadence) is None
    resumed = clock.resume(at(2, 12), CALENDAR)
    assert resumed.due_at(CALENDAR, POLICY.cadence) == at(3, 16)  # Tuesday 10:00 + 12 h + 2 h paused


def test_a_stopped_clock_owes_nothing_and_stays_stopped() -> None:
    clock = CadenceClock.start(TRIAGED).stop(at(1, 16))
    assert clock.due_at(CALENDAR, POLICY.cadence) is None
    assert clock.stop(at(2, 9)) == clock
    assert clock.pause(at(2, 9)) == clock
    assert clock.reset(at(2, 9)) == clock
    assert clock.pause(at(1, 12)).resume(at(2, 9), CALENDAR) == clock


def test_the_clock_refuses_naive_times_by_name() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        CadenceClock.start(TRIAGED).pause(datetime(2026, 6, 1, 12))


def test_clock_times_are_stored_in_utc() -> None:
    clock = CadenceClock.start(datetime(2026, 6, 1, 11, tzinfo=ZoneInfo("Europe/London")))
    assert clock.anchor == TRIAGED
    assert clock.anchor.tzinfo is UTC


# --- slots: the same work never twice -----------------------------------------------------------


def test_a_slot_is_the_same_whenever_it_is_asked_for() -> None:
    case = snapshot(CadenceClock.start(TRIAGED))
    asked = [plan_timed_work(case, now, CALENDAR, POLICY)[0].slot for now in (at(2, 14), at(2, 16), at(4, 9))]
    assert asked[0] == asked[1] == asked[2]
    assert len(set(asked)) == 1


def test_a_week_without_updates_gives_one_reminder_and_one_escalation() -> None:
    case = snapshot(CadenceClock.start(TRIAGED))
    stored = run_scheduler(lambda _now: case, at(1, 10), at(8, 17), timedelta(minutes=7))
    assert sorted((slot.kind, slot.due_at) for slot in stored) == [
        (WorkKind.ESCALATION, at(3, 10)),
        (WorkKind.UPDATE_REMINDER, at(2, 14)),
    ]
    # Each was first planned at the first poll on or after its due time.
    assert all(timedelta(0) <= first - slot.due_at < timedelta(minutes=7) for slot, first in stored.items())


def test_an_update_after_the_reminder_cancels_the_escalation_and_starts_a_new_cycle() -> None:
    updated = at(2, 15)  # Tuesday: reminder at 14:00 already sent, update logged at 15:00

    def case_at(now: datetime) -> CaseSnapshot:
        clock = CadenceClock.start(TRIAGED)
        return snapshot(clock.reset(updated) if now >= updated else clock)

    stored = run_scheduler(case_at, at(1, 10), at(4, 17), timedelta(minutes=10))
    assert sorted((slot.due_at, slot.kind) for slot in stored) == [
        (at(2, 14), WorkKind.UPDATE_REMINDER),
        (at(4, 11), WorkKind.UPDATE_REMINDER),  # Tuesday 15:00 + 2 h + 8 h + 2 h
        (at(4, 15), WorkKind.ESCALATION),
    ]


def test_done_slots_are_left_out() -> None:
    case = snapshot(CadenceClock.start(TRIAGED))
    first = plan_timed_work(case, at(3, 10), CALENDAR, POLICY)
    assert len(first) == 2
    done = {item.slot for item in first}
    assert plan_timed_work(case, at(3, 12), CALENDAR, POLICY, done=done) == []
    assert next_due_at(case, at(3, 12), CALENDAR, POLICY, done=done) is None


def test_reminder_slots_pair_the_reminder_with_its_escalation() -> None:
    reminder, escalation = reminder_slots(CASE, at(2, 14), CALENDAR, POLICY.cadence)
    assert reminder == DueSlot(case_id=CASE, kind=WorkKind.UPDATE_REMINDER, due_at=at(2, 14))
    assert escalation == DueSlot(case_id=CASE, kind=WorkKind.ESCALATION, due_at=at(3, 10))


def test_slot_times_are_utc_whole_seconds_rounded_up() -> None:
    slot = DueSlot(case_id=1, kind=WorkKind.ESCALATION, due_at=at(2, 14) + timedelta(microseconds=1))
    assert slot.due_at == at(2, 14) + timedelta(seconds=1)
    london = DueSlot(
        case_id=1, kind="escalation", due_at=datetime(2026, 6, 2, 15, tzinfo=ZoneInfo("Europe/London"))
    )
    assert london.due_at == at(2, 14) and london.due_at.tzinfo is UTC
    assert hash(london) == hash(DueSlot(case_id=1, kind=WorkKind.ESCALATION, due_at=at(2, 14)))


def test_a_closed_case_owes_nothing() -> None:
    overdue = CadenceClock.start(TRIAGED)
    case = snapshot(
        overdue, closed=True, window_start=at(1, 0) - timedelta(days=29), log_sources=("application",)
    )
    assert plan_timed_work(case, at(8, 12), CALENDAR, POLICY) == []
    assert scheduled_work(case, at(8, 12), CALENDAR, POLICY) == []
    assert next_due_at(case, at(8, 12), CALENDAR, POLICY) is None


def test_nothing_is_due_before_triage_except_retention() -> None:
    case = snapshot(None, window_start=at(1, 0) - timedelta(days=26), log_sources=("application",))
    work = plan_timed_work(case, at(1, 9), CALENDAR, POLICY)
    assert kinds(work) == [(WorkKind.RETENTION_WARNING, at(1, 0) - timedelta(days=1))]
    assert work[0].retention is not None
    assert work[0].retention.ages_out_on == datetime(2026, 6, 5).date()


# --- retention ----------------------------------------------------------------------------------

WINDOW_START = at(1, 0)  # application logs kept 30 days: gone 2026-07-01, warn from 2026-06-26
RETENTION = RetentionPolicy()


def test_no_warning_before_the_warning_period() -> None:
    just_before = datetime(2026, 6, 25, 23, 59, 59, tzinfo=UTC)
    assert retention_warning(WINDOW_START, ["application"], RETENTION, just_before) is None


def test_warning_from_the_start_of_the_warning_period() -> None:
    warning = retention_warning(WINDOW_START, ["application"], RETENTION, datetime(2026, 6, 26, tzinfo=UTC))
    assert warning is not None
    assert (warning.source, warning.ages_out_at, warning.aged_out) == (
        "application",
        datetime(2026, 7, 1, tzinfo=UTC),
        False,
    )
    assert warning.warn_from == datetime(2026, 6, 26, tzinfo=UTC)
    assert warning.ages_out_on.isoformat() == "2026-07-01"


def test_a_window_already_aged_out_says_so() -> None:
    at_the_moment = retention_warning(
        WINDOW_START, ["application"], RETENTION, datetime(2026, 7, 1, tzinfo=UTC)
    )
    a_second_before = retention_warning(
        WINDOW_START, ["application"], RETENTION, datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    )
    assert at_the_moment is not None and at_the_moment.aged_out
    assert a_second_before is not None and not a_second_before.aged_out


def test_sources_without_a_retention_are_ignored_and_the_earliest_source_counts() -> None:
    late = datetime(2026, 6, 29, tzinfo=UTC)
    assert retention_warning(WINDOW_START, ["access"], RETENTION, late) is None
    assert retention_warning(WINDOW_START, [], RETENTION, late) is None
    shorter_access = RetentionPolicy(log_retention_days={"application": 30, "access": 14})
    warning = retention_warning(WINDOW_START, ["application", "access"], shorter_access, late)
    assert warning is not None
    assert (warning.source, warning.ages_out_on.isoformat(), warning.aged_out) == (
        "access",
        "2026-06-15",
        True,
    )


def test_a_finished_log_dive_needs_no_retention_warning() -> None:
    fields = {"window_start": WINDOW_START, "log_sources": ("application",)}
    late = datetime(2026, 6, 28, tzinfo=UTC)
    assert kinds(plan_timed_work(snapshot(None, **fields), late, CALENDAR, POLICY)) == [
        (WorkKind.RETENTION_WARNING, datetime(2026, 6, 26, tzinfo=UTC))
    ]
    assert plan_timed_work(snapshot(None, log_dive_done=True, **fields), late, CALENDAR, POLICY) == []


def test_retention_warnings_do_not_pause_with_the_cadence() -> None:
    paused = CadenceClock.start(TRIAGED).pause(at(1, 12))
    case = snapshot(paused, window_start=WINDOW_START, log_sources=("application",))
    assert kinds(plan_timed_work(case, datetime(2026, 6, 27, tzinfo=UTC), CALENDAR, POLICY)) == [
        (WorkKind.RETENTION_WARNING, datetime(2026, 6, 26, tzinfo=UTC))
    ]


# --- properties ---------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(deadline=None)
@given(moments, st.floats(0, 11.5), st.floats(0, 40))
def test_a_pause_before_the_due_time_shifts_it_by_exactly_the_paused_business_time(
    anchor: datetime, pause_after: float, paused_for: float
) -> None:
    clock = CadenceClock.start(anchor)
    due = clock.due_at(CALENDAR, POLICY.cadence)
    assert due is not None
    paused_at = add_business_hours(anchor, pause_after, CALENDAR)
    resumed_at = add_business_hours(paused_at, paused_for, CALENDAR) + timedelta(hours=3)  # some idle time
    resumed = clock.pause(paused_at).resume(resumed_at, CALENDAR)
    paused_hours = business_hours_between(paused_at, resumed_at, CALENDAR)
    new_due = resumed.due_at(CALENDAR, POLICY.cadence)
    assert new_due is not None
    assert abs(new_due - add_business_hours(due, paused_hours, CALENDAR)) < timedelta(seconds=1)
    assert business_hours_between(anchor, new_due, CALENDAR) - paused_hours == pytest.approx(12, abs=1e-6)


@settings(deadline=None)
@given(moments, moments)
def test_after_an_update_the_next_one_is_a_full_cadence_away(triaged: datetime, updated: datetime) -> None:
    clock = CadenceClock.start(triaged).reset(updated)
    due = clock.due_at(CALENDAR, POLICY.cadence)
    assert due is not None
    assert business_hours_between(max(triaged, updated), due, CALENDAR) == pytest.approx(12, abs=1e-6)
