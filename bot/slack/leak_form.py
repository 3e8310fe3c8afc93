"""Reading the `/security leak` form: the report it describes, or the errors to show by block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.slack import view_state
from bot.slack.blocks import leak as b
from workflows.leak_report import LeakReportForm, split_locations

_FRIENDLY = {
    "string_pattern_mismatch": "Use letters, digits, '_', '-' and '.' only (a GitLab namespace).",
    "string_too_long": "Too long: at most {max_length} characters.",
    "missing": "Required.",
    "enum": "Choose one of the offered values.",
    "string_too_short": "Required.",
}
_FIELD_BLOCK = {"storage_urls": b.LOCATIONS, "third_parties": b.LOCATIONS}


def read_report(values: Mapping[str, Any]) -> tuple[LeakReportForm | None, dict[str, str]]:
    storage, parties = split_locations(view_state.text(values, b.LOCATIONS))
    category = view_state.selected(values, b.CATEGORY)
    first = view_state.element(values, b.FIRST_EXPORTED).get("selected_date")
    raw = {
        "customer_namespace": view_state.text(values, b.NAMESPACE),
        "contact": view_state.text(values, b.CONTACT),
        "category": category[0] if category else None,
        "storage_urls": storage,
        "third_parties": parties,
        "first_exported": first or None,
        "ticket_reference": view_state.text(values, b.TICKET) or None,
        "description": view_state.text(values, b.DESCRIPTION),
    }
    errors: dict[str, str] = {}
    if not storage and not parties:
        errors[b.LOCATIONS] = "Name at least one location: an object-storage URL or a third-party system."
    try:
        form = LeakReportForm.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0])
            errors.setdefault(_FIELD_BLOCK.get(field, field), _message(error))
        return None, errors
    return (None, errors) if errors else (form, {})


def _message(error: Mapping[str, Any]) -> str:
    """What is allowed; the person's own value is never echoed back."""
    template = _FRIENDLY.get(error["type"])
    if template is not None:
        return template.format(**(error.get("ctx") or {}))
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return "This value is not allowed here."
