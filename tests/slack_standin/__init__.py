"""A local stand-in for Slack's Web API: records calls, validates tokens and Block Kit, answers like Slack."""

from tests.slack_standin.server import SlackCall, SlackStandIn
from tests.slack_standin.socket_mode import SocketModeStandIn

__all__ = ["SlackCall", "SlackStandIn", "SocketModeStandIn"]
