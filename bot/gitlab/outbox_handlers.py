"""Outbox handlers for what cases owe GitLab: the SIRT issue, its notes and labels, the Audit Events gap
issue, and GitLab's webhook deliveries (processed after they were acknowledged).

Each handler runs in a worker thread, outside any transaction, and is safe to repeat: the issue and
the gap issue are looked for by their markers before they are created, a note re-delivered after a
failed or lost attempt is looked for before it is added, and labels and state are set (never toggled)
from the case as it is at delivery time. `register(runtime)` wires the handlers into a Runtime.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from threading import Lock
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col

from bot import cases, outbox
from bot.catalog import load_catalog
from bot.clock import Clock, utc_now
from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent, OutboxItem
from bot.gitlab import issue_content
from bot.gitlab.client import make_gitlab
from bot.gitlab.issues import IssueWriter, cap_rate_limit_waits
from bot.leak import improvement as leak_improvement
from bot.leak import issue as leak_issue
from bot.leak import service as leak_service
from bot.logs import get_logger
from bot.outbox_watch import OutboxWatch
from bot.settings import Settings
from bot.slack.links import ThreadLinks
from bot.slack.people import SlackNames
from workflows.audit_gap import (
    GapReport,
    IdentityLeak,
    NothingPublic,
    check_clean,
    customer_identity,
    gap_key,
    public_gap,
)
from workflows.gitlab_text import marker
from workflows.sirt_issue import AUDIT_GAP_LABELS, NOTE_EVENTS, note_is_internal
from workflows.states import TERMINAL_STATES, CaseState

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = get_logger(__name__)

CREATE_ISSUE = cases.GITLAB_CREATE_ISSUE
NOTE = cases.GITLAB_NOTE
AUDIT_GAP = "gitlab.audit_gap"
WEBHOOK = "gitlab.webhook"
SLACK_REFRESH = "slack.case_refresh"
THREAD_NOTE = "thread_link"  # a gitlab.note payload `message`: link the Slack thread posted late


class WaitingForIssue(RuntimeError):
    """A note or label change for an issue not created yet: retried, and released once it exists."""


class GitLabDelivery:
    def __init__(
        self,
        settings: Settings,
        database_url: str,
        *,
        thread_links: ThreadLinks | None = None,
        clock: Clock = utc_now,
        lease_seconds: float = 120.0,
        writer: IssueWriter | None = None,
        names: issue_content.Names | None = None,
    ) -> None:
        self.names = names  # Slack display names for the people notes name
        self.settings = settings
        self.database_url = database_url
        self.thread_links = thread_links or ThreadLinks(None, settings.slack_workspace_url)
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.labels = settings.issue_labels()
        self._writer = writer
        self._writer_lock = Lock()

    @property
    def writer(self) -> IssueWriter:
        """Built on first use: a process that never writes to GitLab never needs its settings."""
        with self._writer_lock:
            if self._writer is None:
                client = make_gitlab(self.settings)
                memo = cap_rate_limit_waits(
                    client, self.settings.gitlab_rate_limit_wait_seconds, self.settings.outbox_concurrency
                )
                self._writer = IssueWriter(client, rate_limits=memo)
            return self._writer

    def handlers(self) -> dict[str, outbox.Handler]:
        from bot.gitlab.webhook import process_delivery  # the webhook module imports this one

        return {
            CREATE_ISSUE: self.create_issue,
            NOTE: self.note,
            AUDIT_GAP: self.audit_gap,
            leak_improvement.IMPROVEMENT: lambda item: leak_improvement.file(self, item),
            WEBHOOK: lambda item: process_delivery(self, item),
        }

    def on_done(self) -> dict[str, outbox.OnDone]:
        return {
            CREATE_ISSUE: self.record_issue,
            AUDIT_GAP: self.record_gap_issue,
            leak_improvement.IMPROVEMENT: lambda session, item, result: leak_improvement.record(
                self, session, item, result
            ),
        }

    # --- the SIRT issue ------------------------------------------------------------------------

    def _skipped(self, setting: str) -> dict[str, Any]:
        """GitLab issues are off in a process without the project setting (`serve` and `socket` refuse
        to start without it; a `sweep` for reminders, and tests of other parts, run so): done, logged."""
        log.warning("gitlab.not_configured", setting=setting)
        return {"skipped": f"{setting} is not set"}

    def create_issue(self, item: OutboxItem) -> dict[str, Any]:
        """Find the case's issue by its marker, else create it. The body is rendered after the search,
        so a Slack thread posted meanwhile is linked from the start (no extra note needed)."""
        project = self.settings.sirt_project
        if not project:
            return self._skipped("LOGDIVE_SIRT_PROJECT")
        case_id = int(item.payload["case_id"])
        with session_scope(self.database_url) as session:
            case = cases.get_case(session, case_id)
            if case.sirt_issue_iid is not None:  # recorded by an earlier delivery
                return {"iid": case.sirt_issue_iid, "url": case.sirt_issue_url, "created": False}
        found = self.writer.find_by_marker(
            project,
            issue_content.case_marker(case_id),
            search=issue_content.case_search(case_id),
            confidential=True,
        )
        if found is not None:
            return {"iid": found.iid, "url": found.web_url, "created": False, "thread_linked": False}
        with session_scope(self.database_url) as session:
            case = cases.get_case(session, case_id)
            thread_url = self.thread_links.url(case.slack_channel, case.slack_thread_ts)
            if leak_service.is_leak(case):  # a data-leak case has its own template and labels
                content = leak_issue.sirt_issue(
                    session, case, sirt_handle=self.settings.sirt_group_handle, thread_url=thread_url
                )
                labels = leak_issue.labels(self.labels, case.state)[0]
            else:
                content = issue_content.sirt_issue(
                    session,
                    case,
                    sirt_handle=self.settings.sirt_group_handle,
                    thread_url=thread_url,
                    names=self.names,
                )
                labels = list(self.labels.for_case(case.state, case.route))
        issue = self.writer.create(
            project, title=content.title, description=content.body, labels=labels, confidential=True
        )
        return {"iid": issue.iid, "url": issue.web_url, "created": True, "thread_linked": bool(thread_url)}

    # --- notes and labels ----------------------------------------------------------------------

    def _redelivery(self, item: OutboxItem) -> bool:
        """Could an earlier attempt have written already? Only after a failed attempt, or once a lease
        could have run out (a worker that died mid-delivery records nothing)."""
        return item.attempts > 0 or self.clock() - item.created_at >= timedelta(seconds=self.lease_seconds)

    def note(self, item: OutboxItem) -> dict[str, Any]:
        """A case event as a note; after a change of state, the issue's labels and open/closed state
        are brought in line with the case as it is now."""
        project = self.settings.sirt_project
        if not project:
            return self._skipped("LOGDIVE_SIRT_PROJECT")
        with session_scope(self.database_url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            if case.sirt_issue_iid is None:
                raise WaitingForIssue(f"{cases.case_label(case.id or 0)} has no SIRT issue yet")
            iid = case.sirt_issue_iid
            body, internal, key, state_changed = self._note_body(session, case, item)
            if leak_service.is_leak(case):
                add, remove = leak_issue.labels(self.labels, case.state)
                close = leak_issue.is_closed(case.state)
            else:
                add, remove = self.labels.changes(case.state, case.route)
                close = CaseState(case.state) in TERMINAL_STATES
        result: dict[str, Any] = {"iid": iid}
        if body is not None:
            note, created = self.writer.note(
                project, iid, body=body, internal=internal, marker=key, look_first=self._redelivery(item)
            )
            result |= {"note_id": note.id, "created": created}
        if state_changed:
            issue = self.writer.update(
                project, iid, add_labels=add, remove_labels=remove, state_event="close" if close else None
            )
            result |= {"labels": list(issue.labels), "state": issue.state}
        return result

    def _note_body(
        self, session: Session, case: Case, item: OutboxItem
    ) -> tuple[str | None, bool, str, bool]:
        """(body, or None when the event makes no note; internal; marker; did the case change state)."""
        assert case.id is not None
        payload = item.payload
        if payload.get("message") == THREAD_NOTE:
            url = self.thread_links.url(case.slack_channel, case.slack_thread_ts)
            if url is None:
                raise RuntimeError("the Slack thread is not posted yet")
            return issue_content.thread_note(case, url), False, marker("thread", case.id), False
        event = session.get(CaseEvent, payload.get("event_id")) if payload.get("event_id") else None
        if event is None or event.id is None:
            raise outbox.PermanentError(
                f"event {payload.get('event_id')} of {cases.case_label(case.id)} is gone"
            )
        key = issue_content.event_marker(event.id)
        changed = event.to_state is not None
        if "body" in payload:  # built by another adapter from ids and times only (artefact custody)
            return f"{key}\n{payload['body']}", note_is_internal(event.kind), key, changed
        if event.kind not in NOTE_EVENTS:
            return None, False, key, changed
        note = issue_content.event_note(case, event, names=self.names)
        return note, note_is_internal(event.kind), key, changed

    # --- the Audit Events gap issue ------------------------------------------------------------

    def audit_gap(self, item: OutboxItem) -> dict[str, Any]:
        """File the public gap issue, or note an open one on the same events. Its text is built from
        catalog names and fixed wording only (workflows.audit_gap.public_gap), then checked."""
        project = self.settings.audit_gap_project
        if not project:
            return self._skipped("LOGDIVE_AUDIT_GAP_PROJECT")
        if self.settings.gap_marker_secret is None:
            raise outbox.PermanentError(
                "LOGDIVE_GAP_MARKER_SECRET is not set: no Audit Events gap issue is filed without it"
            )
        secret = self.settings.gap_marker_secret.get_secret_value().encode()
        with session_scope(self.database_url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            event = session.get(CaseEvent, item.payload.get("event_id"))
            if event is None or case.id is None or "report" not in (event.data or {}):
                raise outbox.PermanentError("the gap report's event is gone")
            identity = customer_identity(case.request or {}, ticket_reference=case.ticket_reference)
            report = GapReport.model_validate(event.data["report"])
            case_id = case.id
        try:
            gap = public_gap(report, load_catalog().names)
        except NothingPublic as nothing:
            raise outbox.PermanentError(str(nothing)) from None
        key, digest = gap_key(gap, secret), issue_content.report_digest(case_id, secret)
        issue_text = issue_content.gap_issue(gap, key=key, digest=digest)
        note_text = issue_content.gap_note(gap, digest=digest)
        try:  # the last line of defence: a catalog name or the wording that happens to name the customer
            check_clean(f"{issue_text.title}\n{issue_text.body}\n{note_text}", identity)
        except IdentityLeak as leak:
            raise outbox.PermanentError(str(leak)) from None
        gap_marker, report_marker = str(marker("audit-gap", key)), str(marker("gap-report", digest))
        writer = self.writer
        open_issue = writer.find_by_marker(
            project,
            gap_marker,
            search=f"logdive-audit-gap:{key}",
            state="opened",
            labels=list(AUDIT_GAP_LABELS),
        )
        result: dict[str, Any] = {"created": False, "withheld": gap.withheld}
        if open_issue is not None:
            if report_marker not in self._description(project, open_issue.iid):
                writer.note(project, open_issue.iid, body=note_text, internal=False, marker=report_marker)
            return result | {"iid": open_issue.iid, "url": open_issue.web_url}
        ours = writer.find_by_marker(project, report_marker, search=f"logdive-gap-report:{digest}", line=1)
        if ours is not None:  # filed by an earlier attempt whose answer was lost, closed since
            return result | {"iid": ours.iid, "url": ours.web_url}
        issue = writer.create(
            project,
            title=issue_text.title,
            description=issue_text.body,
            labels=list(AUDIT_GAP_LABELS),
            confidential=False,
        )
        return result | {"iid": issue.iid, "url": issue.web_url, "created": True}

    # --- recorded with the delivery, in its transaction ----------------------------------------

    def record_issue(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        """The SIRT issue is the case's: stored, its waiting notes released, the case message redrawn."""
        if "skipped" in result:
            return
        case_id = int(item.payload["case_id"])
        now = self.clock()
        case = cases.record_sirt_issue(session, case_id, iid=int(result["iid"]), url=str(result["url"]))
        release_waiting(session, case_id, now=now)
        if case.slack_channel:
            outbox.enqueue(
                session,
                case_id=case_id,
                kind=SLACK_REFRESH,
                payload={"case_id": case_id},
                key=f"case:{case_id}:{SLACK_REFRESH}:sirt_issue",
                now=now,
            )
            if not result.get("thread_linked", True):
                outbox.enqueue(
                    session,
                    case_id=case_id,
                    kind=NOTE,
                    payload={"case_id": case_id, "message": THREAD_NOTE},
                    key=f"case:{case_id}:{NOTE}:{THREAD_NOTE}",
                    now=now,
                )

    def record_gap_issue(self, session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
        if "skipped" in result:
            return
        cases.record_audit_gap_filed(
            session,
            int(item.payload["case_id"]),
            url=str(result["url"]),
            created=bool(result.get("created")),
            now=self.clock(),
        )

    def _description(self, project: str, iid: int) -> str:
        with self.writer._answers(f"reading {project}#{iid}"):
            issue = self.writer._gl.projects.get(project, lazy=True).issues.get(iid)
        return str(issue.description or "")


def release_waiting(session: Session, case_id: int, *, now: datetime) -> int:
    """Notes that failed (or were parked) only because the issue did not exist yet go out now."""
    released = session.execute(
        update(OutboxItem)
        .where(
            col(OutboxItem.case_id) == case_id,
            col(OutboxItem.kind) == NOTE,
            col(OutboxItem.status).in_([outbox.PENDING, outbox.PARKED]),
            col(OutboxItem.last_error).like(f"{WaitingForIssue.__name__}:%"),
        )
        .values(status=outbox.PENDING, attempts=0, next_attempt_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(released.rowcount)  # type: ignore[attr-defined]


def register(runtime: Runtime, *, writer: IssueWriter | None = None) -> GitLabDelivery:
    """Add the GitLab handlers (and their on-done steps) to a Runtime."""
    delivery = GitLabDelivery(
        runtime.settings,
        runtime.database_url,
        thread_links=ThreadLinks(runtime.web, runtime.settings.slack_workspace_url),
        clock=runtime.clock,
        lease_seconds=runtime.lease_seconds,
        writer=writer,
        names=SlackNames(runtime.web, runtime.settings.role_cache_seconds),
    )
    runtime.handlers.update(delivery.handlers())
    runtime.on_done.update(delivery.on_done())
    runtime.tick_jobs.append(OutboxWatch(runtime.database_url))
    return delivery
