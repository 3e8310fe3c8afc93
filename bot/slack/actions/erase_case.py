""" "Erase case" on the case message: acknowledge, then ask for the reason (or refuse) after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.flows.case_erasure import ask_to_erase


async def handle_erase_case(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, ask_to_erase, "erase_case")
