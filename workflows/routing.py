"""Who takes a log-dive: Support for small, recent, impersonal requests; the Security team for the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.assessment import Route
from workflows.policy import Policy
from workflows.request import LogDiveRequest


def route(request: LogDiveRequest, policy: Policy, now: datetime) -> tuple[Route, tuple[str, ...]]:
    """The team that takes the request, and notes for the CSM (why Security, longer turnaround)."""
    rules = policy.routing
    now = as_utc(now)
    recent_since = now - timedelta(days=rules.support_max_window_days)
    start, end = as_utc(request.window.start), as_utc(request.window.end)

    needs_security: list[str] = []
    if not (recent_since <= start and end <= now):
        needs_security.append(f"the window reaches further back than {rules.support_max_window_days} days")
    if request.personal_data:
        needs_security.append("personal data is requested")
    resources = request.resources.size
    if resources > rules.support_max_resources:
        needs_security.append(
            f"{resources} resources are in scope (Support takes up to {rules.support_max_resources})"
        )
    if len(request.event_types) > rules.support_max_event_types:
        needs_security.append(
            f"{len(request.event_types)} event types are requested "
            f"(Support takes up to {rules.support_max_event_types})"
        )

    notes: list[str] = []
    if needs_security:
        notes.append("The Security team takes this request because " + _join(needs_security) + ".")
    if start < recent_since:
        notes.append(
            f"Expect a longer turnaround: the window starts more than {rules.support_max_window_days} days "
            "ago, and older logs sit in cold storage, which takes longer to search."
        )
    return (Route.SECURITY if needs_security else Route.SUPPORT), tuple(notes)


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is a programming error, never guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
