"""Persistence: SQLModel tables, the one session helper, alembic migrations (SQLite and PostgreSQL)."""
