"""Slash commands."""

from slack_bolt.async_app import AsyncApp

from bot.slack.commands.security import handle_security


def register(app: AsyncApp) -> None:
    app.command("/security")(handle_security)
