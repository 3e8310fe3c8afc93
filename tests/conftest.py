"""Shared fixtures. The database is SQLite unless LOGDIVE_TEST_POSTGRES_URL names a PostgreSQL server,
in which case each test that needs one gets a database of its own, created and dropped around it."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db.engine import get_engine, normalise_url, upgrade

POSTGRES_URL = os.environ.get("LOGDIVE_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A CLI command configures logging for its process (often at ERROR) and Slack's libraries copy the
    root level into each new app's logger: leave structlog and the root logger as each test found them."""
    root = logging.getLogger()
    level, handlers, config = root.level, list(root.handlers), structlog.get_config()
    yield
    structlog.configure(**config)
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never see the developer's own environment or a cached settings object."""
    from bot.settings import get_settings

    for name in list(os.environ):
        if name.startswith(("SLACK_", "GITLAB_", "LOGDIVE_")) and name != "LOGDIVE_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _fresh_postgres_database() -> tuple[str, str]:
    admin_url = make_url(normalise_url(POSTGRES_URL or ""))
    name = f"logdive_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.render_as_string(hide_password=False), name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the selected kind, private to this test."""
    if POSTGRES_URL:
        admin_url, name = _fresh_postgres_database()
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        get_engine(url).dispose()
        get_engine.cache_clear()
        _drop_postgres_database(admin_url, name)
    else:
        url = f"sqlite:///{tmp_path / 'logdive.db'}"
        upgrade(url)
        yield url
        get_engine(url).dispose()
