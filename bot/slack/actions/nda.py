"""The NDA status select on the case message: acknowledge, then record it after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.nda import set_nda


async def handle_set_nda(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    deps: SlackDeps = context["deps"]
    deps.work.spawn(set_nda(deps, client, body), name="set_nda")
