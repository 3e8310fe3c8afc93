"""Telling one person something only they should see."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import get_logger
from bot.slack.blocks.replies import text_reply

log = get_logger(__name__)


async def tell(
    client: AsyncWebClient,
    user_id: str,
    text: str,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """An ephemeral message where they clicked; a direct message when that is not possible."""
    fallback, blocks = text_reply(text)
    if channel:
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user_id, text=fallback, blocks=blocks, thread_ts=thread_ts
            )
            return
        except SlackApiError as exc:
            log.info("slack.ephemeral_failed", error=exc.response.get("error"))
    await client.chat_postMessage(channel=user_id, text=fallback, blocks=blocks)
