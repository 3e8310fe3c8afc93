"""Cases put in a given state through the case service, their thread posted by the bot's own outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bot import cases
from bot.db.engine import session_scope
from bot.db.models import Case
from tests.slack.harness import CASE_CHANNEL, CSM, SUPPORT, Bot, FactsDirectory
from workflows.eligibility import evaluate
from workflows.policy import Policy
from workflows.request import LogDiveRequest
from workflows.states import Role


def request(description: str = "Who made this token?", ticket: str = "ZD-7") -> LogDiveRequest:
    now = datetime.now(UTC)
    return LogDiveRequest.model_validate(
        {
            "customer_namespace": "acme-corp",
            "requester_username": "alice-acme",
            "window": {"start": now - timedelta(days=3), "end": now - timedelta(days=1)},
            "resources": {"projects": ["acme-corp/api"]},
            "event_types": ["member_updated"],
            "paid_plan_confirmed": True,
            "description": description,
            "ticket_reference": ticket,
        }
    )


def record_case(database_url: str, policy: Policy, *, plan: str = "ultimate", **request_fields: str) -> int:
    """A case recorded by the case service as an intake would record it; its thread comes from the outbox."""
    req = request(**request_fields)
    now = datetime.now(UTC)
    assessment = evaluate(req, FactsDirectory(plan=plan).facts_for(req), policy, now)
    with session_scope(database_url) as session:
        case, created = cases.record_intake(
            session,
            request=req,
            assessment=assessment,
            actor=CSM,
            now=now,
            idempotency_key=f"test:{uuid.uuid4()}",
            channel=CASE_CHANNEL,
        )
        assert created and case.id is not None
        return case.id


def make_case(bot: Bot, kind: str = "eligible", **request_fields: str) -> Case:
    """kind: eligible | exception (exception required) | pending (exception requested) | triaged."""
    plan = "free" if kind in ("exception", "pending") else "ultimate"
    case_id = record_case(bot.database_url, bot.runtime.policy, plan=plan, **request_fields)
    now = datetime.now(UTC)
    with session_scope(bot.database_url) as session:
        if kind == "pending":
            cases.request_exception(
                session, case_id, actor=CSM, roles={Role.CSM}, now=now, reason="Board asks."
            )
        if kind == "triaged":
            cases.claim(session, case_id, actor=SUPPORT, roles={Role.SUPPORT}, now=now)
    bot.runtime.kick()
    bot.wait(lambda: bot.case(case_id).slack_thread_ts)
    if kind in ("pending", "triaged"):  # the announcement redraws the case message
        bot.wait(lambda: not bot.runtime.work.pending and _delivered(bot, case_id))
    return bot.case(case_id)


def _delivered(bot: Bot, case_id: int) -> bool:
    from bot import outbox

    with session_scope(bot.database_url) as session:
        return not [i for i in outbox.pending_for(session, case_id) if i.kind.startswith("slack.")]
