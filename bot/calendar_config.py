"""The teams' business calendars: config/calendar.toml loaded into `BusinessCalendar` values."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

from bot.resources import config_path
from workflows.business_calendar import BusinessCalendar

DEFAULT_TEAM = "default"

log = structlog.get_logger(__name__)


class CalendarConfigError(ValueError):
    """The calendar file is unreadable or invalid; the message names the file, the field and the fix."""


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    teams: dict[str, BusinessCalendar]

    @model_validator(mode="after")
    def _has_default(self) -> _CalendarFile:
        if DEFAULT_TEAM not in self.teams:
            raise ValueError(f"a [teams.{DEFAULT_TEAM}] table is required: it serves every other team")
        return self


def load_calendars(path: Path | None = None) -> dict[str, BusinessCalendar]:
    """Every team's calendar by team name (always including "default"), from the packaged
    config/calendar.toml unless `path` names another file. Each file is read once per process."""
    return dict(_read(path or config_path("calendar.toml")))


@cache
def _read(path: Path) -> dict[str, BusinessCalendar]:
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise CalendarConfigError(f"{path}: cannot read the calendar file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return dict(_CalendarFile.model_validate(data).teams)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_url=False))
        raise CalendarConfigError(f"{path}: {problems}") from None


def calendar_for(
    team: str | None, timezone: str | None, calendars: dict[str, BusinessCalendar] | None = None
) -> BusinessCalendar:
    """The calendar for a case: its team's (else the default), in the owner's time zone when known.

    `timezone` is the owner's zone from Slack's users.info (`tz`), or None to keep the team's own.
    A zone this machine does not know falls back to the team's, with a warning in the log.
    """
    calendars = calendars if calendars is not None else load_calendars()
    calendar = calendars.get(team or DEFAULT_TEAM) or calendars[DEFAULT_TEAM]
    if not timezone or timezone == calendar.timezone:
        return calendar
    try:
        return BusinessCalendar.model_validate({**calendar.model_dump(), "timezone": timezone})
    except ValidationError:
        log.warning("calendar.unknown_timezone", timezone=timezone, team=team, fallback=calendar.timezone)
        return calendar


def _describe(error: ErrorDetails) -> str:
    """`teams.emea.timezone: 'Europe/Londn' is not an IANA time zone …`"""
    where = ".".join(str(part) for part in error["loc"]) or "file"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"
