"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from bot.db.engine import get_engine, session_scope
from bot.db.models import Case, CaseEvent


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_every_table_exists_with_its_due_time_index(database_url: str) -> None:
    inspector = inspect(get_engine(database_url))
    assert set(SQLModel.metadata.tables) <= set(inspector.get_table_names())
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("cases")}
    assert ("next_update_due",) in indexed


def _case(now: datetime) -> Case:
    return Case(
        state="requested",
        decision="eligible",
        customer_namespace="acme-corp",
        requester_username="alice",
        request={},
        assessment={},
        created_by="U1",
        created_at=now,
        updated_at=now,
    )


def test_datetimes_come_back_timezone_aware_utc(database_url: str) -> None:
    tokyo = timezone(timedelta(hours=9))
    created = datetime(2026, 11, 23, 9, 30, tzinfo=tokyo)
    with session_scope(database_url) as session:
        case = _case(created)
        session.add(case)
        session.flush()
        session.add(CaseEvent(case_id=case.id, at=created, actor="U1", kind="created"))
        case_id = case.id
    with session_scope(database_url) as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        assert stored.created_at.tzinfo is not None
        assert stored.created_at == created
        assert stored.created_at.utcoffset() == timedelta(0)
        event = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
        assert event.at == created.astimezone(UTC)


def test_naive_datetimes_are_refused(database_url: str) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(database_url) as session:
        session.add(_case(datetime(2026, 11, 23, 9, 30)))
        session.flush()


def test_a_failed_unit_of_work_records_nothing(database_url: str) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        session.add(_case(now))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(database_url) as session:
        assert session.exec(select(Case)).all() == []
