"""The case click a case modal carries in its private metadata, read back when the modal is submitted."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.flows.case_actions import Click


def submitted_click(body: dict[str, Any], view: dict[str, Any]) -> Click | None:
    """The click the modal was opened for, by the submitting user; None when the metadata is unreadable
    (an out-of-date form: the caller asks for it to be opened again)."""
    try:
        meta = json.loads(view.get("private_metadata") or "")
        return Click(
            user_id=body["user"]["id"],
            case_id=int(meta["case_id"]),
            version=int(meta["version"]),
            channel=meta.get("channel"),
            thread_ts=meta.get("thread_ts"),
            trigger_id=None,
        )
    except (ValueError, KeyError, TypeError):
        return None
