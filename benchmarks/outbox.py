"""Outbox delivery throughput: one worker (the baseline) against several, and against one-item claims.

    .venv/bin/python -m benchmarks.outbox [--items 2000] [--handler-ms 2] [--postgres URL]

Each configuration gets a fresh database (SQLite in /tmp; PostgreSQL when --postgres or
LOGDIVE_BENCH_POSTGRES_URL names a server: a database is created and dropped), `--items` items due,
and workers (threads, each its own connection) calling `deliver_due` until nothing is left; the handler
sleeps `--handler-ms` like a quick GitLab call. Every run also checks each item was delivered once.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import outbox
from bot.db.engine import get_engine, normalise_url, session_scope, upgrade
from bot.db.models import OutboxItem
from bot.logs import configure_logging

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@contextmanager
def fresh_database(postgres: str | None) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="logdive-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'outbox.db'}"
            upgrade(url)
            yield url
            get_engine(url).dispose()
        return
    admin_url = make_url(normalise_url(postgres))
    name = f"logdive_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, *, items: int, workers: int, limit: int, handler_ms: float) -> float:
    """Items delivered per second."""
    with session_scope(url) as session:
        for n in range(items):
            session.add(
                OutboxItem(
                    kind="bench",
                    payload={"n": n},
                    idempotency_key=f"b{n}",
                    next_attempt_at=NOW,
                    created_at=NOW,
                )
            )
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(item: OutboxItem) -> None:
        time.sleep(handler_ms / 1000)
        with lock:
            calls[item.payload["n"]] += 1

    def worker(name: str) -> None:
        while outbox.deliver_due(url, {"bench": handler}, now=NOW, worker_id=name, limit=limit).claimed:
            pass

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if len(calls) != items or set(calls.values()) != {1}:
        raise SystemExit(f"exactly-once broken: {len(calls)} items delivered, counts {set(calls.values())}")
    return items / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--handler-ms", type=float, default=2.0)
    parser.add_argument("--postgres", default=os.environ.get("LOGDIVE_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    configure_logging("WARNING")  # one info line per delivery would drown the figures
    configurations = [  # (label, workers, claim limit); the first is the baseline
        ("1 worker, claims of 20", 1, 20),
        ("1 worker, claims of 1", 1, 1),
        ("2 workers, claims of 20", 2, 20),
        ("4 workers, claims of 20", 4, 20),
    ]
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"outbox delivery on {backend}: {args.items} items, handler {args.handler_ms} ms, exactly once each"
    )
    baseline = None
    for label, workers, limit in configurations:
        with fresh_database(args.postgres) as url:
            rate = run(url, items=args.items, workers=workers, limit=limit, handler_ms=args.handler_ms)
        baseline = baseline or rate
        print(f"  {label:<26} {rate:8.0f} items/s  {rate / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
