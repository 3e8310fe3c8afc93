"""The data-leak modals submitted: the report, and each step's form."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.decision import checking_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows import leak
from bot.slack.leak_form import read_report


async def handle_leak_report(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    form, errors = read_report(view["state"]["values"])
    if form is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack(response_action="update", view=checking_modal())
    deps.work.spawn(
        leak.record_report(deps, client, view_id=view["id"], user_id=body["user"]["id"], form=form),
        name="leak.report",
    )


async def handle_leak_step(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    try:
        action = str(json.loads(view.get("private_metadata") or "{}")["action"])
    except (ValueError, KeyError, TypeError):
        await ack()
        return
    command, errors = leak.read_step(action, view["state"]["values"])
    if command is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    deps.work.spawn(leak.submitted(deps, client, body, view, command), name="leak.step")
