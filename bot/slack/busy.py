"""When the follow-up queue is full (bot.slack.background), Slack's request is answered "busy, try again"
in its acknowledgement, at once, and no work is queued for it.

A command gets an ephemeral reply; a modal submission stays open with the notice under its first input
(what was typed is kept); a click is acknowledged and told through its response_url. Events and option
look-ups go on as usual: they queue nothing a person waits for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot.logs import get_logger
from bot.slack.deps import SlackDeps

log = get_logger(__name__)
BUSY_ANSWERS = Counter("logdive_slack_busy_total", "Slack requests answered 'busy, try again'", ["kind"])

BUSY = "Logdive is busy right now and did not take this in: please try again in a minute."


def _first_input(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    blocks = view.get("blocks") if isinstance(view, dict) else None
    inputs = (
        [b for b in blocks if isinstance(b, dict) and b.get("type") == "input"]
        if isinstance(blocks, list)
        else []
    )
    ids = [b["block_id"] for b in inputs if isinstance(b.get("block_id"), str)]
    return ids[0] if ids else None


async def turn_away_when_busy(
    body: dict[str, Any],
    ack: AsyncAck,
    respond: AsyncRespond,
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[BoltResponse | None]],
) -> BoltResponse | None:
    deps: SlackDeps = context["deps"]
    kind = "command" if "command" in body else body.get("type")
    if not deps.work.full or kind not in ("command", "view_submission", "block_actions"):
        return await next()
    log.warning("slack.busy", kind=kind)
    BUSY_ANSWERS.labels(kind).inc()
    if kind == "command":
        return await ack(text=BUSY, response_type="ephemeral")
    if kind == "view_submission":
        block = _first_input(body)
        return await ack(response_action="errors", errors={block: BUSY}) if block else await ack()
    answered = await ack()
    if body.get("response_url"):
        deps.work.tell(respond(text=BUSY, response_type="ephemeral", replace_original=False), name="busy")
    return answered
