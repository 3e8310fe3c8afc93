"""Erasure in the case thread: Logdive's own replies are replaced by a tombstone (an outbox item).

The case message redraws itself as a tombstone (bot.slack.blocks.case) and each artefact card as a
deleted artefact; this handler replaces the replies Logdive posted, whose ts erasure collected before it
scrubbed the outbox, and those delivered since (waiting until none is on its way). Messages people
wrote in the thread are theirs: Logdive does not touch them.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlmodel import col, select

from bot import cases, outbox
from bot.artefacts.events import SLACK_TOMBSTONE
from bot.db.engine import session_scope
from bot.db.models import OutboxItem
from bot.slack.blocks.case import erased_message
from bot.slack.delivery import call_slack

TOMBSTONE = SLACK_TOMBSTONE


class Tombstones:
    def __init__(self, client: WebClient, database_url: str) -> None:
        self._client = client
        self._url = database_url

    def handlers(self) -> dict[str, outbox.Handler]:
        return {TOMBSTONE: self.replace}

    def replace(self, item: OutboxItem) -> dict[str, Any]:
        with session_scope(self._url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            if case.erased_at is None:
                raise outbox.PermanentError("the case is not erased")
            text, blocks = erased_message(
                cases.case_label(case.id or 0),
                case.erased_at,
                item.payload.get("by"),
                item.payload.get("why"),
            )
            channel = case.slack_channel
            posts = session.exec(
                select(OutboxItem).where(
                    col(OutboxItem.case_id) == case.id, col(OutboxItem.kind) == cases.SLACK_THREAD_POST
                )
            ).all()
            if any(p.status == outbox.PENDING for p in posts):
                # A reply still on its way may carry what was erased: replace it too, once it is posted.
                raise RuntimeError("replies are still being delivered")
            late = [str(p.result["ts"]) for p in posts if p.result and p.result.get("ts")]
        replaced = 0
        for ts in dict.fromkeys([*(item.payload.get("messages") or []), *late]):
            try:
                call_slack(self._client, "chat_update", channel=channel, ts=ts, text=text, blocks=blocks)
                replaced += 1
            except outbox.PermanentError:
                pass  # a message someone deleted meanwhile: nothing left to replace
        return {"replaced": replaced}
