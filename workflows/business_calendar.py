"""Business hours over a team's calendar: working weekdays, opening hours in local wall time, holidays.

Every day's working span is worked out in the calendar's local wall time (zoneinfo) and then turned
into UTC instants, so a 23- or 25-hour DST day still opens and closes at its configured times.
Durations are measured in real elapsed time between those instants. Arithmetic steps one working
span (one day) at a time, never minute by minute.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

MIDNIGHT = time(0)
_ONE_HOUR = timedelta(hours=1)
# A calendar closed for this many consecutive days is a configuration mistake, not a long holiday.
_MAX_CLOSED_DAYS = 3660


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as `date.weekday()` counts."""
        return list(Weekday).index(self)


class BusinessCalendar(BaseModel):
    """When a team works: weekdays, opening hours in `timezone`, and the days it is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"  # IANA name, e.g. Europe/London
    working_days: tuple[Weekday, ...] = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    opens: time = time(9)
    closes: time = time(17)  # "24:00" (stored as 00:00) closes at the midnight that ends the day
    # Public holidays from the `holidays` package: a country code, optionally with a subdivision
    # ("GB-ENG", "US", "US-NY", "DE-BY").
    holiday_regions: tuple[str, ...] = ()
    closed_dates: frozenset[date] = frozenset()  # company shutdowns and other extra closed days

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            _zone(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
        return value

    @field_validator("working_days", mode="before")
    @classmethod
    def _weekday_names(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(v.strip().lower()[:3] if isinstance(v, str) else v for v in value)
        return value

    @field_validator("working_days")
    @classmethod
    def _some_working_days(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            raise ValueError("at least one working day is needed (mon, tue, wed, thu, fri, sat, sun)")
        return tuple(sorted(set(value), key=lambda day: day.number))

    @field_validator("closes", mode="before")
    @classmethod
    def _end_of_day(cls, value: object) -> object:
        return MIDNIGHT if isinstance(value, str) and value.strip() in {"24:00", "24:00:00"} else value

    @field_validator("opens", "closes")
    @classmethod
    def _wall_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("opening hours are local wall times without an offset, such as 09:00")
        return value

    @field_validator("holiday_regions")
    @classmethod
    def _supported_regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_canonical_region(region) for region in value))

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessCalendar:
        if self.closes != MIDNIGHT and self.closes <= self.opens:
            raise ValueError(
                f"closes ({self.closes:%H:%M}) must be after opens ({self.opens:%H:%M}) on the same day, "
                'or "24:00"; overnight shifts are not supported'
            )
        return self


def is_working_day(day: date, calendar: BusinessCalendar) -> bool:
    """A configured weekday that is neither a public holiday of the calendar's regions nor closed."""
    if day.weekday() not in {weekday.number for weekday in calendar.working_days}:
        return False
    if day in calendar.closed_dates:
        return False
    return not any(day in _holiday_dates(region, day.year) for region in calendar.holiday_regions)


def is_working_time(moment: datetime, calendar: BusinessCalendar) -> bool:
    """Whether `moment` lies in a working span [opens, closes) of its local day."""
    moment = aware_utc("moment", moment)
    span = _working_span(_local_date(moment, calendar), calendar)
    return span is not None and span[0] <= moment < span[1]


def next_opening(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """The first working instant at or after `moment` (UTC): `moment` itself during working time."""
    moment = aware_utc("moment", moment)
    opens, _closes = next(_spans_from(moment, calendar))
    return max(opens, moment)


def add_business_hours(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The instant (UTC) `hours` of working time after `start`.

    A start outside working time counts from the next opening. A result that uses up a day's
    span exactly is that day's closing time (a deadline of Friday 17:00, not Monday 09:00).
    Adding zero hours (or less than the microsecond a datetime resolves) returns `start`.
    """
    start = aware_utc("start", start)
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number of hours, 0 or more, not {hours!r}")
    remaining = timedelta(hours=hours)
    if not remaining:  # under half a microsecond: nothing to add, and nothing to roll forward for
        return start
    for opens, closes in _spans_from(start, calendar):
        begin = max(opens, start)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: _spans_from never ends")  # pragma: no cover


def business_hours_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Working hours elapsed from `start` to `end`; negative when `end` is before `start`."""
    start, end = aware_utc("start", start), aware_utc("end", end)
    if end < start:
        return -business_hours_between(end, start, calendar)
    total = timedelta()
    for opens, closes in _spans_from(start, calendar, until=end):
        total += min(closes, end) - max(opens, start)
    return total / _ONE_HOUR


def _spans_from(
    moment: datetime, calendar: BusinessCalendar, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (UTC) that end after `moment`, in order; those opening before `until` if given."""
    day = _local_date(moment, calendar)
    last_day = _local_date(until, calendar) if until is not None else None
    closed_days = 0
    while last_day is None or day <= last_day:
        span = _working_span(day, calendar)
        if span is not None and span[1] > moment:
            if until is not None and span[0] >= until:
                return
            closed_days = 0
            yield span
        else:
            closed_days += 1
            if closed_days > _MAX_CLOSED_DAYS:
                raise ValueError(f"the calendar has no working time for {_MAX_CLOSED_DAYS} days after {day}")
        day += timedelta(days=1)


@lru_cache(maxsize=16384)  # deterministic per (day, calendar): a scheduler sweep asks again and again
def _working_span(day: date, calendar: BusinessCalendar) -> tuple[datetime, datetime] | None:
    """The UTC instants a working day opens and closes, or None when closed all day.

    Wall times are resolved with fold=0: a repeated (fall-back) time is its first occurrence, and
    a skipped (spring-forward) time is read with the offset before the change, i.e. moved later
    by the size of the gap, as zoneinfo does.
    """
    if not is_working_day(day, calendar):
        return None
    zone = _zone(calendar.timezone)
    opens = datetime.combine(day, calendar.opens, tzinfo=zone).astimezone(UTC)
    close_day = day + timedelta(days=1) if calendar.closes == MIDNIGHT else day
    closes = datetime.combine(close_day, calendar.closes, tzinfo=zone).astimezone(UTC)
    # Only possible when both ends fall in or around a DST gap: no working time that day.
    return (opens, closes) if closes > opens else None


def _local_date(moment: datetime, calendar: BusinessCalendar) -> date:
    return moment.astimezone(_zone(calendar.timezone)).date()


def aware_utc(name: str, value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is refused with an error naming the argument."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


@cache
def _zone(name: str) -> ZoneInfo:
    if not name or name != name.strip():
        raise ValueError(name)
    return ZoneInfo(name)


def _canonical_region(region: str) -> str:
    country, _, subdivision = region.strip().partition("-")
    supported = holidays.list_supported_countries()
    country = country.upper()
    if country not in supported:
        raise ValueError(
            f"{region!r} is not a holiday region: use a country code the holidays package knows, "
            "such as GB, US or DE, optionally with a subdivision (GB-ENG, US-NY)"
        )
    if not subdivision:
        return country
    for known in supported[country]:
        if known.upper() == subdivision.upper():
            return f"{country}-{known}"
    raise ValueError(
        f"{region!r}: {subdivision!r} is not a subdivision of {country}; "
        f"allowed: {', '.join(supported[country])}"
    )


@cache
def _holiday_dates(region: str, year: int) -> frozenset[date]:
    """Public holidays of a region in a year (observed days included), computed once per process."""
    country, _, subdivision = region.partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))
