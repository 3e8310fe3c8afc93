"""Reminders for third-party deletions still unconfirmed after the policy's business days.

A tick job: each due reminder becomes one `scheduled_work` slot (unique per case, kind and due time), so
it is sent once however many replicas tick; it is claimed before it is sent and a failed send is retried
on the next tick. The reminder goes to the person who sent the request, as a direct message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import col, select

from bot import cases
from bot.cadence_service import current_rules
from bot.db.engine import session_scope
from bot.db.models import Case, ScheduledWork
from bot.db.upsert import insert_if_absent
from bot.leak import service
from bot.logs import get_logger
from bot.settings import Settings
from bot.slack.blocks.replies import text_reply
from workflows import leak as L

log = get_logger(__name__)

KIND = "leak_third_party_reminder"
# Its own status while owed: the cadence sender claims every `pending` slot and knows nothing of leaks.
OWED, SENDING = "leak_owed", "leak_sending"


class ThirdPartyReminders:
    def __init__(self, database_url: str, web: WebClient, settings: Settings) -> None:
        self.database_url = database_url
        self.web = web
        self.settings = settings

    def __call__(self, now: datetime) -> dict[str, int]:
        planned = self.plan(now)
        return {"planned": planned, "sent": self.send(now)}

    def plan(self, now: datetime) -> int:
        """A slot for every reminder due by `now` (idempotent)."""
        rules = current_rules(self.settings)
        days = rules.policy.leak.third_party_reminder_business_days
        added = 0
        with session_scope(self.database_url) as session:
            open_leaks = session.exec(
                select(Case).where(Case.type == service.LEAK, Case.state == L.LeakState.IDENTIFIED.value)
            ).all()
            for case in open_leaks:
                assert case.id is not None
                aggregate = service.leak_case(session, case.id)
                for party, due in L.third_party_reminders(aggregate, rules.calendar(case), days):
                    if due > now:
                        continue
                    row: dict[str, Any] = {
                        "case_id": case.id,
                        "kind": KIND,
                        "due_at": due,
                        "status": OWED,
                        "attempts": 0,
                        "data": {"third_party": party.name, "owner": party.requested_by},
                    }
                    added += insert_if_absent(
                        session, ScheduledWork, row, conflict_on=["case_id", "kind", "due_at"]
                    )
        return added

    def send(self, now: datetime) -> int:
        sent = 0
        with session_scope(self.database_url) as session:
            due = session.exec(
                select(ScheduledWork).where(ScheduledWork.kind == KIND, ScheduledWork.status == OWED)
            ).all()
            slots = [(s.id, s.case_id, dict(s.data)) for s in due]
        for slot_id, case_id, data in slots:
            if not self._claim(slot_id, now):
                continue
            label = cases.case_label(case_id)
            text = (
                f"{label}: {data['third_party']} has not confirmed the deletion you requested. "
                "Chase it, then record the confirmation on the case message."
            )
            fallback, blocks = text_reply(text)
            try:
                self.web.chat_postMessage(channel=str(data["owner"]), text=fallback, blocks=blocks)
            except Exception as exc:  # retried on the next tick
                log.warning("leak.reminder_failed", case_id=case_id, error=type(exc).__name__)
                self._release(slot_id)
                continue
            self._done(slot_id, now)
            sent += 1
        return sent

    def _claim(self, slot_id: int | None, now: datetime) -> bool:
        with session_scope(self.database_url) as session:
            claimed = session.execute(
                update(ScheduledWork)
                .where(col(ScheduledWork.id) == slot_id, col(ScheduledWork.status) == OWED)
                .values(status=SENDING, attempts=ScheduledWork.attempts + 1)
            )
            return bool(claimed.rowcount)  # type: ignore[attr-defined]

    def _release(self, slot_id: int | None) -> None:
        with session_scope(self.database_url) as session:
            session.execute(update(ScheduledWork).where(col(ScheduledWork.id) == slot_id).values(status=OWED))

    def _done(self, slot_id: int | None, now: datetime) -> None:
        with session_scope(self.database_url) as session:
            session.execute(
                update(ScheduledWork)
                .where(col(ScheduledWork.id) == slot_id)
                .values(status="done", done_at=now)
            )
