"""Erasure on request: every artefact deleted, the case's free text scrubbed and the case ended; tombstones
kept, and Logdive's own messages in the case thread replaced by a tombstone.

What stays: the case's id, state, dates and the people (Slack ids) who acted (GitLab usernames,
which are names, become `gitlab:[erased]`), the event log's shape (who did what, when), review
decisions without their reasons, and the tombstones. What goes:
artefact blobs and names, the description, the request's and assessment's text, the customer
namespace and requester, and every event's free text, and every row that refers to the case however
it is linked: outbox items of the case (their payloads, results and errors) and GitLab webhook
deliveries about its SIRT issue, which carry no case id (who wrote a note, its link and first line).
The case ends (cancelled by Logdive when still open: no clock, no more work). In the Slack thread, the
case message and the artefact cards redraw as tombstones and Logdive's replies are replaced by one
(bot.slack.tombstones); on the SIRT issue, the title, description and Logdive's notes become
tombstones and people's notes are listed for them to remove (bot.gitlab.tombstone). What people wrote
is theirs: Logdive never edits it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, text, update
from sqlmodel import Session, col, select

from bot import cases as case_service
from bot import outbox
from bot.artefacts.events import (
    CASE_ERASED,
    GITLAB_TOMBSTONE,
    SLACK_TOMBSTONE,
    TOMBSTONE_KINDS,
    Actor,
    actor_key,
    case_for,
    note_on_sirt_issue,
    record_event,
    refuse,
)
from bot.artefacts.retention import ERASURE, delete_artefact
from bot.artefacts.service import list_artefacts
from bot.artefacts.store import BlobStore
from bot.cases import case_label
from bot.db.models import ArtefactApproval, ArtefactDownload, Case, CaseEvent, OutboxItem, ScheduledWork
from bot.gitlab.webhook import WEBHOOK, HookEvent
from bot.logs import get_logger
from workflows.review import CustodyAction
from workflows.states import OPEN_STATES, CaseState, Role

log = get_logger(__name__)

ERASED = "[erased]"
GITLAB_ACTOR = "gitlab:"
MAX_REASON = 2000
# Event data keys whose values Logdive itself writes and that never hold free text: kept for the trail.
_TRAIL_KEYS = frozenset(
    {"artefact_id", "artefact_kind", "sha256", "version", "role", "via", "download_id", "decision", "route"}
)


@dataclass(frozen=True)
class ErasureReport:
    case_id: int
    artefacts_deleted: int
    events_scrubbed: int


def erase_case(
    session: Session,
    store: BlobStore,
    case_id: int,
    *,
    reason: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> ErasureReport:
    why = (reason or "").strip()
    if not why:
        raise ValueError("reason: erasure needs a reason (e.g. the customer's request and its ticket)")
    if len(why) > MAX_REASON:
        raise ValueError(f"reason: at most {MAX_REASON} characters, got {len(why)}")
    case = case_for(session, case_id, CustodyAction.ERASE, actor=actor, roles=roles, now=now, erased_ok=True)
    if case.erased_at is not None:
        refuse(
            session, case_id, kind="refused", actor=actor, roles=roles, now=now,
            message=f"{case_label(case_id)} was already erased on {case.erased_at:%Y-%m-%d %H:%M} UTC",
            data={"action": "erase"},
        )  # fmt: skip
    if session.get_bind().dialect.name == "sqlite":
        # Overwrite deleted and replaced content with zeros in the file, not just unlink it from the b-tree.
        session.execute(text("PRAGMA secure_delete = ON"))
        event.listen(session, "after_commit", _checkpoint_sqlite, once=True)

    deleted = 0
    for artefact in list_artefacts(session, case_id):
        if artefact.deleted_at is None:
            delete_artefact(session, store, artefact, why=ERASURE, actor=actor, roles=roles, now=now)
            deleted += 1
    artefact_ids = [a.id for a in list_artefacts(session, case_id)]
    if artefact_ids:
        session.execute(
            update(ArtefactApproval)
            .where(col(ArtefactApproval.artefact_id).in_(artefact_ids))
            .values(reason=None)
        )
    session.execute(delete(ArtefactDownload).where(col(ArtefactDownload.case_id) == case_id))

    replies = _logdive_replies(session, case_id)  # before the outbox is scrubbed of their ts
    case.description = ""
    case.request = _scrub_request(case.request)
    case.assessment = _scrub_assessment(case.assessment)
    case.customer_namespace = ERASED
    case.requester_username = ERASED
    case.ticket_reference = None
    case.erased_at = now
    case.updated_at = now
    case.version += 1
    session.add(case)

    scrubbed = 0
    for past in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all():
        if past.kind in TOMBSTONE_KINDS:
            continue
        past.data = {
            **{k: v for k, v in past.data.items() if k in _TRAIL_KEYS and _scalar(v)},
            "erased": True,
        }
        if past.actor.startswith(GITLAB_ACTOR):  # a GitLab username, from a webhook: a name, not an id
            past.actor = GITLAB_ACTOR + ERASED
        session.add(past)
        scrubbed += 1
    _scrub_outbox(session, case)
    session.execute(
        update(ScheduledWork)
        .where(col(ScheduledWork.case_id) == case_id, col(ScheduledWork.status) != "pending")
        .values(data={}, last_error=None)
    )
    tombstone = record_event(
        session,
        case_id,
        kind=CASE_ERASED,
        actor=actor,
        roles=roles,
        now=now,
        data={"reason": why, "artefacts_deleted": deleted, "events_scrubbed": scrubbed},
    )
    outbox.enqueue(
        session, case_id=case_id, kind=SLACK_TOMBSTONE, key=f"case:{case_id}:{SLACK_TOMBSTONE}", now=now,
        payload={"case_id": case_id, "messages": replies, "by": actor_key(actor), "why": why},
    )  # fmt: skip
    if case_service.sirt_issue_exists_or_owed(session, case):
        outbox.enqueue(
            session, case_id=case_id, kind=GITLAB_TOMBSTONE, key=f"case:{case_id}:{GITLAB_TOMBSTONE}",
            now=now, payload={"case_id": case_id, "by": actor_key(actor), "why": why, "at": now.isoformat()},
        )  # fmt: skip
    if CaseState(case.state) in OPEN_STATES:  # nothing is left to work on: the case ends, its clock stops
        case_service.apply_transition(
            session, case_id, CaseState.CANCELLED, actor=case_service.SYSTEM, roles={Role.SYSTEM}, now=now,
            data={"by": CASE_ERASED},
        )  # fmt: skip
    note_on_sirt_issue(
        session,
        case,
        tombstone,
        body=(
            f"Case data was **erased on request** by {actor_key(actor)} at {now:%Y-%m-%d %H:%M} UTC: "
            f"{deleted} artefact(s) deleted and the case's free text scrubbed in Logdive; only tombstones "
            "remain, the case is ended, and Logdive's own messages in the Slack thread and on this issue are "
            "replaced by tombstones."
        ),
        now=now,
    )
    log.info("artefacts.case_erased", case_id=case_id, artefacts_deleted=deleted, events_scrubbed=scrubbed)
    return ErasureReport(case_id, deleted, scrubbed)


def _scrub_outbox(session: Session, case: Case) -> None:
    """The case's outbox items and the webhook deliveries about its SIRT issue, without their text.

    Items still owed keep their payload (ids only, by construction: each is rendered from the
    scrubbed events when delivered) and the kind of their last error (release_waiting reads it)."""
    assert case.id is not None
    for item in session.exec(select(OutboxItem).where(OutboxItem.case_id == case.id)).all():
        if item.status != "pending":
            item.payload = {"case_id": case.id, "erased": True}
        item.result = None
        if item.last_error:
            item.last_error = f"{item.last_error.partition(':')[0][:64]}: {ERASED}"
        session.add(item)
    for item in session.exec(select(OutboxItem).where(OutboxItem.kind == WEBHOOK)).all():
        if _about_case(item, case):
            # The delivery keeps its shape (an owed one still runs: a close still closes), not its text.
            try:
                hook = replace(HookEvent(**item.payload), username="", url=None, note_first_line="")
                item.payload = asdict(hook)
            except TypeError:  # not a delivery's shape: nothing of it is kept
                item.payload = {"erased": True}
            item.result = {"case_id": case.id, "erased": True} if item.result is not None else None
            item.last_error = None
            session.add(item)


def _about_case(item: OutboxItem, case: Case) -> bool:
    """A webhook delivery handled for the case, or about an issue with its SIRT issue's number (a
    same-numbered issue of another project is ignored by the handler anyway: its text goes too)."""
    handled = (item.result or {}).get("case_id") == case.id
    iid = (item.payload or {}).get("issue_iid")
    return handled or (case.sirt_issue_iid is not None and iid == case.sirt_issue_iid)


def _logdive_replies(session: Session, case_id: int) -> list[str]:
    """The ts of every reply Logdive posted in the case's thread (the case message redraws itself)."""
    delivered = session.exec(
        select(OutboxItem).where(
            col(OutboxItem.case_id) == case_id,
            col(OutboxItem.kind) == case_service.SLACK_THREAD_POST,
            col(OutboxItem.status) == "done",
        )
    ).all()
    return [
        str(item.result["ts"])
        for item in delivered
        if item.result and item.result.get("ts") and item.payload.get("message") != "case_opened"
    ]


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    """Keep what the request asked for in GitLab's own terms (window, event types); drop what people wrote."""
    kept: dict[str, Any] = {
        k: request[k] for k in ("window", "event_types", "log_sources", "personal_data") if k in request
    }
    return {**kept, "erased": True}


def _scrub_assessment(assessment: dict[str, Any]) -> dict[str, Any]:
    rules = [{"id": r.get("id"), "outcome": r.get("outcome")} for r in assessment.get("rules", [])]
    return {
        "decision": assessment.get("decision"),
        "route": assessment.get("route"),
        "rules": rules,
        "notes": [],
        "erased": True,
    }


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= 64)


def _checkpoint_sqlite(session: Session) -> None:
    """Fold the write-ahead log into the database file and truncate it: erased pages must not linger."""
    try:
        with session.get_bind().engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        if busy and busy[0]:
            log.warning("artefacts.erasure_checkpoint_busy")
    except Exception as exc:  # best effort: the erasure itself is committed
        log.warning("artefacts.erasure_checkpoint_failed", error=type(exc).__name__)
