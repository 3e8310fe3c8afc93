"""A click on a data-leak case message: acknowledged at once, handed to the leak flow."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows import leak


async def handle_leak_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    deps: SlackDeps = context["deps"]
    deps.work.spawn(leak.clicked(deps, client, body, action), name="leak.click")
