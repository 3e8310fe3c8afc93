"""Slack's Block Kit limits (docs.slack.dev: block and view references) and plain-text clipping."""

from __future__ import annotations

MODAL_MAX_BLOCKS = 100
MESSAGE_MAX_BLOCKS = 50
MODAL_TITLE = 24  # also the submit and close labels
SECTION_TEXT = 3000
SECTION_FIELD = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
PLACEHOLDER = 150
PRIVATE_METADATA = 3000
INPUT_MAX_LENGTH = 3000
MESSAGE_TEXT = 40_000  # Slack truncates beyond; Logdive keeps fallback texts far shorter
FALLBACK_TEXT = 3000


def clip(text: object, limit: int) -> str:
    """Plain text cut to `limit` characters, with an ellipsis when something was cut."""
    value = str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"
