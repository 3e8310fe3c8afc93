"""One timed-work tick with 100 reminders due, among 1,000 and among 100,000 open cases.

    .venv/bin/python -m benchmarks.cadence_tick [--due 100] [--small 1000] [--large 100000] [--rounds 5]
        [--postgres URL | --no-postgres]

The tick must cost what is due, not what is open: it finds work by the (status, due_at) index of
scheduled_work. Each size gets a fresh database (SQLite in /tmp, and PostgreSQL when a server answers at
--postgres, LOGDIVE_BENCH_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test: a private
database is created and dropped) holding the open cases and their slots (a reminder and an escalation
each), batch-inserted. `--rounds` groups of `--due` cases fall due a minute apart; each round is one
tick (claim, check against the plan, post in the thread to the Slack stand-in, record) timed on its own;
the best round counts (the machine is shared). Figures: the whole tick, and its claim-and-check part
(the database's share), per size, and large ÷ small. Target: ratio ≤ 2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from benchmarks.outbox import NOW, fresh_database
from bot.db.engine import get_engine, normalise_url
from bot.logs import configure_logging
from bot.sandbox.slack import SlackStandIn
from bot.scheduler import TimedWorkReport, TimedWorkSender
from bot.settings import Settings
from tests.cadence.bulk import insert_triaged_cases

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHANNEL = "C0CASES01"
# Security-route cases run on SIRT's calendar (every weekday hour): triaged Monday 09:00, due at 21:00.
FIRST_DUE = NOW + timedelta(hours=12)


class _TimedSender(TimedWorkSender):
    """Notes how long each claim-and-check took (the part that reads the database for due work)."""

    claim_seconds: list[float]

    def claim(self, now, report):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().claim(now, report)
        finally:
            self.claim_seconds.append(time.perf_counter() - started)


def _postgres(url: str | None, disabled: bool) -> str | None:
    if disabled:
        return None
    candidate = url or os.environ.get("LOGDIVE_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES
    engine = create_engine(make_url(normalise_url(candidate)))
    try:
        with engine.connect():
            return candidate
    except OperationalError:
        if url:
            raise
        return None
    finally:
        engine.dispose()


def measure(
    database_url: str, open_cases: int, due: int, rounds: int, slack: SlackStandIn
) -> dict[str, float]:
    client = WebClient(token=slack.bot_token, base_url=slack.base_url)
    root = client.chat_postMessage(channel=CHANNEL, text="the case message")["ts"]
    started = time.perf_counter()
    for r in range(rounds):  # round r falls due r minutes after the first
        insert_triaged_cases(
            database_url, due, triaged_at=NOW + timedelta(minutes=r), channel=CHANNEL, thread_ts=root
        )
    # Everything else is open and triaged a day later: nothing of it is due during the run.
    insert_triaged_cases(
        database_url,
        open_cases - due * rounds,
        triaged_at=NOW + timedelta(days=1),
        channel=CHANNEL,
        thread_ts=root,
    )
    if database_url.startswith("postgresql"):
        with get_engine(database_url).connect() as conn:  # what autovacuum does after a bulk load
            conn.execute(text("ANALYZE"))
            conn.commit()
    seeded = time.perf_counter() - started
    sender = _TimedSender(database_url, client, settings=Settings(), worker_id="bench")
    sender.claim_seconds = []
    ticks, claims = [], []
    for r in range(rounds):
        sender.claim_seconds.clear()
        began = time.perf_counter()
        report: TimedWorkReport = sender.send_timed_work(FIRST_DUE + timedelta(minutes=r))
        ticks.append(time.perf_counter() - began)
        claims.append(sum(sender.claim_seconds))
        if len(report.sent) != due:
            raise AssertionError(f"round {r}: {len(report.sent)} sent, {due} were due")
    return {
        "seeded": seeded,
        "tick": min(ticks),
        "claim": min(claims),
        "tick_median": statistics.median(ticks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a private database is created on it)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    if args.small < args.due * args.rounds:
        parser.error(f"--small must hold --due × --rounds = {args.due * args.rounds} cases")
    configure_logging("ERROR")
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    postgres = _postgres(args.postgres, args.no_postgres)
    if postgres:
        backends.append(("PostgreSQL", postgres))
    slack = SlackStandIn().start()
    try:
        print(f"one tick, {args.due} reminders due; best of {args.rounds} rounds")
        print(
            f"{'backend':<11} {'open':>8} {'tick ms':>8} {'claim ms':>9} {'tick median':>12} {'seeded s':>9}"
        )
        with fresh_database(None) as url:  # warm-up: imports, statement caches, calendar spans
            measure(url, args.due * 2, args.due, 2, slack)
        for name, server in backends:
            figures = {}
            for size in (args.small, args.large):
                with fresh_database(server) as url:
                    figures[size] = measure(url, size, args.due, args.rounds, slack)
                f = figures[size]
                print(
                    f"{name:<11} {size:>8,} {f['tick'] * 1000:>8.1f} {f['claim'] * 1000:>9.1f} "
                    f"{f['tick_median'] * 1000:>12.1f} {f['seeded']:>9.1f}"
                )
            small, large = figures[args.small], figures[args.large]
            tick, claim = large["tick"] / small["tick"], large["claim"] / small["claim"]
            print(
                f"{name:<11} ratio {args.large:,} ÷ {args.small:,} open: tick {tick:.2f}×, "
                f"claim {claim:.2f}× (target ≤ 2)"
            )
    finally:
        slack.stop()


if __name__ == "__main__":
    main()
