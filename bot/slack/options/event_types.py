"""The searchable event-type select: log categories first, then GitLab's audit event types."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.slack.blocks.intake import event_type_option
from bot.slack.blocks.limits import OPTIONS
from bot.slack.deps import SlackDeps
from bot.slack.flows.access import case_roles
from workflows.catalog import Catalog


def matching_options(catalog: Catalog, query: str) -> list[dict[str, Any]]:
    needle = query.strip().lower().replace(" ", "_")
    categories = [
        name
        for name, category in sorted(catalog.categories.items())
        if needle in name or query.strip().lower() in category.title.lower()
    ]
    audit = [name for name in sorted(catalog.audit_event_types) if needle in name]
    return [event_type_option(name, catalog).to_dict() for name in (categories + audit)[:OPTIONS]]


async def handle_event_type_options(
    ack: AsyncAck, body: dict[str, Any], payload: dict[str, Any], context: AsyncBoltContext
) -> None:
    deps: SlackDeps = context["deps"]
    # The form is for the case-handling roles; a look-up from anyone else gets nothing.
    if await case_roles(deps, body["user"]["id"], "event_types.options") is None:
        await ack(options=[])
        return
    await ack(options=matching_options(deps.catalog, payload.get("value") or ""))
