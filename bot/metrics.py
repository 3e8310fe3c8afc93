"""Case gauges for GET /metrics, computed from the database at scrape time (a custom collector).

Every replica reads the same database, so every replica reports the same figures: aggregate with
`max`, not `sum`. The process's own counters (HTTP, outbox, timed work) stay in prometheus_client's
default registry; `exposition` serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import Float, Integer, SQLColumnExpression, case, cast, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent
from workflows.leak import LEAK_OPEN_STATES
from workflows.states import OPEN_STATES

# (type, state) of every open state; a data leak's states are its own, so the state tells the type.
_OPEN = sorted(
    [("log_dive", s.value) for s in OPEN_STATES] + [("data_leak", s.value) for s in LEAK_OPEN_STATES]
)

# Time from triage to the first customer update: the cadence promises 12 business hours.
FIRST_UPDATE_BUCKETS_HOURS = (1, 4, 12, 24, 48, 96, 168)


class CaseMetrics(Collector):
    def __init__(self, database_url: str, clock: Clock) -> None:
        self.database_url = database_url
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # no scrape at registration: the figures come from the database

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        with session_scope(self.database_url) as session:
            by_state = dict(
                session.exec(
                    select(Case.state, func.count())
                    .where(col(Case.state).in_([s for _, s in _OPEN]))
                    .group_by(Case.state)
                ).all()
            )
            # next_update_due is only set while a case is open and its clock runs (ix_cases_next_update_due).
            overdue = session.exec(
                select(func.count()).select_from(Case).where(col(Case.next_update_due) <= now)
            ).one()
            breaches = session.exec(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "sla_breach")
            ).one()
            first = _first_update_histogram(session)
        open_cases = GaugeMetricFamily(
            "logdive_open_cases", "Open cases by type and state", labels=["type", "state"]
        )
        for case_type, state in _OPEN:
            open_cases.add_metric([case_type, state], by_state.get(state, 0))
        yield open_cases
        yield GaugeMetricFamily(
            "logdive_overdue_updates", "Open cases whose customer update is overdue", value=overdue
        )
        yield CounterMetricFamily(
            "logdive_sla_breaches", "Customer updates still missing after the grace period", value=breaches
        )
        yield first


def _seconds_between(
    session: Session, start: SQLColumnExpression[datetime | None], end: SQLColumnExpression[datetime | None]
) -> ColumnElement[int] | ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":  # stored as naive-UTC text; whole seconds are plenty
        return cast(func.strftime("%s", end), Integer) - cast(func.strftime("%s", start), Integer)
    return cast(func.extract("epoch", end - start), Float)


def _first_update_histogram(session: Session) -> HistogramMetricFamily:
    seconds = _seconds_between(session, col(Case.triaged_at), col(Case.first_customer_update_at))
    limits = [h * 3600.0 for h in FIRST_UPDATE_BUCKETS_HOURS]
    row = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(seconds), 0.0),
            *[func.coalesce(func.sum(case((seconds <= limit, 1), else_=0)), 0) for limit in limits],
        )
        .select_from(Case)
        .where(col(Case.triaged_at).is_not(None), col(Case.first_customer_update_at).is_not(None))
    ).one()
    cumulative: list[int]
    count, total, *cumulative = row
    buckets = [(floatToGoString(limit), float(n)) for limit, n in zip(limits, cumulative, strict=True)]
    buckets.append(("+Inf", float(count)))
    return HistogramMetricFamily(
        "logdive_time_to_first_update_seconds",
        "Time from triage to the first customer update",
        buckets=buckets,
        sum_value=max(0.0, float(total)),
    )


def exposition(database_url: str, clock: Clock) -> bytes:
    """The text GET /metrics serves: this process's metrics, then the case gauges from the database."""
    cases = CollectorRegistry(auto_describe=False)
    cases.register(CaseMetrics(database_url, clock))
    return generate_latest(REGISTRY) + generate_latest(cases)
