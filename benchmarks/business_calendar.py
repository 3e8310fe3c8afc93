"""How fast business-hours arithmetic is, against minute-by-minute stepping measured in the same run.

Run: .venv/bin/python benchmarks/business_calendar.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from workflows import business_calendar
from workflows.business_calendar import (
    BusinessCalendar,
    add_business_hours,
    business_hours_between,
    is_working_time,
)

CALENDAR = BusinessCalendar(timezone="Europe/London", holiday_regions=("GB-ENG",))
HOURS = 12.0


def minute_stepping(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The baseline: walk a minute at a time, counting the working ones."""
    moment, left = start, round(hours * 60)
    while left:
        if is_working_time(moment, calendar):
            left -= 1
        moment += timedelta(minutes=1)
    return moment


def per_call(function: Callable[[datetime], object], starts: list[datetime]) -> float:
    began = time.perf_counter()
    for start in starts:
        function(start)
    return (time.perf_counter() - began) / len(starts)


def _forget_spans() -> None:
    business_calendar._working_span.cache_clear()


def main() -> None:
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    # Whole minutes, so both ways land on the same instant and can be checked against each other.
    starts = [base + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)) for _ in range(2000)]
    sample = starts[:40]
    for start in sample:
        assert minute_stepping(start, HOURS, CALENDAR) == add_business_hours(start, HOURS, CALENDAR)
    add_business_hours(starts[0], HOURS, CALENDAR)  # holidays for both years computed once, first

    stepping = per_call(lambda s: minute_stepping(s, HOURS, CALENDAR), sample)
    spans = per_call(lambda s: add_business_hours(s, HOURS, CALENDAR), starts)
    cold = per_call(lambda s: (_forget_spans(), add_business_hours(s, HOURS, CALENDAR)), starts)
    month = per_call(lambda s: business_hours_between(s, s + timedelta(days=31), CALENDAR), starts)
    print(f"add_business_hours(+{HOURS:g} h), {len(starts)} random starts in 2026–27, {CALENDAR.timezone}")
    print(f"  baseline, minute stepping:   {stepping * 1e6:10.1f} µs/call")
    print(f"  working-day spans:           {spans * 1e6:10.1f} µs/call   {stepping / spans:8.0f}× faster")
    print(f"  spans, day cache cleared:    {cold * 1e6:10.1f} µs/call   {stepping / cold:8.0f}× faster")
    print(f"business_hours_between over 31 days: {month * 1e6:.1f} µs/call ({month / spans:.1f}× one add)")


if __name__ == "__main__":
    main()
