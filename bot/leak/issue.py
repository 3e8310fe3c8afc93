"""The GitLab side of a data-leak case: its confidential SIRT issue and that issue's labels.

Rendered from templates/gitlab/leak_*.md.j2 through the neutralising environment, like a log-dive's.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.cases import case_label
from bot.db.models import Case
from bot.gitlab.issue_content import Rendered, case_marker
from bot.gitlab.templates import render, render_title
from bot.leak.models import LeakReport
from workflows import leak as L
from workflows.gitlab_text import GitLabMarkdown, link, mention
from workflows.sirt_issue import IssueLabels

LEAK_LABEL = "data-leak"


def sirt_issue(session: Session, case: Case, *, sirt_handle: str, thread_url: str | None) -> Rendered:
    assert case.id is not None
    report = session.get(LeakReport, case.id)
    assert report is not None
    request = case.request or {}
    label = case_label(case.id)
    body = render(
        "leak_sirt_issue",
        marker=case_marker(case.id),
        sirt_handle=mention(sirt_handle),
        label=label,
        namespace=case.customer_namespace,
        contact=report.contact,
        category=L.DataCategory(report.category).value.replace("_", " "),
        first_exported=report.first_exported,
        ticket=case.ticket_reference,
        legal_required=L.LeakCase(category=L.DataCategory(report.category)).legal_required,
        slack_thread=link("the case thread", thread_url)
        if thread_url
        else GitLabMarkdown("in the case channel (linked in a note once posted)"),
        storage=list(request.get("storage_urls") or ()),
        third_parties=list(request.get("third_parties") or ()),
        description=case.description,
    )
    return Rendered(
        render_title("leak_sirt_issue_title", label=label, namespace=case.customer_namespace), body
    )


def labels(base: IssueLabels, state: str) -> tuple[list[str], list[str]]:
    """(add, remove): the fixed labels, `data-leak` and the one status label of `state`."""
    status = [f"{base.status_prefix}{s.value}" for s in L.LeakState]
    wanted = [*base.base, LEAK_LABEL, f"{base.status_prefix}{L.LeakState(state).value}"]
    return wanted, [label for label in status if label not in wanted]


def is_closed(state: str) -> bool:
    return L.LeakState(state) in L.LEAK_TERMINAL_STATES
