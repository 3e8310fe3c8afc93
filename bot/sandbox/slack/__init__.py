"""A local stand-in for Slack's Web API: records calls, validates tokens and Block Kit, answers like Slack."""

from bot.sandbox.slack.server import SlackCall, SlackStandIn
from bot.sandbox.slack.socket_mode import SocketModeStandIn

__all__ = ["SlackCall", "SlackStandIn", "SocketModeStandIn"]
