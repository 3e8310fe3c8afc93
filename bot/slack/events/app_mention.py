"""Mentioning the bot gets the /security help, in the thread where it was mentioned."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.replies import help_reply
from bot.slack.deps import SlackDeps


async def handle_app_mention(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    deps: SlackDeps = context["deps"]
    if not event.get("channel") or not event.get("user"):
        return  # not a mention someone could be answered in
    text, blocks = help_reply()
    deps.work.spawn(
        client.chat_postEphemeral(
            channel=event["channel"],
            user=event["user"],
            text=text,
            blocks=blocks,
            thread_ts=event.get("thread_ts"),
        ),
        name="app_mention",
    )
