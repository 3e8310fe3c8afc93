"""Input errors a person can act on: which field, what was wrong with it, and what is allowed.

Turns pydantic's ValidationError on a LogDiveRequest into FieldErrors, and checks event type names
against the catalog, suggesting the nearest known names.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from workflows.catalog import Catalog
from workflows.policy import EligibilityPolicy
from workflows.request import MOMENTS_ALLOWED, REQUEST_RULE, LogDiveRequest, LogSource, Scope, Window

EXAMPLE_TIME = "2026-11-01T00:00:00Z"
_TIME_ALLOWED = f"an ISO 8601 date and time with a time zone in {MOMENTS_ALLOWED}, e.g. {EXAMPLE_TIME}"

# What each field accepts, keyed by its path without list indices.
ALLOWED: dict[str, str] = {
    "customer_namespace": "the customer's top-level namespace, e.g. acme-corp (letters, digits, _ - .; no /)",
    "requester_username": "a GitLab username, e.g. alice-acme",
    "window": f"an object with start and end, e.g. {{start: {EXAMPLE_TIME}, end: 2026-11-08T00:00:00Z}}",
    "window.start": _TIME_ALLOWED,
    "window.end": _TIME_ALLOWED,
    "resources": "an object with lists of projects, groups and users",
    "resources.projects": "a list of GitLab project full paths, e.g. [acme-corp/api]",
    "resources.groups": "a list of GitLab group full paths, e.g. [acme-corp/platform]",
    "resources.users": "a list of GitLab usernames, e.g. [bob-acme]",
    "event_types": "a list of GitLab audit event types or log categories, e.g. [member_updated, sign_ins]",
    "personal_data": "true or false",
    "paid_plan_confirmed": "true or false",
    "scope_cost_accepted_hours": "a number of hours, 0 or more: the extra effort of a scope wider than "
    "standard the customer accepted, e.g. 4; null or absent: not accepted",
    "log_sources": "a list of: " + ", ".join(source.value for source in LogSource),
    "description": "text of at most 3000 characters",
    "ticket_reference": "text of at most 200 characters",
}

# The fields of each object in a request, to say which ones exist when an unknown one is given.
_OBJECTS: dict[str, type[BaseModel]] = {"": LogDiveRequest, "window": Window, "resources": Scope}


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str  # e.g. window.start or resources.users[0]; empty for the request as a whole
    message: str  # what is wrong, in words; the field is not repeated here
    allowed: str | None = None  # what the field accepts

    @property
    def base_field(self) -> str:
        """The field without list indices (resources.users[0] -> resources.users): a form input."""
        return re.sub(r"\[\d+\]", "", self.field)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def describe_validation_error(error: ValidationError) -> list[FieldError]:
    """One FieldError per problem pydantic found, in the order it found them."""
    return [_describe(detail) for detail in error.errors(include_url=False)]


def check_scope_size(request: LogDiveRequest, rules: EligibilityPolicy) -> list[FieldError]:
    """A FieldError if the request names more resources or event types than anyone could mean: checked
    before any GitLab look-up or catalog match, which cost one step per name."""
    errors = []
    resources, events = request.resources.size, len(request.event_types)
    if resources > rules.hard_max_resources:
        errors.append(
            FieldError(
                field="resources",
                message=f"names {resources:,} projects, groups and users together",
                allowed=f"at most {rules.hard_max_resources:,} in all; over {rules.max_resources} is "
                "re-scoped, this many is a mistake",
            )
        )
    if events > rules.hard_max_event_types:
        errors.append(
            FieldError(
                field="event_types",
                message=f"names {events:,} event types",
                allowed=f"at most {rules.hard_max_event_types:,}; over {rules.max_event_types} is "
                "re-scoped, this many is a mistake",
            )
        )
    return errors


def check_event_types(request: LogDiveRequest, catalog: Catalog) -> list[FieldError]:
    """A FieldError for each event type the catalog does not know, with the nearest known names."""
    categories = ", ".join(sorted(catalog.categories))
    allowed = f"a GitLab audit event type (as GitLab documents them) or a log category: {categories}"
    errors = []
    for name in catalog.unknown(request.event_types):
        nearest = _clearly_nearest(name, catalog.suggestions(name))
        hint = f"; did you mean {_or(nearest)}?" if nearest else f"; log categories are {categories}"
        errors.append(
            FieldError(
                field="event_types", message=f"unknown event type {_shown(name)}{hint}", allowed=allowed
            )
        )
    return errors


def _describe(detail: ErrorDetails) -> FieldError:
    loc = detail["loc"]
    field = _field(loc)
    base = re.sub(r"\[\d+\]", "", field)
    allowed = ALLOWED.get(base)
    kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx") or {}

    if kind == "missing":
        message = "is required"
    elif kind == "timezone_aware":
        message = f"must include a time zone, e.g. {EXAMPLE_TIME}; got {_shown(value)}"
    elif kind.startswith(("datetime", "date_")):
        message = (
            f"{_shown(value)} is not a date and time; use ISO 8601 with a time zone, e.g. {EXAMPLE_TIME}"
        )
    elif kind == "string_pattern_mismatch":
        message = f"{_shown(value)} is not {allowed}" if allowed else f"{_shown(value)} is not allowed here"
    elif kind == REQUEST_RULE:
        message, allowed = detail["msg"], str(ctx.get("allowed", allowed))
    elif kind == "value_error":
        message = str(ctx.get("error", detail["msg"]))  # our validators already name the value
    elif kind == "extra_forbidden":
        parent = ".".join(str(part) for part in loc[:-1])
        model = _OBJECTS.get(parent)
        message = "is not a field of a log-dive request"
        allowed = "fields here: " + ", ".join(model.model_fields) if model else allowed
    elif kind == "enum":
        expected = str(ctx.get("expected", "")).replace("'", "")
        message = f"must be {expected}; got {_shown(value)}"
    elif kind in ("bool_parsing", "bool_type"):
        message = f"must be true or false; got {_shown(value)}"
    elif kind in ("tuple_type", "list_type"):
        message = f"must be a list; got {_shown(value)}"
    elif kind in ("float_parsing", "float_type"):
        message = f"must be a number; got {_shown(value)}"
    elif kind == "finite_number":
        message = f"must be a finite number; got {_shown(value)}"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx.get('ge', 0):g}; got {_shown(value)}"
    elif kind == "string_type":
        message = f"must be text; got {_shown(value)}"
    elif kind == "string_too_long":
        message = f"is too long: at most {ctx.get('max_length')} characters"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = (
            "must be an object with the fields of a log-dive request" if not loc else "must be an object"
        )
    elif kind == "json_invalid":
        message = f"is not valid JSON ({ctx.get('error', 'cannot be parsed')})"
    else:
        message = detail["msg"]
    return FieldError(field=field, message=message, allowed=allowed)


def _field(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(value: Any, limit: int = 60) -> str:
    """The offending value, quoted and cut short: enough to recognise, never a wall of text."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'"


def _clearly_nearest(name: str, candidates: list[str]) -> list[str]:
    """The candidates about as close as the best one: one obvious fix is not buried among near misses."""
    scores = [difflib.SequenceMatcher(None, name.lower(), c).ratio() for c in candidates]
    return [c for c, score in zip(candidates, scores, strict=True) if score >= max(scores, default=0) - 0.05]


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
