"""Files shared in a case thread become artefacts, after the ack (bot.slack.flows.uploads)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.uploads import on_file_shared


async def handle_file_share(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    if event.get("subtype") != "file_share" or not event.get("files"):
        return
    deps: SlackDeps = context["deps"]
    deps.work.spawn(on_file_shared(deps, client, event), name="file_share")
