"""The log-dive request: the fields of the `/security` modal and of a request file."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

# GitLab path segments: letters, digits, '_', '-', '.', not starting with '-' or '.'.
PATH_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
NAMESPACE_PATTERN = rf"^{PATH_SEGMENT}$"
FULL_PATH_PATTERN = rf"^{PATH_SEGMENT}(/{PATH_SEGMENT})*$"
USERNAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$"
GITLAB_COM = "gitlab.com"
# A GitLab instance's host name, with an optional port (a URL's scheme and path are dropped first).
HOST_PATTERN = r"^[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$"

# The moments a request (or `--now`) may name: no GitLab log is older, and year 0001 or 9999 is a typo
# that would overflow date arithmetic (a shift of zone or a month of look-back).
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2100, 1, 1, tzinfo=UTC)
MOMENTS_ALLOWED = f"the years {EARLIEST_MOMENT.year} to {LATEST_MOMENT.year - 1} (UTC)"

# A pydantic error type for a rule between fields of a request. Its message is a sentence written
# for a person and holds none of their values, so Slack's form and the CLI show it as it is.
REQUEST_RULE = "request_rule"
WINDOW_ORDER_MESSAGE = "The window must end after it starts."
WINDOW_ORDER_ALLOWED = "a date and time later than window.start"


class LogSource(StrEnum):
    APPLICATION = "application"
    ACCESS = "access"  # HTTP request logs: requested sometimes, never supported


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @field_validator("start", "end", mode="before")
    @classmethod
    def _no_epoch_numbers(cls, value: object) -> object:
        # pydantic reads a bare number as a Unix timestamp; a request file meant a date and time.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError("must be a date and time with a time zone, not a number")
        return value

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        return moment_in_range(value)

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        # The one home of this rule: Slack's form and `logdive check` both show it on window.end.
        start = info.data.get("start")
        if start is not None and end <= start:
            raise PydanticCustomError(REQUEST_RULE, WINDOW_ORDER_MESSAGE, {"allowed": WINDOW_ORDER_ALLOWED})
        return end


def moment_in_range(moment: datetime) -> datetime:
    """`moment` unchanged if it lies from EARLIEST_MOMENT up to LATEST_MOMENT; ValueError otherwise."""
    try:
        inside = EARLIEST_MOMENT <= moment.astimezone(UTC) < LATEST_MOMENT
    except (OverflowError, ValueError):  # 0001-01-01T00:00+01:00 has no UTC equivalent
        inside = False
    if not inside:
        raise ValueError(f"{moment.isoformat()} is not in {MOMENTS_ALLOWED}")
    return moment


class Scope(BaseModel):
    """The projects, groups and users a log-dive covers (full paths; usernames without '@')."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    projects: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    @field_validator("projects", "groups")
    @classmethod
    def _full_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            _check(v.strip().strip("/"), FULL_PATH_PATTERN, "a GitLab full path such as acme/api")
            for v in value
        )

    @field_validator("users")
    @classmethod
    def _usernames(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            _check(v.strip().removeprefix("@"), USERNAME_PATTERN, "a GitLab username") for v in value
        )

    @property
    def size(self) -> int:
        return len(self.projects) + len(self.groups) + len(self.users)


class LogDiveRequest(BaseModel):
    """What a CSM asks for on behalf of a customer. Validation errors name the field."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    customer_namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=255)
    requester_username: str = Field(pattern=USERNAME_PATTERN)
    window: Window
    resources: Scope = Scope()
    event_types: tuple[str, ...] = ()
    personal_data: bool = False
    log_sources: tuple[LogSource, ...] = (LogSource.APPLICATION,)
    paid_plan_confirmed: bool = False
    # The customer accepted up to this many extra hours of effort for a scope wider than standard (the CSM's
    # record of the figure quoted to them); None: not accepted.
    scope_cost_accepted_hours: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    description: str = Field(default="", max_length=3000)
    ticket_reference: str | None = Field(default=None, max_length=200)
    # Where the customer's GitLab runs: gitlab.com, or a self-managed instance's host (which the
    # `instance` rule refuses: that instance's own administrators hold its logs).
    gitlab_instance: str = Field(default=GITLAB_COM, max_length=300)

    @field_validator("requester_username", mode="before")
    @classmethod
    def _strip_at(cls, value: object) -> object:
        return value.strip().removeprefix("@") if isinstance(value, str) else value

    @field_validator("gitlab_instance", mode="before")
    @classmethod
    def _instance_host(cls, value: object) -> object:
        """`https://GitLab.example.com/acme/` and `gitlab.example.com` name the same instance."""
        if not isinstance(value, str):
            return value
        host = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", value.strip().lower()).split("/", 1)[0]
        host = host.removeprefix("www.") if host == f"www.{GITLAB_COM}" else host
        return _check(
            host,
            HOST_PATTERN,
            "a GitLab instance: gitlab.com, or a self-managed host such as gitlab.example.com",
        )

    @field_validator("scope_cost_accepted_hours", mode="before")
    @classmethod
    def _hours_not_a_flag(cls, value: object) -> object:
        # pydantic reads true as 1.0; a yes/no is not the figure the customer agreed to.
        if isinstance(value, bool):
            raise ValueError("must be a number of hours, not true or false")
        return value

    @field_validator("event_types")
    @classmethod
    def _event_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Order kept, duplicates dropped: a CSM pasting a list twice is not a wider scope.
        return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def _check(value: str, pattern: str, allowed: str) -> str:
    if not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} is not {allowed}")
    return value
