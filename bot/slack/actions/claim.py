"""Claim the case (Support or SIRT, by route)."""

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
    # The owner's business hours run in their own zone; None (Slack does not say) keeps the team's.
    timezone = await deps.timezones.known_timezone(click.user_id)
    await apply(deps, client, click, case_actions.claim(deps, owner_timezone=timezone))


async def handle_claim(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, _work, "claim")
