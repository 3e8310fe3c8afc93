"""The intake form submitted: field errors at once, else "checking…" and the decision after it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.decision import checking_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows import intake
from bot.slack.intake_form import read_submission


async def handle_intake_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    request, errors = read_submission(view["state"]["values"], deps.catalog)
    if request is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack(response_action="update", view=checking_modal())
    attempt, timezone = intake.read_metadata(view.get("private_metadata"))
    deps.work.spawn(
        intake.assess_and_record(
            deps,
            client,
            view_id=view["id"],
            user_id=body["user"]["id"],
            request=request,
            attempt=attempt,
            timezone=timezone,
        ),
        name="intake.assess",
    )
