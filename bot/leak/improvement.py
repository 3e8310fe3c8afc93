"""The improvement issue a leak leads to: owed when SIRT asks for it, filed by the outbox, recorded.

The issue goes to LOGDIVE_LEAK_IMPROVEMENT_PROJECT, which may be public: its text is fixed wording
(workflows.leak_improvement), checked against the customer's names, and nothing is filed when the
check fails or the project or marker secret is not configured (the delivery parks, visibly).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot import cases, outbox
from bot.cases import ActionRefused
from bot.db.engine import session_scope
from bot.db.models import OutboxItem
from bot.gitlab.templates import render
from bot.leak import service
from bot.leak.models import LeakReport
from bot.logs import get_logger
from workflows import leak as L
from workflows.audit_gap import IdentityLeak, check_clean
from workflows.gitlab_text import marker
from workflows.leak_improvement import ImprovementArea, leak_identity, public_improvement
from workflows.states import Role

if TYPE_CHECKING:
    from bot.gitlab.outbox_handlers import GitLabDelivery

log = get_logger(__name__)

IMPROVEMENT = "gitlab.leak_improvement"
LABELS = ["logdive", "data-leak-improvement"]
_PLACEHOLDER = "https://placeholder.invalid/"


def request(
    session: Session,
    case_id: int,
    area: ImprovementArea,
    *,
    actor: str,
    roles: frozenset[Role],
    now: datetime,
) -> None:
    """Owe the improvement issue, if the aggregate would accept it from these roles now."""
    case = cases.lock_case(session, case_id)
    aggregate = service.leak_case(session, case_id)
    try:
        L.apply(aggregate, L.FileImprovement(issue_url=_PLACEHOLDER), actor=actor, roles=roles, at=now)
    except L.LeakRefused as refused:
        kind = "refused" if L.may(L.LeakAction.FILE_IMPROVEMENT, roles) else "unauthorised"
        service.refuse(
            session,
            case_id,
            L.LeakAction.FILE_IMPROVEMENT,
            actor=actor,
            roles=roles,
            now=now,
            message=refused.reason,
            kind=kind,
        )
        raise ActionRefused(refused.reason, kind=kind) from None
    payload = {
        "case_id": case.id,
        "area": area.value,
        "actor": actor,
        "roles": sorted(r.value for r in roles),
    }
    outbox.enqueue(
        session,
        case_id=case.id,
        kind=IMPROVEMENT,
        payload=payload,
        key=f"case:{case.id}:{IMPROVEMENT}",
        now=now,
    )


def file(delivery: GitLabDelivery, item: OutboxItem) -> dict[str, Any]:
    settings = delivery.settings
    project = settings.leak_improvement_project
    if not project:
        raise outbox.PermanentError(
            "LOGDIVE_LEAK_IMPROVEMENT_PROJECT is not set: no improvement issue is filed"
        )
    if settings.gap_marker_secret is None:
        raise outbox.PermanentError("LOGDIVE_GAP_MARKER_SECRET is not set: no improvement issue is filed")
    secret = settings.gap_marker_secret.get_secret_value().encode()
    case_id = int(item.payload["case_id"])
    with session_scope(delivery.database_url) as session:
        case = cases.get_case(session, case_id)
        report = session.get(LeakReport, case_id)
        aggregate = service.leak_case(session, case_id)
        assert report is not None
        identity = leak_identity(case.customer_namespace, report.contact, case.ticket_reference)
    improvement = public_improvement(
        ImprovementArea(item.payload["area"]),
        aggregate.category,
        storage=len(aggregate.storage),
        third_parties=len(aggregate.third_parties),
        case_id=case_id,
        secret=secret,
    )
    key = marker("leak-improvement", improvement.marker)
    body = render("leak_improvement_issue", marker=key, improvement=improvement)
    try:  # the last line of defence
        check_clean(f"{improvement.title}\n{body}", identity)
    except IdentityLeak as leak:
        raise outbox.PermanentError(str(leak)) from None
    writer = delivery.writer
    found = writer.find_by_marker(project, str(key), search=f"logdive-leak-improvement:{improvement.marker}")
    if found is not None:  # filed by an earlier attempt whose answer was lost
        return {"iid": found.iid, "url": found.web_url, "created": False}
    issue = writer.create(
        project, title=improvement.title, description=body, labels=LABELS, confidential=False
    )
    return {"iid": issue.iid, "url": issue.web_url, "created": True}


def record(delivery: GitLabDelivery, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
    """The filed issue is the step's evidence, taken as the person who asked for it."""
    payload = item.payload
    case_id, actor = int(payload["case_id"]), str(payload["actor"])
    roles = frozenset(Role(r) for r in payload.get("roles") or ())
    step = L.FileImprovement(issue_url=str(result["url"]))
    now = delivery.clock()
    try:  # the case may have moved on meanwhile: then the issue stays filed and this is only logged
        L.apply(service.leak_case(session, case_id), step, actor=actor, roles=roles, at=now)
    except L.LeakRefused:
        log.warning("leak.improvement_not_recorded", case_id=case_id)
        return
    service.take_step(session, case_id, step, actor=actor, roles=roles, now=now)
