"""`logdive db check`, and read-only commands that never create a database where they run."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run


def test_read_only_commands_leave_no_database_file_behind(tmp_path: Path, logdive: Run) -> None:
    database = tmp_path / "logdive.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    for args in (("cases", "list"), ("cases", "show", "LD-1"), ("extract", "LD-1"), ("db", "check")):
        done = logdive(*args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        assert "there is no database at" in done.stderr and "logdive db upgrade" in done.stderr, done.stderr
        assert not database.exists(), f"`logdive {' '.join(args)}` created {database.name}"
    assert list(tmp_path.iterdir()) == []


def test_db_check_tells_whether_the_schema_is_this_release(tmp_path: Path, logdive: Run) -> None:
    """What replicas wait on when migrations are a separate step (deploy/k8s)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'logdive.db'}"}
    assert logdive("db", "check", env=env).returncode == 2
    assert logdive("db", "upgrade", env=env).returncode == 0
    done = logdive("db", "check", env=env)
    assert done.returncode == 0 and "up to date" in done.stderr
