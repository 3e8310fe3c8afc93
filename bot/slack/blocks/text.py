"""Small text pieces the builders share: mentions, dates, links, rule icons; user text always escaped."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from bot.slack.escape import escape_mrkdwn

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_NOT_IN_LINK = re.compile(r"[|<>\s\x00-\x1f\x7f]")

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
    """A Slack mention for a Slack user id Logdive recorded itself (a bare id, as Slack signed it);
    anything else as literal text. A GitLab actor is recorded as `gitlab:<username>` and shown as the
    username, literally: a GitLab username shaped like a Slack id (`U0LEG1`) mentions nobody."""
    if actor and _SLACK_USER.fullmatch(actor):
        return f"<@{actor}>"
    return escape_mrkdwn((actor or "nobody").removeprefix("gitlab:"), 100)


def when(moment: datetime | None, fallback_tz: str = "UTC") -> str:
    """Slack renders <!date^…> in each reader's own timezone; the fallback is UTC text."""
    if moment is None:
        return "—"
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def link(url: str | None, label: str, gitlab_url: str | None) -> str:
    """`label` linked to `url` when the URL points into GitLab (`gitlab_url`, GITLAB_URL); otherwise the
    label alone. Fail closed: no link is better than one to elsewhere or with a label of its own."""
    if not url or not gitlab_url or not points_into(url, gitlab_url):
        return escape_mrkdwn(label)
    return f"<{escape_mrkdwn(url)}|{escape_mrkdwn(label, 200)}>"


def points_into(url: str, base: str) -> bool:
    """`url` is on `base`'s scheme and host, under its path, and holds nothing Slack would read as
    the end of the link or the start of its label (`|`, `<`, `>`, spaces, control characters)."""
    if len(url) > 2000 or _NOT_IN_LINK.search(url):
        return False
    try:
        target, root = urlsplit(url), urlsplit(base)
    except ValueError:
        return False
    return (
        target.scheme in ("https", "http")
        and target.scheme == root.scheme
        and target.netloc.lower() == root.netloc.lower()
        and (target.path + "/").startswith(root.path.rstrip("/") + "/")
    )


def channel(channel_id: str | None) -> str:
    return (
        f"<#{channel_id}>"
        if channel_id and re.fullmatch(r"[CG][A-Z0-9]{2,20}", channel_id)
        else "the case channel"
    )
