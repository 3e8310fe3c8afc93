"""The timed-work tick: update reminders, escalations and log-retention warnings, each sent once per slot.

Each tick (the APScheduler job of every `logdive serve`/`socket` process, or `logdive sweep` from cron)
claims due scheduled_work rows by the (status, due_at) index with a lease (bot.db.claims: FOR UPDATE
SKIP LOCKED on PostgreSQL, one UPDATE … RETURNING on SQLite). In the claiming transaction it checks
each row is still owed at this moment — an update logged since moves the due time, and the old slot
is then cancelled, never sent — and builds its message. It posts the message in the case thread
outside any transaction, then records it (done, with its case event: `update_reminder`, `sla_breach`,
`retention_warning`) only while the lease is still its own. A replica killed between claim and send
holds its rows until the lease runs out; another then sends them. Replicas never send a slot twice
unless one dies after Slack accepted a message and before it recorded that (Slack has no idempotency
key for chat.postMessage), which re-sends at most that one message.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter as PromCounter
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from sqlalchemy import and_, bindparam, insert, update
from sqlmodel import Session, col, select

from bot import cadence_service, cases, outbox
from bot.cadence_service import CANCELLED, DONE, PARKED, PENDING, CadenceRules, current_rules, slot_of
from bot.db import claims
from bot.db.engine import get_engine, session_scope
from bot.db.models import Case, CaseEvent, ScheduledWork
from bot.logs import get_logger
from bot.settings import Settings
from bot.slack.blocks.timed_work import escalation_message, reminder_message, retention_message, user_group
from bot.slack.delivery import call_slack
from workflows.assessment import Route
from workflows.cadence import DueWork, WorkKind

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = get_logger(__name__)

# The case event each kind of timed work records once it is sent.
EVENT_KINDS = {
    WorkKind.UPDATE_REMINDER: "update_reminder",
    WorkKind.ESCALATION: "sla_breach",
    WorkKind.RETENTION_WARNING: "retention_warning",
}
_WORK: Any = ScheduledWork.__table__  # type: ignore[attr-defined]
_EVENTS: Any = CaseEvent.__table__  # type: ignore[attr-defined]
# Built once: recording runs once per message sent. A row cancelled meanwhile (an update crossed the
# reminder) but sent all the same is recorded as sent.
_MARK_DONE = (
    update(_WORK)
    .where(
        _WORK.c.id == bindparam("work_id"),
        _WORK.c.leased_by == bindparam("token"),
        _WORK.c.status.in_([PENDING, CANCELLED]),
    )
    .values(
        status=DONE,
        done_at=bindparam("at", type_=_WORK.c.done_at.type),
        lease_until=None,
        attempts=_WORK.c.attempts + 1,
        last_error=None,
        data=bindparam("record", type_=_WORK.c.data.type),
    )
)
_ADD_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
TIMED_WORK = PromCounter("logdive_timed_work_total", "Timed work handled by outcome", ["kind", "outcome"])


@dataclass
class TimedWorkReport:
    """What one tick did, by scheduled_work id."""

    sent: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)  # no longer owed: cancelled unsent
    retrying: list[int] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # lease ran out mid-send; the new holder records
    sent_by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def claimed(self) -> int:
        return sum(len(x) for x in (self.sent, self.stale, self.retrying, self.parked, self.lost))

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent_by_kind.items())) or "nothing"
        return (
            f"timed work: {len(self.sent)} sent ({kinds}), {len(self.stale)} no longer owed, "
            f"{len(self.retrying)} retrying, {len(self.parked)} parked"
        )


@dataclass(frozen=True)
class _Owed:
    """A claimed row, checked and ready: its message, and what to record once it is sent."""

    row: ScheduledWork
    case_id: int
    channel: str | None
    thread_ts: str | None
    text: str
    blocks: list[Block]
    event: dict[str, Any]
    note: str | None = None  # the GitLab note a retention warning owes


class TimedWorkSender:
    def __init__(
        self,
        database_url: str,
        client: WebClient,
        *,
        settings: Settings,
        worker_id: str,
        rules: CadenceRules | None = None,
        lease_seconds: float = 120.0,
        batch_size: int = 50,
        tick_budget_seconds: float = 60.0,
        retry: outbox.RetryPolicy = outbox.DEFAULT_RETRY,
        stop: threading.Event | None = None,
    ) -> None:
        self.database_url = database_url
        self.stop = stop or threading.Event()  # set: no further message is started
        self.client = client
        self.settings = settings
        self.worker_id = worker_id
        self.rules = rules or current_rules(settings)
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.tick_budget_seconds = tick_budget_seconds
        self.retry = retry
        self._claims = itertools.count(1)

    # -- the tick job --------------------------------------------------------------------------------
    def send_timed_work(self, now: datetime) -> TimedWorkReport:
        """Everything due at `now`, a batch at a time, for at most `tick_budget_seconds`: a backlog is
        drained over several ticks rather than by one that never ends. Small batches keep each lease
        (`lease_seconds`) far longer than sending a batch takes, even when Slack slows down. Once `stop`
        is set, the message being sent is recorded and the rest are released for the next process."""
        report = TimedWorkReport()
        started = time.monotonic()
        while not self.stop.is_set() and self.send_batch(now, report) == self.batch_size:
            if time.monotonic() - started > self.tick_budget_seconds:
                break
        return report

    def send_batch(self, now: datetime, report: TimedWorkReport) -> int:
        """Claim up to `batch_size` due rows, send each, record each. Returns how many were claimed."""
        owed, claimed = self.claim(now, report)
        if owed:
            # One connection held for the batch; each message's record is its own committed transaction.
            with get_engine(self.database_url).connect() as connection, Session(bind=connection) as session:
                for done, item in enumerate(owed):
                    if self.stop.is_set():
                        claims.release(session, ScheduledWork, [i.row for i in owed[done:]])
                        session.commit()
                        break
                    self._send(session, item, now, report)
                    session.commit()
        return claimed

    def claim(self, now: datetime, report: TimedWorkReport) -> tuple[list[_Owed], int]:
        """Lease due rows (one transaction) and check each is still owed; stale ones are cancelled."""
        token = f"{self.worker_id}#{next(self._claims)}"  # a lease per claim: a lost one is told apart
        with session_scope(self.database_url) as session:
            rows = claims.claim_due(
                session,
                ScheduledWork,
                due=and_(col(ScheduledWork.status) == PENDING, col(ScheduledWork.due_at) <= now),
                order_by=(col(ScheduledWork.due_at), col(ScheduledWork.id)),
                now=now,
                limit=self.batch_size,
                worker_id=token,
                lease_seconds=self.lease_seconds,
            )
            found = session.exec(select(Case).where(col(Case.id).in_({r.case_id for r in rows}))).all()
            by_id = {case.id: case for case in found}
            owed = [
                item
                for row in rows
                if (item := self._check(session, row, by_id.get(row.case_id), now, report)) is not None
            ]
        return owed, len(rows)

    # -- checking and building -------------------------------------------------------------------------
    def _check(
        self, session: Session, row: ScheduledWork, case: Case | None, now: datetime, report: TimedWorkReport
    ) -> _Owed | None:
        assert row.id is not None
        try:
            work = None
            if case is not None:
                owed = cadence_service.due_work(case, now, self.rules)
                work = next((w for w in owed if w.slot == slot_of(row)), None)
            if case is not None and work is not None:
                return self._build(row, case, work)
        except Exception as exc:  # a case this code cannot read must not hold back the rest of the batch
            self._park(session, row, f"{type(exc).__name__}: {exc}", report)
            return None
        # No longer owed (an update moved the due time, the rules changed): cancelled, never sent.
        session.execute(
            update(ScheduledWork)
            .where(claims.still_leased(ScheduledWork, row))
            .values(status=CANCELLED, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if case is not None:
            cadence_service.sync_schedule(session, case, now, self.rules)  # what it owes instead
        report.stale.append(row.id)
        TIMED_WORK.labels(row.kind, "stale").inc()
        log.info("timed_work.stale", work_id=row.id, case_id=row.case_id, kind=row.kind)
        return None

    def _park(self, session: Session, row: ScheduledWork, error: str, report: TimedWorkReport) -> None:
        assert row.id is not None
        session.execute(
            update(ScheduledWork)
            .where(claims.still_leased(ScheduledWork, row))
            .values(status=PARKED, lease_until=None, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
        report.parked.append(row.id)
        TIMED_WORK.labels(row.kind, "parked").inc()
        log.error(
            "timed_work.unreadable", work_id=row.id, case_id=row.case_id, kind=row.kind, error=error[:300]
        )

    def _build(self, row: ScheduledWork, case: Case, work: DueWork) -> _Owed:
        assert case.id is not None
        label = cases.case_label(case.id)
        team = self._team_mention(case.route)
        event: dict[str, Any] = {"work_id": row.id, "due_at": row.due_at.isoformat()}
        note = None
        if work.slot.kind is WorkKind.RETENTION_WARNING:
            warning = work.retention
            snapshot = cadence_service.snapshot_of(case)
            assert warning is not None and snapshot.window_start is not None
            text, blocks = retention_message(
                label,
                owner=case.owner,
                source=warning.source,
                window_start=snapshot.window_start,
                ages_out_at=warning.ages_out_at,
                aged_out=warning.aged_out,
            )
            event |= {"source": warning.source, "ages_out_at": warning.ages_out_at.isoformat()}
            event |= {"aged_out": warning.aged_out}
            note = retention_note(
                label,
                source=warning.source,
                window_start=snapshot.window_start,
                ages_out_at=warning.ages_out_at,
                aged_out=warning.aged_out,
            )
        else:
            due = work.update_due_at
            assert due is not None
            event["update_due_at"] = due.isoformat()
            if work.slot.kind is WorkKind.ESCALATION:
                text, blocks = escalation_message(
                    label,
                    owner=case.owner,
                    team_mention=team,
                    due_at=due,
                    grace_hours=self.rules.policy.cadence.escalation_grace_business_hours,
                )
                event["escalated_to"] = self._group_id(case.route)
                grace = self.rules.policy.cadence.escalation_grace_business_hours
                note = cadence_note(label, due_at=due, route=case.route, grace_hours=grace)
            else:
                text, blocks = reminder_message(label, owner=case.owner, team_mention=team, due_at=due)
                event["reminded"] = case.owner or self._group_id(case.route)
                note = cadence_note(label, due_at=due, route=case.route)
        return _Owed(
            row=row,
            case_id=case.id,
            channel=case.slack_channel,
            thread_ts=case.slack_thread_ts,
            text=text,
            blocks=blocks,
            event=event,
            note=note,
        )

    def _group_id(self, route: str | None) -> str | None:
        return self.settings.support_group if route == Route.SUPPORT.value else self.settings.sirt_group

    def _team_mention(self, route: str | None) -> str:
        name = "the Support team" if route == Route.SUPPORT.value else "SIRT"
        return user_group(self._group_id(route), name)

    # -- sending and recording -------------------------------------------------------------------------
    def _send(self, session: Session, item: _Owed, now: datetime, report: TimedWorkReport) -> None:
        row = item.row
        assert row.id is not None
        slack: dict[str, Any] = {}
        try:
            if item.channel is None:
                slack = {"slack": "no case thread"}  # a case opened outside Slack: recorded only
            elif item.thread_ts is None:
                raise RuntimeError("the case message is not posted yet")
            else:
                response = call_slack(
                    self.client,
                    "chat_postMessage",
                    channel=item.channel,
                    thread_ts=item.thread_ts,
                    text=item.text,
                    blocks=item.blocks,
                )
                slack = {"slack_ts": response.get("ts")}
        except Exception as exc:  # recorded and retried (or parked); never raised into the tick
            self._failed(session, item, exc, now, report)
            return
        recorded = self._record(session, item, {**item.event, **slack}, now)
        (report.sent if recorded else report.lost).append(row.id)
        if recorded:
            report.sent_by_kind[row.kind] += 1
        TIMED_WORK.labels(row.kind, "sent" if recorded else "lost").inc()
        log.info("timed_work.sent", work_id=row.id, case_id=item.case_id, kind=row.kind, recorded=recorded)

    def _record(self, session: Session, item: _Owed, data: dict[str, Any], now: datetime) -> bool:
        """Done, with its case event (and the GitLab note it owes), if the lease is still ours.

        One small transaction per message sent, so a crash re-sends at most the message in flight.
        """
        row = item.row
        done = session.execute(
            _MARK_DONE, {"work_id": row.id, "token": row.leased_by, "at": now, "record": data}
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        kind = EVENT_KINDS[WorkKind(row.kind)]
        event = {"case_id": item.case_id, "at": now, "actor": cases.SYSTEM, "kind": kind, "data": data}
        event_id = session.execute(_ADD_EVENT, event).scalar_one()
        if item.note is not None:
            case = cases.get_case(session, item.case_id)
            if cases.sirt_issue_exists_or_owed(session, case):
                outbox.enqueue(
                    session,
                    case_id=item.case_id,
                    kind=cases.GITLAB_NOTE,
                    payload={"case_id": item.case_id, "event_id": event_id, "body": item.note},
                    key=f"event:{event_id}:{cases.GITLAB_NOTE}",
                    now=now,
                )
        return True

    def _failed(
        self, session: Session, item: _Owed, exc: Exception, now: datetime, report: TimedWorkReport
    ) -> None:
        row = item.row
        assert row.id is not None
        attempts = row.attempts + 1
        parked = isinstance(exc, outbox.PermanentError) or attempts >= self.retry.max_attempts
        delay = self.retry.delay(attempts)
        if isinstance(exc, outbox.RetryAfter):
            delay = max(delay, timedelta(seconds=exc.seconds))
        error = f"{type(exc).__name__}: {exc}"[:2000]
        # Still leased, until the back-off is over: no replica claims it before then.
        changed = session.execute(
            update(ScheduledWork)
            .where(claims.still_leased(ScheduledWork, row, col(ScheduledWork.status) == PENDING))
            .values(
                status=PARKED if parked else PENDING,
                attempts=attempts,
                lease_until=None if parked else now + delay,
                last_error=error,
            )
            .execution_options(synchronize_session=False)
        )
        lost = changed.rowcount != 1  # type: ignore[attr-defined]
        outcome = "lost" if lost else "parked" if parked else "retrying"
        getattr(report, outcome).append(row.id)
        TIMED_WORK.labels(row.kind, outcome).inc()
        log.warning(
            "timed_work.failed",
            work_id=row.id,
            case_id=item.case_id,
            kind=row.kind,
            outcome=outcome,
            error=error,
        )


def retention_note(
    label: str, *, source: str, window_start: datetime, ages_out_at: datetime, aged_out: bool
) -> str:
    """The retention warning as a SIRT-issue note (GitLab Markdown): ids, the policy's source name and
    dates only, nothing a person typed."""
    day, start = f"{ages_out_at.astimezone(UTC):%Y-%m-%d}", f"{window_start.astimezone(UTC):%Y-%m-%d %H:%M}"
    verb, tail = (
        ("aged out", "those entries are gone") if aged_out else ("ages out", "finish the log-dive first")
    )
    return (
        f"**Log retention**: the oldest part of {label}'s window (from {start} UTC) "
        f"{verb} of the `{source}` logs on **{day}**: {tail}.\n"
    )


def cadence_note(label: str, *, due_at: datetime, route: str | None, grace_hours: float | None = None) -> str:
    """A reminder (or, given `grace_hours`, an escalation: the SLA breach) as a SIRT-issue note: SIRT
    triages from GitLab. Ids, times and fixed words only, and no mention: the thread already pinged."""
    due = f"{due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    team = "the Support team" if route == Route.SUPPORT.value else "SIRT"
    if grace_hours is None:
        return f"**Customer update due**: {label}'s customer update was due {due}; reminded in the thread.\n"
    return (
        f"**SLA breach**: {label}'s customer update, due {due}, is still missing after {grace_hours:g} "
        f"business hours; escalated to {team} in the case thread.\n"
    )


def register(runtime: Runtime) -> TimedWorkSender:
    """Wire the sender into a Runtime: its tick job runs first, so a GitLab note it owes goes out in the
    same tick's outbox pass."""
    sender = TimedWorkSender(
        runtime.database_url,
        runtime.web,
        settings=runtime.settings,
        worker_id=runtime.worker_id,
        lease_seconds=runtime.lease_seconds,
        stop=runtime.stopping,
    )
    runtime.tick_jobs.insert(0, sender.send_timed_work)
    return sender
