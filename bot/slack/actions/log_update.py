"""Log a customer update: a small modal asks what the customer was told."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.blocks.forms import CUSTOMER_UPDATE_CALLBACK
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, ask_reason


async def _work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    await ask_reason(deps, client, click, CUSTOMER_UPDATE_CALLBACK)


async def handle_log_update(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, _work, "log_update")
