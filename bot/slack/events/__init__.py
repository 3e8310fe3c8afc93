"""Events API events."""

from slack_bolt.async_app import AsyncApp

from bot.slack.events.app_mention import handle_app_mention
from bot.slack.events.file_shared import handle_file_share


def register(app: AsyncApp) -> None:
    app.event("app_mention")(handle_app_mention)
    app.event({"type": "message", "subtype": "file_share"})(handle_file_share)
