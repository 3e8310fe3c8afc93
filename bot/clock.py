"""The one clock. Everything that needs "now" takes a Clock, so tests and `--now` replays can time-travel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from workflows.request import moment_in_range

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)


def fixed(moment: datetime) -> Clock:
    """A clock stopped at `moment` (which must be timezone-aware): for replays and tests."""
    if moment.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware moment")
    moment = moment.astimezone(UTC)
    return lambda: moment


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment with an offset ('Z' or '+01:00') in the years a request may name (2000-2099);
    naive moments are refused: whose noon?"""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 moment such as 2026-11-08T09:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; add 'Z' or '+HH:MM', e.g. 2026-11-08T09:00:00Z")
    return moment_in_range(moment).astimezone(UTC)
