"""A small world for timed-work tests: the case service, the Slack stand-in, senders, and a clock passed in.

Times: Monday 23 November 2026 onwards. Support-route cases run on the `support` calendar (UTC, Mon–Fri
09:00–17:00, US holidays: Thursday 26 November is Thanksgiving); security-route cases on SIRT's (every
weekday hour).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import col, select

from bot import cases
from bot.db.engine import session_scope
from bot.db.models import CaseEvent, OutboxItem, ScheduledWork
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.server import SlackCall
from bot.scheduler import TimedWorkReport, TimedWorkSender
from bot.settings import Settings
from bot.slack.delivery import SlackDelivery, remember_thread
from tests.services.conftest import make_assessment, make_request
from workflows.assessment import Route
from workflows.states import CaseState, Role

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHANNEL = "C0CASES01"
OWNER = "U0OWNER01"
SUPPORT_GROUP, SIRT_GROUP = "S0SUPPORT", "S0SIRT"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026: Monday the 23rd, Tuesday the 24th … Saturday the 28th, Monday the 30th."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def _slack_server() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()  # one per module: stopping one takes half a second
    yield standin
    standin.stop()


@pytest.fixture
def slack(_slack_server: SlackStandIn) -> SlackStandIn:
    """The stand-in with nothing recorded: each test sees only its own calls and threads."""
    with _slack_server._lock:
        _slack_server.calls.clear()
        _slack_server.messages.clear()
    return _slack_server


@dataclass
class World:
    database_url: str
    slack: SlackStandIn
    settings: Settings
    client: WebClient
    senders: dict[str, TimedWorkSender] = field(default_factory=dict)

    def sender(self, name: str = "replica-1", **options: Any) -> TimedWorkSender:
        if name not in self.senders:
            self.senders[name] = TimedWorkSender(
                self.database_url, self.client, settings=self.settings, worker_id=name, **options
            )
        return self.senders[name]

    def tick(self, now: datetime, name: str = "replica-1") -> TimedWorkReport:
        return self.sender(name).send_timed_work(now)

    # -- cases through the case service ------------------------------------------------------------
    def open_case(
        self,
        *,
        route: Route = Route.SUPPORT,
        now: datetime = MONDAY,
        channel: str | None = CHANNEL,
        **request: Any,
    ) -> int:
        """A recorded case whose case message is posted (by the real outbox handler) when it has a channel."""
        with session_scope(self.database_url) as session:
            case, _ = cases.record_intake(
                session,
                request=make_request(**request),
                assessment=make_assessment(route=route),
                actor="U0CSM0001",
                now=now,
                idempotency_key=f"test:{uuid.uuid4()}",
                channel=channel,
            )
            assert case.id is not None
            case_id = case.id
        if channel:
            self._post_case_message(case_id)
        return case_id

    def _post_case_message(self, case_id: int) -> None:
        with session_scope(self.database_url) as session:
            item = session.exec(
                select(OutboxItem).where(OutboxItem.idempotency_key == f"case:{case_id}:slack.case_opened")
            ).one()
        result = SlackDelivery(self.client, self.database_url).thread_post(item)
        with session_scope(self.database_url) as session:
            remember_thread(session, item, result)

    def claim(self, case_id: int, now: datetime, owner: str = OWNER) -> None:
        with session_scope(self.database_url) as session:
            route = cases.get_case(session, case_id).route
            role = Role.SUPPORT if route == Route.SUPPORT.value else Role.SIRT
            cases.claim(session, case_id, actor=owner, roles={role}, now=now)

    def move(self, case_id: int, target: CaseState, now: datetime) -> None:
        with session_scope(self.database_url) as session:
            cases.apply_transition(
                session, case_id, target, actor=OWNER, roles={Role.SUPPORT, Role.SIRT, Role.SYSTEM}, now=now
            )

    def update(self, case_id: int, now: datetime) -> None:
        with session_scope(self.database_url) as session:
            cases.log_customer_update(
                session, case_id, actor=OWNER, roles={Role.SUPPORT}, now=now, summary="told them"
            )

    def case(self, case_id: int) -> Any:
        with session_scope(self.database_url) as session:
            return cases.get_case(session, case_id)

    # -- what happened ------------------------------------------------------------------------------
    def thread_posts(self, case_id: int | None = None) -> list[SlackCall]:
        """Timed-work messages posted in case threads (case messages and other posts left out)."""
        label = f"LD-{case_id}:" if case_id is not None else "LD-"
        return [
            c
            for c in self.slack.calls_to("chat.postMessage", ok=True)
            if c.args.get("thread_ts") and str(c.args.get("text", "")).startswith(label)
        ]

    def events(self, case_id: int, *kinds: str) -> list[CaseEvent]:
        with session_scope(self.database_url) as session:
            query = select(CaseEvent).where(CaseEvent.case_id == case_id)
            if kinds:
                query = query.where(col(CaseEvent.kind).in_(kinds))
            return list(session.exec(query.order_by(col(CaseEvent.id))).all())

    def work(self, case_id: int) -> list[ScheduledWork]:
        with session_scope(self.database_url) as session:
            query = select(ScheduledWork).where(ScheduledWork.case_id == case_id)
            return list(session.exec(query.order_by(col(ScheduledWork.due_at), col(ScheduledWork.id))).all())


def message_text(call: SlackCall) -> str:
    """Everything a reader sees of a posted message: its blocks' texts."""
    texts = []
    for block in call.args.get("blocks") or []:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element.get("text", "") for element in block.get("elements") or []]
    return "\n".join(texts)


@pytest.fixture
def world(database_url: str, slack: SlackStandIn) -> World:
    settings = Settings(
        database_url=database_url,
        slack_bot_token=slack.bot_token,
        slack_api_url=slack.base_url,
        support_group=SUPPORT_GROUP,
        sirt_group=SIRT_GROUP,
    )
    client = WebClient(token=slack.bot_token, base_url=slack.base_url)
    return World(database_url=database_url, slack=slack, settings=settings, client=client)


HOUR = timedelta(hours=1)
