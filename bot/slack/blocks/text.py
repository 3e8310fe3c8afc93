"""Small text pieces the builders share: mentions, dates, links, rule icons; user text always escaped."""

from __future__ import annotations

import re
from datetime import datetime

from bot.slack.escape import escape_mrkdwn

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")

OUTCOME_ICONS = {
    "pass": ":white_check_mark:",
    "fail": ":x:",
    "rescope": ":scissors:",
    "exception_required": ":scales:",
}
DECISION_TITLES = {
    "eligible": "Eligible",
    "rescope": "Narrow the scope",
    "exception_required": "Legal exception needed",
    "ineligible": "Not eligible",
}


def user(actor: str | None) -> str:
    """A Slack user mention for a Slack user id Logdive recorded itself; anything else as literal text."""
    if actor and _SLACK_USER.fullmatch(actor):
        return f"<@{actor}>"
    return escape_mrkdwn(actor or "nobody", 100)


def when(moment: datetime | None, fallback_tz: str = "UTC") -> str:
    """Slack renders <!date^…> in each reader's own timezone; the fallback is UTC text."""
    if moment is None:
        return "—"
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return escape_mrkdwn(label)
    return f"<{escape_mrkdwn(url, 2000)}|{escape_mrkdwn(label, 200)}>"


def channel(channel_id: str | None) -> str:
    return (
        f"<#{channel_id}>"
        if channel_id and re.fullmatch(r"[CG][A-Z0-9]{2,20}", channel_id)
        else "the case channel"
    )
