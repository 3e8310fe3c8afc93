"""A custody modal submitted (deny, extend retention, erase): checked inline, done after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.custody import FORM_ACTIONS, click_from_modal, form_values, run


async def handle_custody_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    form, errors = form_values(view["callback_id"], view["state"]["values"])
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    click = click_from_modal(body, view)
    if click is None:
        await ack(response_action="errors", errors={"reason": "This form is out of date; open it again."})
        return
    await ack(response_action="clear")
    action = FORM_ACTIONS[view["callback_id"]]
    deps.work.spawn(run(deps, client, click, action, form), name=view["callback_id"])
