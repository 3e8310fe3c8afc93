""" "Run log-dive" on the case message: acknowledge, then the run goes on in the background."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.flows.logdive import run_logdive


async def handle_run_logdive(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, run_logdive, "run_logdive")
