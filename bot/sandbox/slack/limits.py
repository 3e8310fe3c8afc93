"""Slack's documented limits, checked on the raw JSON a call carries, independently of slack_sdk.

slack_sdk.models checks many of these too; the stand-in must not trust the library under test, so it
counts for itself (docs.slack.dev: chat.postMessage, Block Kit blocks, modals, views.open/push):

- a message: `text` at most 40,000 characters (`msg_too_long`), at most 50 blocks;
- a modal or Home tab: at most 100 blocks; title, submit and close at most 24 characters;
  `private_metadata` at most 3,000; `callback_id` at most 255;
- a section: text at most 3,000 characters, at most 10 fields of at most 2,000 each;
- a header: text at most 150 characters; any `block_id` at most 255;
- views.push: only onto an open modal, at most 3 views in a stack (`push_limit_reached`).
"""

from __future__ import annotations

from typing import Any

MESSAGE_MAX_TEXT = 40_000
MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
VIEW_TITLE_MAX = 24  # title, submit and close
PRIVATE_METADATA_MAX = 3_000
ID_MAX = 255  # callback_id, block_id
SECTION_TEXT_MAX = 3_000
SECTION_MAX_FIELDS = 10
SECTION_FIELD_MAX = 2_000
HEADER_TEXT_MAX = 150
VIEW_STACK_MAX = 3  # a modal and two views pushed onto it


class SlackError(Exception):
    """A Web API refusal: `error` is Slack's code, `extra` goes into the answer beside it."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def check_message(blocks: list[dict[str, Any]] | None, text: str | None) -> None:
    if text is not None and len(text) > MESSAGE_MAX_TEXT:
        raise SlackError("msg_too_long")
    blocks = blocks or []
    if len(blocks) > MESSAGE_MAX_BLOCKS:
        raise SlackError("invalid_blocks", detail=f"{len(blocks)} blocks; a message holds at most 50")
    _check_blocks(blocks)


def check_view(view: dict[str, Any]) -> None:
    blocks = view.get("blocks") or []
    if not isinstance(blocks, list) or len(blocks) > VIEW_MAX_BLOCKS:
        count = len(blocks) if isinstance(blocks, list) else "no list of"
        raise SlackError("invalid_arguments", detail=f"{count} blocks; a view holds at most 100")
    for key in ("title", "submit", "close"):
        _longest(view.get(key), VIEW_TITLE_MAX, f"view.{key}", "invalid_arguments")
    if len(str(view.get("private_metadata") or "")) > PRIVATE_METADATA_MAX:
        raise SlackError("invalid_arguments", detail="private_metadata is over 3000 characters")
    if len(str(view.get("callback_id") or "")) > ID_MAX:
        raise SlackError("invalid_arguments", detail="callback_id is over 255 characters")
    _check_blocks(blocks, error="invalid_arguments")


def _check_blocks(blocks: list[Any], *, error: str = "invalid_blocks") -> None:
    for n, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise SlackError(error, detail=f"blocks[{n}] is not an object")
        if len(str(block.get("block_id") or "")) > ID_MAX:
            raise SlackError(error, detail=f"blocks[{n}].block_id is over 255 characters")
        if block.get("type") == "section":
            _longest(block.get("text"), SECTION_TEXT_MAX, f"blocks[{n}].text", error)
            fields = block.get("fields") or []
            if len(fields) > SECTION_MAX_FIELDS:
                raise SlackError(error, detail=f"blocks[{n}] has {len(fields)} fields; at most 10")
            for f, item in enumerate(fields):
                _longest(item, SECTION_FIELD_MAX, f"blocks[{n}].fields[{f}]", error)
        elif block.get("type") == "header":
            _longest(block.get("text"), HEADER_TEXT_MAX, f"blocks[{n}].text", error)


def _longest(obj: Any, limit: int, where: str, error: str) -> None:
    """A text object's `text` no longer than `limit` characters."""
    text = obj.get("text") if isinstance(obj, dict) else None
    if isinstance(text, str) and len(text) > limit:
        raise SlackError(error, detail=f"{where} is {len(text)} characters; at most {limit}")
