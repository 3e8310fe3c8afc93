"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike: the building block of idempotency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel


def insert_if_absent(
    session: Session, model: type[SQLModel], values: Mapping[str, Any], conflict_on: Sequence[str]
) -> bool:
    """Insert one row unless one with the same `conflict_on` columns exists. True when inserted.

    On PostgreSQL a concurrent transaction inserting the same key makes this wait for it to finish,
    so exactly one of them inserts; SQLite serialises writers anyway.
    """
    dialect = session.get_bind().dialect.name
    statement: Insert
    if dialect == "postgresql":
        statement = pg_insert(model).values(dict(values)).on_conflict_do_nothing(index_elements=conflict_on)
    elif dialect == "sqlite":
        statement = (
            sqlite_insert(model).values(dict(values)).on_conflict_do_nothing(index_elements=conflict_on)
        )
    else:
        raise NotImplementedError(f"Logdive supports SQLite and PostgreSQL, not {dialect}")
    # RETURNING, not rowcount: psycopg 3 reports -1 for INSERT … ON CONFLICT DO NOTHING.
    key_column = model.__table__.c[conflict_on[0]]  # type: ignore[attr-defined]
    return session.execute(statement.returning(key_column)).first() is not None
