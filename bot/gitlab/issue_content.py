"""What goes into the SIRT issue, its notes and the Audit Events gap issue: template contexts built from
the case and its events, rendered by bot.gitlab.templates (which neutralises every value)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.cases import case_label
from bot.db.models import Case, CaseEvent
from bot.gitlab.templates import render, render_title
from workflows.assessment import Route
from workflows.audit_gap import LOG_SOURCES, PublicGap, keyed_digest
from workflows.eligibility import TITLES as RULE_TITLES
from workflows.gitlab_text import GitLabMarkdown, link, marker, mention

OUTCOMES = {
    "pass": "passed",
    "fail": "failed",
    "rescope": "needs re-scoping",
    "exception_required": "needs an exception",
}
DECISIONS = {
    "eligible": "Eligible",
    "exception_required": "Eligible after a Legal exception",
    "rescope": "Narrow the scope",
    "ineligible": "Not eligible",
}
ROUTES = {Route.SUPPORT.value: "Support", Route.SECURITY.value: "SIRT"}
# A Slack user id -> that person's display name, or None (bot.slack.people.SlackNames).
Names = Callable[[str], str | None]


def case_marker(case_id: int) -> GitLabMarkdown:
    return marker("case", case_id)


def case_search(case_id: int) -> str:
    """The word GitLab's issue search finds the marker by (the marker itself is an HTML comment)."""
    return f"logdive-case:{case_id}"


def event_marker(event_id: int) -> GitLabMarkdown:
    return marker("event", event_id)


def actor_name(actor: str | None, names: Names | None = None) -> str:
    """Who did something, for a GitLab reader: Slack ids and CLI users are not GitLab users. A Slack
    person is named by their Slack display name when `names` knows it."""
    if not actor or actor == "system":
        return "Logdive"
    kind, _, name = actor.partition(":")
    if name and kind == "gitlab":
        return f"{name} (GitLab)"
    if name and kind == "cli":
        return f"{name} (CLI)"
    shown = names(actor) if names is not None else None
    return f"{shown} (Slack)" if shown else f"Slack user {actor}"


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def sirt_issue(
    session: Session, case: Case, *, sirt_handle: str, thread_url: str | None, names: Names | None = None
) -> Rendered:
    assert case.id is not None
    request = case.request or {}
    resources = request.get("resources") or {}
    window = request.get("window") or {}
    start, end = window.get("start"), window.get("end")
    days = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days if start and end else "?"
    label = case_label(case.id)
    exception = _exception(session, case, names)
    context: dict[str, Any] = {
        "marker": case_marker(case.id),
        "sirt_handle": mention(sirt_handle),
        "label": label,
        "route_title": ROUTES.get(case.route or "", "no route"),
        "namespace": case.customer_namespace,
        "requester": case.requester_username,
        "ticket": case.ticket_reference,
        "window_start": start,
        "window_end": end,
        "window_days": days,
        "decision_title": DECISIONS.get(case.decision, case.decision),
        "next_update_due": case.next_update_due,
        "slack_thread": link("the case thread", thread_url)
        if thread_url
        else GitLabMarkdown("in the case channel (linked in a note once posted)"),
        "projects": list(resources.get("projects") or ()),
        "groups": list(resources.get("groups") or ()),
        "users": list(resources.get("users") or ()),
        "event_types": list(request.get("event_types") or ()),
        "log_sources": list(request.get("log_sources") or ["application"]),
        "personal_data": bool(request.get("personal_data")),
        "rules": [
            {
                "title": RULE_TITLES.get(rule.get("id", ""), rule.get("id", "")),
                "outcome": OUTCOMES.get(rule.get("outcome", ""), rule.get("outcome", "")),
                "reason": rule.get("reason", ""),
                "remedy": rule.get("remedy"),
            }
            for rule in (case.assessment or {}).get("rules", [])
        ],
        "notes": list((case.assessment or {}).get("notes", [])),
        "exception": exception,
        "description": case.description,
    }
    title = render_title("sirt_issue_title", label=label, namespace=case.customer_namespace)
    return Rendered(title, render("sirt_issue", **context))


def _exception(session: Session, case: Case, names: Names | None = None) -> dict[str, Any] | None:
    events = session.exec(
        select(CaseEvent)
        .where(
            CaseEvent.case_id == case.id,
            col(CaseEvent.kind).in_(["exception_requested", "exception_approved"]),
        )
        .order_by(col(CaseEvent.id))
    ).all()
    approved = next((e for e in reversed(events) if e.kind == "exception_approved"), None)
    if approved is None:
        return None
    before = events[: events.index(approved)]  # in id order
    requested = next((e for e in reversed(before) if e.kind == "exception_requested"), None)
    return {
        "requested_by": actor_name(requested.actor, names) if requested else "—",
        "request_reason": (requested.data or {}).get("reason") if requested else "—",
        "approver": actor_name(approved.actor, names),
        "at": approved.at,
        "reason": (approved.data or {}).get("reason"),
    }


def event_note(
    case: Case, event: CaseEvent, *, gap_url: str | None = None, names: Names | None = None
) -> str:
    assert case.id is not None and event.id is not None
    data = event.data or {}
    return render(
        "event_note",
        marker=event_marker(event.id),
        kind=event.kind,
        label=case_label(case.id),
        actor=actor_name(event.actor, names),
        role=event.actor_role,
        from_state=event.from_state,
        to_state=event.to_state,
        summary=data.get("summary"),
        reason=data.get("reason"),
        rules=list(data.get("rules") or ()),
        requested_by=actor_name(data["requested_by"], names) if data.get("requested_by") else None,
        missing=list((data.get("report") or {}).get("missing") or ()),
        details=(data.get("report") or {}).get("details") or None,
        next_update_due=case.next_update_due,
        gap_link=link("the gap issue", gap_url or data.get("url")),
    )


def thread_note(case: Case, thread_url: str) -> str:
    """The link to the Slack thread, when the issue was filed before the thread existed."""
    assert case.id is not None
    thread = link("the case thread", thread_url)
    return f"{marker('thread', case.id)}\nSlack thread of {case_label(case.id)}: {thread}\n"


# --- the Audit Events gap issue ----------------------------------------------------------------
# Public: built from a PublicGap only (catalog names, Logdive's log-source names and fixed wording).


def report_digest(case_id: int, secret: bytes) -> str:
    """Names one case's report on a public issue; without the secret nobody can tell which case."""
    return keyed_digest(secret, "logdive-gap-report", str(case_id))


def gap_issue(gap: PublicGap, *, key: str, digest: str) -> Rendered:
    context = _gap_context(gap, digest) | {"gap_marker": marker("audit-gap", key)}
    title = render_title("audit_gap_issue_title", missing=list(gap.missing))
    return Rendered(title, render("audit_gap_issue", **context))


def gap_note(gap: PublicGap, *, digest: str) -> str:
    return render("audit_gap_note", **_gap_context(gap, digest))


def _gap_context(gap: PublicGap, digest: str) -> dict[str, Any]:
    return {
        "report_marker": marker("gap-report", digest),
        "missing": list(gap.missing),
        "used_logs": [LOG_SOURCES[name] for name in gap.used_logs],
        "requested": list(gap.requested),
    }
