"""Close the case: first ask what Audit Events lacked (the closing modal); the close happens on submit."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.logs import get_logger
from bot.slack.actions._click import acknowledge_and_hand_on
from bot.slack.blocks.audit_gap import audit_gap_modal
from bot.slack.blocks.case import TRANSITION_PREFIX
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, apply, move
from workflows.states import CaseState, needs

log = get_logger(__name__)

CLOSE_ACTION = TRANSITION_PREFIX + CaseState.CLOSED.value


async def _work(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    roles = await deps.roles.roles_of(click.user_id)
    if not needs(CaseState.SHARED, CaseState.CLOSED) & roles:
        # The service refuses on the role and records it; the modal never opens.
        await apply(deps, client, click, move(deps, CaseState.CLOSED))
        return
    metadata = json.dumps(
        {
            "case_id": click.case_id,
            "version": click.version,
            "channel": click.channel,
            "thread_ts": click.thread_ts,
        }
    )
    try:
        await client.views_open(
            trigger_id=click.trigger_id,
            view=audit_gap_modal(case_label=cases.case_label(click.case_id), metadata=metadata),
        )
    except SlackApiError as exc:
        log.warning("slack.close_modal_failed", error=exc.response.get("error"))


async def handle_close(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await acknowledge_and_hand_on(ack, body, client, context, _work, "close")
