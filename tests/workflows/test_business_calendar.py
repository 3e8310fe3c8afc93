"""Business hours: fixed cases a person can check on a calendar, and properties over many starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflows.business_calendar import (
    BusinessCalendar,
    Weekday,
    add_business_hours,
    business_hours_between,
    is_working_day,
    is_working_time,
    next_opening,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

PLAIN = BusinessCalendar()  # UTC, Mon–Fri 09:00–17:00, no holidays
EMEA = BusinessCalendar(timezone="Europe/London", holiday_regions=("GB-ENG",))
AMER = BusinessCalendar(timezone="America/New_York", holiday_regions=("US",))
EVERY_DAY_LONDON = BusinessCalendar(timezone="Europe/London", working_days=tuple(Weekday))
ROUND_THE_CLOCK_LONDON = EVERY_DAY_LONDON.model_copy(update={"opens": time(0), "closes": time(0)})


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- fixed cases --------------------------------------------------------------------------------


def test_friday_afternoon_plus_twelve_hours_is_tuesday_eleven() -> None:
    start = utc(2026, 6, 5, 15)  # a Friday
    assert add_business_hours(start, 12, PLAIN) == utc(2026, 6, 9, 11)  # Tuesday
    assert business_hours_between(start, utc(2026, 6, 9, 11), PLAIN) == 12


def test_results_are_aware_utc_whatever_the_zone_of_the_start() -> None:
    result = add_business_hours(london(2026, 6, 5, 15), 1, EMEA)
    assert result.tzinfo is UTC
    assert result == london(2026, 6, 5, 16)


def test_a_span_used_up_exactly_ends_at_closing_time_not_the_next_opening() -> None:
    assert add_business_hours(utc(2026, 6, 5, 16), 1, PLAIN) == utc(2026, 6, 5, 17)
    assert add_business_hours(utc(2026, 6, 5, 17), 1, PLAIN) == utc(2026, 6, 8, 10)


def test_good_friday_and_easter_monday_close_england() -> None:
    assert not is_working_day(date(2026, 4, 3), EMEA)  # Good Friday
    assert not is_working_day(date(2026, 4, 6), EMEA)  # Easter Monday
    assert is_working_day(date(2026, 4, 7), EMEA)
    # Thursday 15:00: 2 h that day, then Tuesday 8 h, then 2 h on Wednesday.
    assert add_business_hours(london(2026, 4, 2, 15), 12, EMEA) == london(2026, 4, 8, 11)
    assert business_hours_between(london(2026, 4, 2, 0), london(2026, 4, 8, 0), EMEA) == 8 + 8


def test_plain_gb_keeps_good_friday_but_not_easter_monday() -> None:
    # The `holidays` package lists only UK-wide days for "GB": Scotland has no Easter Monday holiday.
    gb = BusinessCalendar(timezone="Europe/London", holiday_regions=("GB",))
    assert not is_working_day(date(2026, 4, 3), gb)
    assert is_working_day(date(2026, 4, 6), gb)


def test_germany_closes_for_good_friday_and_easter_monday() -> None:
    de = BusinessCalendar(timezone="Europe/Berlin", holiday_regions=("DE",))
    assert not is_working_day(date(2026, 4, 3), de)
    assert not is_working_day(date(2026, 4, 6), de)
    assert add_business_hours(datetime(2026, 4, 2, 16, tzinfo=ZoneInfo("Europe/Berlin")), 2, de) == datetime(
        2026, 4, 7, 10, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_us_holidays_close_the_americas_calendar() -> None:
    assert not is_working_day(date(2026, 7, 3), AMER)  # Independence Day (observed), a Friday
    assert not is_working_day(date(2026, 11, 26), AMER)  # Thanksgiving
    assert add_business_hours(new_york(2026, 7, 2, 16), 2, AMER) == new_york(2026, 7, 6, 10)


def test_europe_spring_forward_weekend_keeps_the_working_hours() -> None:
    # Clocks go forward on Sunday 2026-03-29: Friday 15:00 GMT + 12 h is Tuesday 11:00 BST.
    result = add_business_hours(london(2026, 3, 27, 15), 12, EMEA)
    assert result == london(2026, 3, 31, 11)
    assert result == utc(2026, 3, 31, 10)


def test_europe_fall_back_weekend_keeps_the_working_hours() -> None:
    # Clocks go back on Sunday 2026-10-25: Friday 15:00 BST + 12 h is Tuesday 11:00 GMT.
    result = add_business_hours(london(2026, 10, 23, 15), 12, EMEA)
    assert result == london(2026, 10, 27, 11)
    assert result == utc(2026, 10, 27, 11)


def test_a_23_or_25_hour_working_day_still_has_its_configured_hours() -> None:
    for day in (29, 28, 30):
        assert business_hours_between(london(2026, 3, day), london(2026, 3, day + 1), EVERY_DAY_LONDON) == 8
    assert business_hours_between(london(2026, 10, 25), london(2026, 10, 26), EVERY_DAY_LONDON) == 8
    assert add_business_hours(london(2026, 3, 29, 9), 8, EVERY_DAY_LONDON) == london(2026, 3, 29, 17)


def test_a_midnight_to_midnight_day_counts_the_hours_that_really_pass() -> None:
    # Business time is real elapsed time inside the wall-clock span: 23 h in spring, 25 h in autumn.
    spring = business_hours_between(london(2026, 3, 29), london(2026, 3, 30), ROUND_THE_CLOCK_LONDON)
    autumn = business_hours_between(london(2026, 10, 25), london(2026, 10, 26), ROUND_THE_CLOCK_LONDON)
    assert (spring, autumn) == (23, 25)
    assert add_business_hours(london(2026, 3, 29), 23, ROUND_THE_CLOCK_LONDON) == london(2026, 3, 30)


def test_wall_times_in_a_dst_gap_or_overlap_resolve_with_fold_zero() -> None:
    # 01:30 does not exist in London on 2026-03-29: read with the old offset, it opens at 02:30 BST.
    gap = EVERY_DAY_LONDON.model_copy(update={"opens": time(1, 30), "closes": time(4)})
    assert next_opening(london(2026, 3, 29, 0), gap) == utc(2026, 3, 29, 1, 30)
    assert not is_working_time(london(2026, 3, 29, 2, 15), gap)
    # 01:30 happens twice on 2026-10-25: the first time counts, so the day has 3.5 hours.
    overlap = gap
    assert next_opening(london(2026, 10, 25, 0), overlap) == utc(2026, 10, 25, 0, 30)
    assert business_hours_between(london(2026, 10, 25), london(2026, 10, 26), overlap) == 3.5


def test_us_dst_changes_keep_the_working_hours() -> None:
    spring = add_business_hours(new_york(2026, 3, 6, 15), 12, AMER)  # clocks forward Sun 2026-03-08
    assert spring == new_york(2026, 3, 10, 11)
    assert spring == utc(2026, 3, 10, 15)
    autumn = add_business_hours(new_york(2026, 10, 30, 15), 12, AMER)  # clocks back Sun 2026-11-01
    assert autumn == new_york(2026, 11, 3, 11)
    assert autumn == utc(2026, 11, 3, 16)


def test_new_year_crosses_the_year_end() -> None:
    # Wednesday 2025-12-31 15:00: New Year's Day shut, Friday 2 January open in England…
    assert add_business_hours(london(2025, 12, 31, 15), 4, EMEA) == london(2026, 1, 2, 11)
    # …but a Scottish bank holiday, so Scotland carries on on Monday 5 January.
    scotland = EMEA.model_copy(update={"holiday_regions": ("GB-SCT",)})
    assert add_business_hours(london(2025, 12, 31, 15), 4, scotland) == london(2026, 1, 5, 11)
    # Thursday 2026-12-31: New Year's Day on the Friday, then the weekend.
    assert add_business_hours(london(2026, 12, 31, 15), 12, EMEA) == london(2027, 1, 5, 11)


def test_an_observed_holiday_of_next_year_closes_this_years_last_day() -> None:
    # New Year's Day 2028 is a Saturday; the US observes it on Friday 2027-12-31.
    assert not is_working_day(date(2027, 12, 31), AMER)
    assert add_business_hours(new_york(2027, 12, 30, 16), 2, AMER) == new_york(2028, 1, 3, 10)


def test_a_start_on_a_holiday_counts_from_the_next_opening() -> None:
    assert add_business_hours(london(2026, 4, 3, 10), 1, EMEA) == london(2026, 4, 7, 10)
    assert next_opening(london(2026, 4, 3, 10), EMEA) == london(2026, 4, 7, 9)


def test_a_start_before_opening_or_after_closing_counts_from_the_next_opening() -> None:
    assert add_business_hours(utc(2026, 6, 2, 7), 1, PLAIN) == utc(2026, 6, 2, 10)
    assert add_business_hours(utc(2026, 6, 2, 18), 1, PLAIN) == utc(2026, 6, 3, 10)
    assert add_business_hours(utc(2026, 6, 6, 12), 1, PLAIN) == utc(2026, 6, 8, 10)  # Saturday


def test_adding_zero_hours_leaves_the_start_alone() -> None:
    assert add_business_hours(utc(2026, 6, 6, 12), 0, PLAIN) == utc(2026, 6, 6, 12)


def test_working_time_is_half_open() -> None:
    assert is_working_time(utc(2026, 6, 2, 9), PLAIN)
    assert is_working_time(utc(2026, 6, 2, 16, 59, 59), PLAIN)
    assert not is_working_time(utc(2026, 6, 2, 17), PLAIN)
    assert not is_working_time(utc(2026, 6, 2, 8, 59, 59), PLAIN)
    assert not is_working_time(utc(2026, 6, 6, 12), PLAIN)


def test_next_opening_is_now_during_working_time() -> None:
    assert next_opening(utc(2026, 6, 2, 12), PLAIN) == utc(2026, 6, 2, 12)
    assert next_opening(utc(2026, 6, 2, 17), PLAIN) == utc(2026, 6, 3, 9)
    assert next_opening(utc(2026, 6, 5, 18), PLAIN) == utc(2026, 6, 8, 9)


def test_extra_closed_dates_close_the_day() -> None:
    shutdown = PLAIN.model_copy(update={"closed_dates": frozenset({date(2026, 6, 8)})})
    assert add_business_hours(utc(2026, 6, 5, 16), 2, shutdown) == utc(2026, 6, 9, 10)


def test_between_is_negative_backwards_and_counts_only_working_time() -> None:
    friday, monday = utc(2026, 6, 5, 12), utc(2026, 6, 8, 12)
    assert business_hours_between(friday, monday, PLAIN) == 8
    assert business_hours_between(monday, friday, PLAIN) == -8
    assert business_hours_between(utc(2026, 6, 6), utc(2026, 6, 7), PLAIN) == 0


def test_a_year_of_business_hours_is_a_handful_of_day_steps() -> None:
    # 250 working days of 8 h, less England's 8 bank holidays in 2026.
    assert business_hours_between(london(2026, 1, 1), london(2027, 1, 1), EMEA) == (261 - 8) * 8
    assert add_business_hours(london(2026, 1, 1), (261 - 8) * 8, EMEA) == london(2026, 12, 31, 17)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_business_hours(datetime(2026, 6, 5, 15), 1, PLAIN), "start must be timezone-aware"),
        (lambda: business_hours_between(utc(2026, 6, 5), datetime(2026, 6, 6), PLAIN), "end must be"),
        (lambda: is_working_time(datetime(2026, 6, 5), PLAIN), "moment must be timezone-aware"),
        (lambda: add_business_hours(utc(2026, 6, 5), -1, PLAIN), "0 or more, not -1"),
        (lambda: add_business_hours(utc(2026, 6, 5), float("nan"), PLAIN), "finite"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"timezone": "Europe/Londn"}, "timezone", "not an IANA time zone"),
        ({"timezone": "../etc/passwd"}, "timezone", "not an IANA time zone"),
        ({"working_days": []}, "working_days", "at least one working day"),
        ({"working_days": ["funday"]}, "working_days", "'mon'"),
        ({"opens": "18:00", "closes": "09:00"}, None, "overnight shifts are not supported"),
        ({"holiday_regions": ["XX"]}, "holiday_regions", "not a holiday region"),
        ({"holiday_regions": ["GB-XYZ"]}, "holiday_regions", "allowed: ENG, NIR, SCT, WLS"),
        ({"weekend": ["sat"]}, "weekend", "Extra inputs are not permitted"),
    ],
)
def test_bad_calendars_name_the_field_and_what_is_allowed(
    fields: dict, field: str | None, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar.model_validate(fields)
    error = caught.value.errors()[0]
    assert (error["loc"][0] if error["loc"] else None) == field
    assert message in str(caught.value)


def test_calendar_values_are_normalised() -> None:
    calendar = BusinessCalendar(
        working_days=["Friday", "MON", "mon"],
        holiday_regions=["gb-eng", "GB-ENG"],
        closes="24:00",
        opens="00:00",
    )
    assert [day.value for day in calendar.working_days] == ["mon", "fri"]
    assert calendar.holiday_regions == ("GB-ENG",)
    assert business_hours_between(utc(2026, 6, 1), utc(2026, 6, 2), calendar) == 24


# --- properties ---------------------------------------------------------------------------------

CALENDARS = [
    PLAIN,
    EMEA,
    AMER,
    ROUND_THE_CLOCK_LONDON,
    BusinessCalendar(timezone="Australia/Sydney", holiday_regions=("AU-NSW",)),
    BusinessCalendar(
        timezone="Europe/Berlin",
        working_days=("mon", "wed", "sat"),
        opens=time(8, 30),
        closes=time(12, 15),
        holiday_regions=("DE-BY",),
    ),
    # Chile changes clocks at midnight: the day starts at 01:00 in spring.
    BusinessCalendar(timezone="America/Santiago", opens=time(0), closes=time(0), holiday_regions=("CL",)),
]

calendars = st.sampled_from(CALENDARS)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
hours = st.one_of(st.integers(0, 120).map(float), st.floats(0, 120, allow_nan=False, allow_infinity=False))
ONE_SECOND = timedelta(seconds=1)
TINY = timedelta(microseconds=1)


def _inside_by_wall_clock(moment: datetime, calendar: BusinessCalendar) -> bool:
    """An oracle independent of the module's spans: local weekday, holidays and wall time."""
    local = moment.astimezone(ZoneInfo(calendar.timezone))
    day = local.date()
    if day.strftime("%a").lower() not in calendar.working_days:
        return False
    for region in calendar.holiday_regions:
        country, _, subdiv = region.partition("-")
        if day in holidays.country_holidays(country, subdiv=subdiv or None, years=day.year):
            return False
    before_close = calendar.closes == time(0) or local.time() < calendar.closes
    return calendar.opens <= local.time() and before_close


@settings(deadline=None)
@given(calendars, moments, hours, hours)
def test_adding_in_two_steps_equals_adding_at_once(calendar, start, first, second) -> None:  # type: ignore[no-untyped-def]
    in_two = add_business_hours(add_business_hours(start, first, calendar), second, calendar)
    at_once = add_business_hours(start, first + second, calendar)
    assert abs(in_two - at_once) < ONE_SECOND


@settings(deadline=None)
@given(calendars, moments, hours.filter(lambda h: timedelta(hours=h) > timedelta(0)))
def test_a_positive_result_lies_inside_working_hours(calendar, start, h) -> None:  # type: ignore[no-untyped-def]
    result = add_business_hours(start, h, calendar)
    assert result > start
    # Inside [opens, closes]: working now, or the closing instant of a working span.
    assert is_working_time(result, calendar) or is_working_time(result - TINY, calendar)
    if calendar.timezone != "America/Santiago":  # its midnight gap makes the wall clock skip 00:00–01:00
        assert _inside_by_wall_clock(result, calendar) or _inside_by_wall_clock(result - TINY, calendar)


@settings(deadline=None)
@given(calendars, moments, moments, hours)
def test_monotonic_in_start(calendar, a, b, h) -> None:  # type: ignore[no-untyped-def]
    early, late = sorted((a, b))
    assert add_business_hours(early, h, calendar) <= add_business_hours(late, h, calendar)


@settings(deadline=None)
@given(calendars, moments, hours, hours)
def test_monotonic_in_hours(calendar, start, a, b) -> None:  # type: ignore[no-untyped-def]
    fewer, more = sorted((a, b))
    assert add_business_hours(start, fewer, calendar) <= add_business_hours(start, more, calendar)


@settings(deadline=None)
@given(calendars, moments, hours)
def test_between_measures_what_add_added(calendar, start, h) -> None:  # type: ignore[no-untyped-def]
    end = add_business_hours(start, h, calendar)
    assert business_hours_between(start, end, calendar) == pytest.approx(h, abs=1e-6)


@settings(deadline=None)
@given(calendars, moments, moments)
def test_add_inverts_between_for_working_ends(calendar, a, b) -> None:  # type: ignore[no-untyped-def]
    start, end = sorted((a, b))
    elapsed = business_hours_between(start, end, calendar)
    assert elapsed >= 0
    assert business_hours_between(end, start, calendar) == -elapsed
    if elapsed > 0 and is_working_time(end, calendar):
        assert abs(add_business_hours(start, elapsed, calendar) - end) < ONE_SECOND


@settings(deadline=None)
@given(calendars, moments)
def test_next_opening_is_the_first_working_instant(calendar, moment) -> None:  # type: ignore[no-untyped-def]
    opening = next_opening(moment, calendar)
    assert opening >= moment
    assert is_working_time(opening, calendar)
    assert business_hours_between(moment, opening, calendar) == 0
