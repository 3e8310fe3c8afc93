"""Clicks on an artefact card's buttons: acknowledge, read the button, hand the work on."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.custody import ACTIONS, on_click, read_card_click


async def handle_card_click(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    action = str((body.get("actions") or [{}])[0].get("action_id", ""))
    click = read_card_click(body)
    if click is None or action not in ACTIONS:  # not a value Logdive wrote: nothing to do
        return
    deps: SlackDeps = context["deps"]
    deps.work.spawn(on_click(deps, client, click, action), name=action)
