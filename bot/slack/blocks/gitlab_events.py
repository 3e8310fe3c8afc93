"""Thread lines for what happened on GitLab's side of a case: one line and a link, never a note's text."""

from __future__ import annotations

from bot.db.models import CaseEvent
from bot.slack.blocks import text
from bot.slack.blocks.text import user
from bot.slack.escape import escape_mrkdwn

_STATES = {"closed": "Closed", "cancelled": "Cancelled"}


def gitlab_event_line(event: CaseEvent, label: str, gitlab_url: str | None) -> str | None:
    """The thread line for a GitLab-side event of case `label`; None for other events. Links are shown
    only when they point into `gitlab_url` (GITLAB_URL)."""
    data = event.data or {}
    who = user(event.actor) if event.actor else "someone"
    url = data.get("url") if isinstance(data.get("url"), str) else None

    def link(url: str | None, label: str) -> str:
        return text.link(url, label, gitlab_url)

    if event.kind == "finding":
        where = link(url, "on the SIRT issue") if url else "in Logdive"
        return f":mag: {who} noted a finding on {label} {where}."
    if event.kind == "issue_closed_in_gitlab":
        to = _STATES.get(event.to_state or "", "")
        outcome = f": {label} is now *{to}*" if to else f"; {label} was already over"
        return f":lock: {who} closed {link(url, 'the SIRT issue')} in GitLab{outcome}."
    if event.kind == "issue_reopened_in_gitlab":
        return f":unlock: {who} reopened {link(url, 'the SIRT issue')} in GitLab ({label} stays as it is)."
    if event.kind == "audit_gap_reported":
        missing = len((data.get("report") or {}).get("missing") or ())
        return f"{who} closed {label} and reported {missing} event(s) Audit Events lacked."
    if event.kind == "audit_gap_filed":
        verb = "filed" if data.get("created") else "added this case to"
        return f":memo: Logdive {verb} {link(url, 'the Audit Events gap issue')} for {label}."
    if event.kind == "delivery_parked":
        kind = escape_mrkdwn(str(data.get("item_kind") or "an outbox item"), 60)
        error = escape_mrkdwn(str(data.get("error") or "")[:200], 250)
        return (
            f":warning: Logdive gave up on `{kind}` for {label} after {data.get('attempts', '?')} attempts "
            f"({error}). Fix the cause, then run `logdive outbox retry --case {label}`."
        )
    return None
