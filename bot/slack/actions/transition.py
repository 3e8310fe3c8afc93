"""Move the case through the state machine: the target state is in the button's action id."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.blocks.case import TRANSITION_PREFIX
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, apply, move
from workflows.states import CaseState


async def handle_transition(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    action_id = str(body["actions"][0]["action_id"])
    try:
        target = CaseState(action_id.removeprefix(TRANSITION_PREFIX))
    except ValueError:
        await ack()
        return

    async def work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
        await apply(deps, client, click, move(deps, target))

    await acknowledge_and_hand_on(ack, body, client, context, work, f"transition.{target.value}")
