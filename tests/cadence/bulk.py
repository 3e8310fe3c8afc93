"""Many open cases at once, by batch inserts, each with the scheduled work the case service would keep.

Every case of one call shares a clock (same route and triage time), so the slots are worked out once by
bot.cadence_service and copied: a tick then finds them owed exactly as it would for cases recorded one
by one through the case service. Used by the exactly-once tests and benchmarks/cadence_tick.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from bot.cadence_service import CadenceRules, clock_of, current_rules, snapshot_of
from bot.db.engine import session_scope
from bot.db.models import Case, ScheduledWork
from workflows.cadence import scheduled_work

CHUNK = 5_000


def insert_triaged_cases(
    database_url: str,
    count: int,
    *,
    triaged_at: datetime,
    channel: str | None,
    thread_ts: str | None,
    route: str = "security",
    owner: str = "U0OWNER01",
    rules: CadenceRules | None = None,
) -> list[int]:
    """`count` triaged cases and their pending slots; returns the case ids."""
    rules = rules or current_rules()
    template = Case(
        id=0,
        state="triaged",
        decision="eligible",
        route=route,
        customer_namespace="acme-corp",
        requester_username="alice-acme",
        request={},
        assessment={},
        created_by="U0CSM0001",
        owner=owner,
        created_at=triaged_at,
        updated_at=triaged_at,
        triaged_at=triaged_at,
    )
    calendar = rules.calendar(template)
    clock = clock_of(template)
    assert clock is not None
    slots = [
        (item.slot.kind.value, item.slot.due_at)
        for item in scheduled_work(snapshot_of(template), triaged_at, calendar, rules.policy)
    ]
    fields: dict[str, Any] = {
        column: getattr(template, column)
        for column in (
            "state",
            "decision",
            "route",
            "customer_namespace",
            "requester_username",
            "request",
            "assessment",
            "created_by",
            "owner",
            "created_at",
            "updated_at",
            "triaged_at",
        )
    }
    fields |= {
        "description": "",
        "slack_channel": channel,
        "slack_thread_ts": thread_ts,
        "next_update_due": clock.due_at(calendar, rules.policy.cadence),
        "paused_business_hours": 0.0,
        "version": 2,
    }
    ids: list[int] = []
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        with session_scope(database_url) as session:
            created = session.scalars(
                insert(Case).returning(Case.id, sort_by_parameter_order=True), [fields] * size
            ).all()
            session.execute(
                insert(ScheduledWork),
                [
                    {
                        "case_id": case_id,
                        "kind": kind,
                        "due_at": due_at,
                        "status": "pending",
                        "attempts": 0,
                        "data": {},
                    }
                    for case_id in created
                    for kind, due_at in slots
                ],
            )
        ids += created
    return ids
