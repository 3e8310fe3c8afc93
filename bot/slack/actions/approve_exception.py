"""Approve a pending Legal exception (Legal only; never the requester)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.deps import SlackDeps
from bot.slack.flows import case_actions
from bot.slack.flows.case_actions import Click, apply


async def _work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    await apply(deps, client, click, case_actions.decide_exception(deps, approve=True))


async def handle_approve_exception(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, _work, "approve_exception")
