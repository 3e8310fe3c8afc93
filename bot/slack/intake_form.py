"""The intake modal's fields: block ids, reading a submission, and field errors for `response_action`.

Each input's block id names the request field it fills, so a validation error lands on the right field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.slack import view_state
from workflows.catalog import Catalog
from workflows.request import GITLAB_COM, REQUEST_RULE, LogDiveRequest

NAMESPACE = "customer_namespace"
INSTANCE_KIND = "gitlab_instance_kind"  # GitLab.com or self-managed
INSTANCE = "gitlab_instance"  # the self-managed instance's URL
ON_GITLAB_COM, SELF_MANAGED = "gitlab_com", "self_managed"  # the values of INSTANCE_KIND's options
CONTACT = "requester_username"
TICKET = "ticket_reference"
WINDOW_START = "window_start"
WINDOW_END = "window_end"
PROJECTS = "projects"
GROUPS = "groups"
USERS = "users"
EVENT_TYPES = "event_types"
PERSONAL_DATA = "personal_data"
LOG_SOURCES = "log_sources"
PAID_PLAN = "paid_plan_confirmed"
SCOPE_COST = "scope_cost_accepted_hours"  # offered only when a submission came back for re-scope
DESCRIPTION = "description"

# A pydantic error location (its first one or two parts) -> the block that shows it.
_BLOCK_FOR_LOCATION: dict[tuple[str, ...], str] = {
    ("window", "start"): WINDOW_START,
    ("window", "end"): WINDOW_END,
    ("window",): WINDOW_START,
    ("resources", "projects"): PROJECTS,
    ("resources", "groups"): GROUPS,
    ("resources", "users"): USERS,
    ("resources",): PROJECTS,
}
_FIELD_BLOCKS = {
    NAMESPACE,
    INSTANCE_KIND,
    INSTANCE,
    CONTACT,
    TICKET,
    EVENT_TYPES,
    PERSONAL_DATA,
    LOG_SOURCES,
    PAID_PLAN,
    SCOPE_COST,
    DESCRIPTION,
}
INSTANCE_ERROR = "Not a GitLab instance's address: e.g. https://gitlab.example.com."
ERROR_TEXT_LIMIT = 150  # Slack shows these under the field; keep them to a line or two
_SPLIT = re.compile(r"[\s,;]+")
_HOURS = re.compile(r"\d{1,15}(\.\d{1,17})?(e[+-]?\d{1,3})?")  # what hours_value writes, and no more


def block_for(location: tuple[Any, ...]) -> str:
    parts = tuple(str(p) for p in location)
    for size in (2, 1):
        if parts[:size] in _BLOCK_FOR_LOCATION:
            return _BLOCK_FOR_LOCATION[parts[:size]]
    return parts[0] if parts and parts[0] in _FIELD_BLOCKS else DESCRIPTION


def _text(values: Mapping[str, Any], block_id: str) -> str:
    return view_state.text(values, block_id).strip()


def _list(values: Mapping[str, Any], block_id: str) -> list[str]:
    return [part for part in _SPLIT.split(_text(values, block_id)) if part]


_selected = view_state.selected


def hours_value(hours: float) -> str:
    """The "Wider scope" option's value: the hours it shows, exactly (read back by `_accepted_hours`)."""
    return repr(float(hours))


def _accepted_hours(values: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """The hours of the ticked "Wider scope" option (None: not ticked), or the error to show on it."""
    ticked = _selected(values, SCOPE_COST)
    if not ticked:
        return None, None
    if len(ticked) == 1 and _HOURS.fullmatch(ticked[0]):
        hours = float(ticked[0])
        if math.isfinite(hours):
            return hours, None
    return None, "Not an offered figure: untick the box and tick it again, or narrow the scope."


def _instance(values: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, bool]:
    """The request's `gitlab_instance` (GitLab.com, or the URL given), and whether self-managed was picked.
    A URL beside GitLab.com, or self-managed without one, is an error: neither guess is safe."""
    kind, url = _selected(values, INSTANCE_KIND), _text(values, INSTANCE)
    if kind == [SELF_MANAGED]:
        if not url:
            errors[INSTANCE] = (
                "Required for a self-managed instance: its URL, e.g. https://gitlab.example.com."
            )
        return url or GITLAB_COM, True
    if kind != [ON_GITLAB_COM]:
        errors[INSTANCE_KIND] = "Choose GitLab.com or a self-managed instance."
    elif url:
        errors[INSTANCE] = "Only for a self-managed instance: choose it above, or leave this empty."
    return GITLAB_COM, False


def read_submission(
    values: Mapping[str, Any], catalog: Catalog
) -> tuple[LogDiveRequest | None, dict[str, str]]:
    """The request the modal describes, or the errors to show, keyed by block id."""
    errors: dict[str, str] = {}
    start, end = view_state.moment(values, WINDOW_START), view_state.moment(values, WINDOW_END)
    if start is None:
        errors[WINDOW_START] = "Pick the start of the window."
    if end is None:
        errors[WINDOW_END] = "Pick the end of the window."
    event_types = _selected(values, EVENT_TYPES)
    unknown = catalog.unknown(event_types)
    if unknown:
        errors[EVENT_TYPES] = f"{len(unknown)} selected value(s) are not in the catalog: pick from the list."
    accepted_hours, error = _accepted_hours(values)
    if error:
        errors[SCOPE_COST] = error
    instance, self_managed = _instance(values, errors)
    raw = {
        "customer_namespace": _text(values, NAMESPACE),
        "requester_username": _text(values, CONTACT),
        "ticket_reference": _text(values, TICKET) or None,
        "window": {"start": start, "end": end},
        "resources": {
            "projects": _list(values, PROJECTS),
            "groups": _list(values, GROUPS),
            "users": _list(values, USERS),
        },
        "event_types": event_types,
        "personal_data": _selected(values, PERSONAL_DATA) == ["yes"],
        "log_sources": _selected(values, LOG_SOURCES),
        "paid_plan_confirmed": _selected(values, PAID_PLAN) == ["confirmed"],
        "scope_cost_accepted_hours": accepted_hours,
        "description": _text(values, DESCRIPTION),
        "gitlab_instance": instance,
    }
    for block in (NAMESPACE, CONTACT):
        if not raw[block]:
            errors[block] = "Required."
    try:
        request = LogDiveRequest.model_validate(raw)
    except ValidationError as exc:
        for detail in exc.errors():
            block = block_for(detail["loc"])
            errors.setdefault(block, INSTANCE_ERROR if block == INSTANCE else _message(detail))
        return None, {k: v[:ERROR_TEXT_LIMIT] for k, v in errors.items()}
    if self_managed and request.gitlab_instance == GITLAB_COM:
        errors.setdefault(INSTANCE, "GitLab.com is not self-managed: choose GitLab.com above.")
    if errors:
        return None, {k: v[:ERROR_TEXT_LIMIT] for k, v in errors.items()}
    return request, {}


_FRIENDLY = {
    "string_pattern_mismatch": "Use letters, digits, '_', '-' and '.' only (a GitLab path or username).",
    "string_too_long": "Too long: at most {max_length} characters.",
    "missing": "Required.",
    "enum": "Choose one of the offered values.",
}


def _message(error: Mapping[str, Any]) -> str:
    """A person's message; the user's own value is never echoed (it may be hostile or personal)."""
    if error["type"] == REQUEST_RULE:  # a rule between fields (workflows.request): already a sentence
        return str(error["msg"])
    template = _FRIENDLY.get(error["type"])
    if template is not None:
        return template.format(**(error.get("ctx") or {}))
    if error["type"] == "value_error":
        # Our validators say what is allowed after "is not"; keep that part only.
        message = str(error.get("msg", ""))
        allowed = message.split(" is not ", 1)[-1] if " is not " in message else "an allowed value"
        return f"Each entry must be {allowed}."
    return "This value is not allowed here."
