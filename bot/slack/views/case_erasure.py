"""The "Erase case" modal submitted: a reason is required; the erasure runs after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.case_erasure import erase
from bot.slack.flows.custody import form_values
from bot.slack.views.submitted import submitted_click


async def handle_case_erasure(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    form, errors = form_values(view["callback_id"], view["state"]["values"])
    click = submitted_click(body, view)
    if errors or click is None:
        await ack(
            response_action="errors", errors=errors or {"reason": "This form is out of date; open it again."}
        )
        return
    await ack(response_action="clear")
    deps.work.spawn(erase(deps, client, click, form["reason"]), name="erase_case")
