"""Request a Legal exception (CSM only): from the case message, or from the intake decision modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.blocks.forms import EXCEPTION_REQUEST_CALLBACK
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, ask_reason


async def handle_request_exception(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    in_modal = body.get("view") is not None  # a modal is open: push the reason form on top of it

    async def work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
        await ask_reason(deps, client, click, EXCEPTION_REQUEST_CALLBACK, from_modal=in_modal)

    await acknowledge_and_hand_on(ack, body, client, context, work, "request_exception")
