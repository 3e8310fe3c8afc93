"""A reason modal submitted (exception request, denial, customer update): the change runs after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import view_state
from bot.slack.blocks.forms import REASON_BLOCK
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import apply, reason_forms
from bot.slack.views.submitted import submitted_click


async def handle_reason_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    reason = view_state.text(view["state"]["values"], REASON_BLOCK)
    if not reason.strip():
        await ack(response_action="errors", errors={REASON_BLOCK: "Say why, in a sentence or two."})
        return
    click = submitted_click(body, view)
    if click is None:
        await ack(response_action="errors", errors={REASON_BLOCK: "This form is out of date; open it again."})
        return
    # Closing every modal in the stack: the outcome shows in the case's thread.
    await ack(response_action="clear")
    _roles, change = reason_forms(deps)[view["callback_id"]]
    deps.work.spawn(apply(deps, client, click, change, reason=reason.strip()), name=view["callback_id"])
