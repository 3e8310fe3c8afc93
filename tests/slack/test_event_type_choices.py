"""The intake form offers log categories first and says what a single audit event name will not find."""

from __future__ import annotations

from bot.catalog import load_catalog
from bot.slack.blocks.intake import EVENT_TYPES_HINT
from bot.slack.blocks.limits import OPTIONS
from bot.slack.options.event_types import matching_options


def test_categories_come_first_with_their_titles() -> None:
    catalog = load_catalog()
    options = matching_options(catalog, "")
    firsts = [o["value"] for o in options[: len(catalog.categories)]]
    assert sorted(firsts) == sorted(catalog.categories) and len(options) <= OPTIONS
    access = next(o for o in options if o["value"] == "resource_access")
    assert access["text"]["text"].startswith("Who accessed")
    assert [o["value"] for o in matching_options(catalog, "who accessed")] == ["resource_access"]


def test_the_hint_says_an_audit_event_name_finds_no_web_or_api_request() -> None:
    assert "never a web or API request" in EVENT_TYPES_HINT and len(EVENT_TYPES_HINT) <= 150 * 2
