"""Deny a pending Legal exception (Legal only): a small modal asks why."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.blocks.forms import EXCEPTION_DENIAL_CALLBACK
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, ask_reason


async def _work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    await ask_reason(deps, client, click, EXCEPTION_DENIAL_CALLBACK)


async def handle_deny_exception(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, _work, "deny_exception")
