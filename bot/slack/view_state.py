"""Reading a submitted modal's `view.state.values`: one element per input block, its action id the block id
unless another is named.

Read fail-closed: a value of another type than Slack documents for the element counts as not given, so a
crafted submission gets the form's own field errors, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def element(values: Mapping[str, Any], block_id: str, action_id: str | None = None) -> Mapping[str, Any]:
    block = values.get(block_id)
    found = block.get(action_id or block_id) if isinstance(block, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def text(values: Mapping[str, Any], block_id: str) -> str:
    """A plain-text input's value ("" when empty or not a string)."""
    value = element(values, block_id).get("value")
    return value if isinstance(value, str) else ""


def selected(values: Mapping[str, Any], block_id: str, action_id: str | None = None) -> list[str]:
    """The values of the selected options (one for a radio button or a select, any for checkboxes)."""
    found = element(values, block_id, action_id)
    options = found.get("selected_options")
    if options is None and found.get("selected_option"):
        options = [found["selected_option"]]
    if not isinstance(options, list):
        return []
    return [str(o["value"]) for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)]


def moment(values: Mapping[str, Any], block_id: str) -> datetime | None:
    """A datetimepicker's moment; None when not picked or not a time Python can hold."""
    stamp = element(values, block_id).get("selected_date_time")
    if isinstance(stamp, bool) or not isinstance(stamp, int | str):
        return None
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return None
