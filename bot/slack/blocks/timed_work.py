"""Thread messages for timed work: the update reminder, the escalation, the log-retention warning.

Only ids Logdive recorded itself become mentions (`<@U…>`, `<!subteam^S…>`); nothing a person typed is
shown. Dates are Slack date tokens (each reader's own time zone) with a UTC fallback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.slack.blocks.limits import FALLBACK_TEXT, SECTION_TEXT, clip
from bot.slack.blocks.text import user, when
from bot.slack.escape import escape_mrkdwn

_USER_GROUP = re.compile(r"^S[A-Z0-9]{2,20}$")


def user_group(group_id: str | None, name: str) -> str:
    """A user-group mention for a configured group id; the team's name as plain text otherwise."""
    if group_id and _USER_GROUP.fullmatch(group_id):
        return f"<!subteam^{group_id}>"
    return escape_mrkdwn(name, 100)


def _message(line: str, context: str, fallback: str) -> tuple[str, list[Block]]:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=clip(line, SECTION_TEXT))),
        ContextBlock(elements=[MarkdownTextObject(text=clip(context, SECTION_TEXT))]),
    ]
    return clip(fallback, FALLBACK_TEXT), blocks


def reminder_message(
    label: str, *, owner: str | None, team_mention: str, due_at: datetime
) -> tuple[str, list[Block]]:
    """The customer update is due: said to the owner (to the routed team while nobody owns the case)."""
    who = user(owner) if owner else team_mention
    return _message(
        f":alarm_clock: {who} a customer update on *{escape_mrkdwn(label)}* is due {when(due_at)}.",
        "Tell the customer where things stand, then use *Log customer update* on the case message "
        "(or note it on the SIRT issue): the next update is due a full cadence later.",
        f"{label}: customer update due {due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
    )


def escalation_message(
    label: str,
    *,
    owner: str | None,
    team_mention: str,
    due_at: datetime,
    grace_hours: float,
) -> tuple[str, list[Block]]:
    """Still no update after the grace period: the routed team is told, and an SLA breach recorded."""
    owned = f" (owner {user(owner)})" if owner else ""
    return _message(
        f":rotating_light: {team_mention} the customer update on *{escape_mrkdwn(label)}*{owned} was due "
        f"{when(due_at)} and is still missing after {grace_hours:g} business hours.",
        "Recorded as an SLA breach. Someone please update the customer and log it.",
        f"{label}: customer update overdue since {due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC (SLA breach)",
    )


def retention_message(
    label: str,
    *,
    owner: str | None,
    source: str,
    window_start: datetime,
    ages_out_at: datetime,
    aged_out: bool,
) -> tuple[str, list[Block]]:
    """The window's oldest entries leave (or have left) a log source's retention before the log-dive."""
    day = f"{ages_out_at.astimezone(UTC):%Y-%m-%d}"
    who = f"{user(owner)} " if owner else ""
    oldest = f"the oldest part of *{escape_mrkdwn(label)}*'s window (from {when(window_start)})"
    src = escape_mrkdwn(source, 50)
    if aged_out:
        line = f"aged out of the {src} logs on {day} ({when(ages_out_at)}): those entries are gone."
        fallback = f"{label}: the window's oldest {source} logs aged out on {day}"
    else:
        line = f"ages out of the {src} logs on {day} ({when(ages_out_at)}): finish the log-dive before then."
        fallback = f"{label}: the window's oldest {source} logs age out on {day}"
    line = f":hourglass: {who}{oldest} {line}"
    return _message(line, "Log retention warning, also noted on the SIRT issue.", fallback)
