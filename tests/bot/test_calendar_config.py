"""config/calendar.toml as shipped, and what a broken calendar file says."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.calendar_config import CalendarConfigError, calendar_for, load_calendars
from workflows.business_calendar import add_business_hours, is_working_day


def test_the_shipped_calendars_load_with_a_default() -> None:
    calendars = load_calendars()
    assert {"default", "support-emea", "support-amer", "sirt"} <= set(calendars)
    assert calendars["support-emea"].timezone == "Europe/London"
    assert not is_working_day(date(2026, 4, 6), calendars["support-emea"])  # Easter Monday, England
    assert not is_working_day(date(2026, 11, 26), calendars["support-amer"])  # Thanksgiving


def test_sirt_counts_every_weekday_hour() -> None:
    sirt = load_calendars()["sirt"]
    friday_evening = datetime(2026, 6, 5, 20, tzinfo=UTC)
    assert add_business_hours(friday_evening, 12, sirt) == datetime(2026, 6, 8, 8, tzinfo=UTC)


def test_the_loaded_mapping_is_a_copy() -> None:
    load_calendars().clear()
    assert "default" in load_calendars()


def test_an_unknown_team_gets_the_default_calendar() -> None:
    assert calendar_for("no-such-team", None) == load_calendars()["default"]
    assert calendar_for(None, None) == load_calendars()["default"]


def test_the_owners_time_zone_moves_the_team_hours_but_keeps_its_holidays() -> None:
    calendar = calendar_for("support-emea", "America/Chicago")
    assert calendar.timezone == "America/Chicago"
    assert calendar.holiday_regions == ("GB-ENG",)
    chicago_opening = datetime(2026, 6, 2, 14, tzinfo=UTC)  # 09:00 CDT
    assert add_business_hours(datetime(2026, 6, 2, 12, tzinfo=UTC), 1, calendar) == chicago_opening.replace(
        hour=15
    )


def test_an_unknown_owner_time_zone_falls_back_to_the_team_zone() -> None:
    assert calendar_for("support-amer", "Mars/Olympus_Mons").timezone == "America/New_York"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_calendar_file_names_the_team_and_field_at_fault(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[teams.default]\ntimezone = "UTC"\n'
        '[teams.emea]\ntimezone = "Europe/Londn"\nholiday_regions = ["GB-XYZ"]\n',
    )
    with pytest.raises(CalendarConfigError) as caught:
        load_calendars(path)
    message = str(caught.value)
    assert str(path) in message
    assert "teams.emea.timezone: 'Europe/Londn' is not an IANA time zone" in message
    assert "teams.emea.holiday_regions" in message and "allowed: ENG, NIR, SCT, WLS" in message


def test_a_calendar_file_needs_a_default_team(tmp_path: Path) -> None:
    with pytest.raises(CalendarConfigError, match=r"\[teams.default\] table is required"):
        load_calendars(_write(tmp_path, '[teams.emea]\ntimezone = "Europe/London"\n'))


def test_a_calendar_file_that_is_not_toml_says_where(tmp_path: Path) -> None:
    with pytest.raises(CalendarConfigError, match=r"not valid TOML: .*line 2"):
        load_calendars(_write(tmp_path, "[teams.default]\ntimezone = \n"))


def test_a_missing_calendar_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(CalendarConfigError, match="cannot read the calendar file"):
        load_calendars(tmp_path / "absent.toml")


def test_toml_dates_and_times_are_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[teams.default]\nopens = 08:30:00\ncloses = "24:00"\nclosed_dates = [2026-12-24]\n',
    )
    calendar = load_calendars(path)["default"]
    assert not is_working_day(date(2026, 12, 24), calendar)
    assert add_business_hours(datetime(2026, 6, 1, tzinfo=UTC), 1, calendar) == datetime(
        2026, 6, 1, 9, 30, tzinfo=UTC
    )


def test_support_route_cases_see_holidays() -> None:
    """The support route's team has a calendar of its own with public holidays, not the bare default."""
    from bot.cadence_service import ROUTE_TEAMS

    support = calendar_for(ROUTE_TEAMS["support"], "Europe/Berlin")
    assert support != calendar_for(None, "Europe/Berlin")
    assert not is_working_day(date(2026, 11, 26), support)  # Thanksgiving
    assert not is_working_day(date(2026, 12, 25), support)
    assert is_working_day(date(2026, 11, 27), support)
