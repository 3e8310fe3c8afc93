"""`/security [help | status CASE | list | leak]`: acknowledge at once, then open the modal or answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.replies import help_reply
from bot.slack.flows import intake, leak, replies


async def handle_security(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    deps = context["deps"]
    words = (body.get("text") or "").split()
    sub = words[0].lower() if words else ""
    if sub in ("", "new"):
        await ack()
        deps.work.spawn(intake.open_modal(deps, client, respond, body), name="intake.open")
    elif sub == "status" and len(words) == 2:
        await ack()
        deps.work.spawn(replies.status(deps, respond, body["user_id"], words[1]), name="status")
    elif sub == "leak" and len(words) == 1:
        await ack()
        deps.work.spawn(leak.open_form(deps, client, respond, body), name="leak.open")
    elif sub == "list" and len(words) == 1:
        await ack()
        deps.work.spawn(replies.open_cases(deps, respond, body["user_id"]), name="list")
    else:
        text, blocks = help_reply(unknown=sub if sub != "help" else None)
        await ack(text=text, blocks=blocks, response_type="ephemeral")
