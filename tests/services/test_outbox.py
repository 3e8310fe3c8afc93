"""The outbox on the selected database: idempotent enqueue, leases, backoff, parking, concurrent workers."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot import outbox
from bot.db.engine import session_scope
from bot.db.models import OutboxItem

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _seed(url: str, count: int, kind: str = "test.effect") -> list[int]:
    with session_scope(url) as session:
        items = [
            outbox.enqueue(session, case_id=None, kind=kind, payload={"n": n}, key=f"k-{n}", now=T0)
            for n in range(count)
        ]
        return [item.id for item in items if item.id is not None]


def _statuses(url: str) -> dict[int, str]:
    with session_scope(url) as session:
        return {item.id: item.status for item in session.exec(select(OutboxItem)).all() if item.id}


def test_enqueue_is_idempotent_on_its_key(database_url: str) -> None:
    with session_scope(database_url) as session:
        first = outbox.enqueue(session, case_id=None, kind="a", payload={"v": 1}, key="same", now=T0)
        again = outbox.enqueue(session, case_id=None, kind="a", payload={"v": 2}, key="same", now=T0)
        assert again.id == first.id
    with session_scope(database_url) as session:
        later = outbox.enqueue(session, case_id=None, kind="a", payload={"v": 3}, key="same", now=T0)
        rows = session.exec(select(OutboxItem)).all()
    assert later.id == first.id
    assert len(rows) == 1
    assert rows[0].payload == {"v": 1}


def test_nothing_is_due_before_its_time_and_a_claimed_item_is_not_claimed_twice(database_url: str) -> None:
    _seed(database_url, 2)
    with session_scope(database_url) as session:
        assert (
            outbox.claim_due(
                session, now=T0 - timedelta(seconds=1), limit=10, worker_id="w1", lease_seconds=60
            )
            == []
        )
        mine = outbox.claim_due(session, now=T0, limit=1, worker_id="w1", lease_seconds=60)
    with session_scope(database_url) as session:
        theirs = outbox.claim_due(session, now=T0, limit=10, worker_id="w2", lease_seconds=60)
        nothing_left = outbox.claim_due(session, now=T0, limit=10, worker_id="w3", lease_seconds=60)
    assert [i.leased_by for i in mine] == ["w1"]
    assert [i.leased_by for i in theirs] == ["w2"]
    assert {i.id for i in mine}.isdisjoint({i.id for i in theirs})
    assert nothing_left == []


def test_a_killed_worker_holds_its_items_only_until_the_lease_expires(database_url: str) -> None:
    [item_id] = _seed(database_url, 1)
    calls: list[str] = []
    with session_scope(database_url) as session:  # worker A claims, then "dies": no outcome recorded
        assert [
            i.id for i in outbox.claim_due(session, now=T0, limit=5, worker_id="A", lease_seconds=300)
        ] == [item_id]

    def handler(item: OutboxItem) -> dict[str, str]:
        calls.append(item.leased_by or "")
        return {"ok": "yes"}

    early = outbox.deliver_due(
        database_url, {"test.effect": handler}, now=T0 + timedelta(seconds=299), worker_id="B"
    )
    assert early.claimed == 0 and calls == []
    late = outbox.deliver_due(
        database_url, {"test.effect": handler}, now=T0 + timedelta(seconds=301), worker_id="B"
    )
    assert late.delivered == [item_id]
    assert calls == ["B"]
    with session_scope(database_url) as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        assert (item.status, item.result, item.attempts) == ("done", {"ok": "yes"}, 1)


def test_a_worker_whose_lease_was_taken_over_cannot_record_an_outcome(database_url: str) -> None:
    [item_id] = _seed(database_url, 1)
    with session_scope(database_url) as session:
        [stale] = outbox.claim_due(session, now=T0, limit=1, worker_id="A", lease_seconds=10)
    with session_scope(database_url) as session:
        [fresh] = outbox.claim_due(
            session, now=T0 + timedelta(seconds=11), limit=1, worker_id="B", lease_seconds=10
        )
    with session_scope(database_url) as session:
        assert outbox.mark_failed(session, stale, error="boom", now=T0 + timedelta(seconds=12)) is None
        assert outbox.mark_done(session, fresh, result={"by": "B"}, now=T0 + timedelta(seconds=12))
    with session_scope(database_url) as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None and item.status == "done" and item.result == {"by": "B"}


def test_failures_back_off_exponentially_with_jitter_then_park(database_url: str) -> None:
    [item_id] = _seed(database_url, 1)
    policy = outbox.RetryPolicy(base_seconds=10, cap_seconds=1000, max_attempts=4)
    now = T0
    delays: list[float] = []

    def failing(_item: OutboxItem) -> None:
        raise ConnectionError("GitLab is down")

    for _ in range(3):
        report = outbox.deliver_due(
            database_url, {"test.effect": failing}, now=now, worker_id="w", retry=policy
        )
        assert report.retrying == [item_id]
        with session_scope(database_url) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            delays.append((item.next_attempt_at - now).total_seconds())
            assert item.last_error == "ConnectionError: GitLab is down"
            now = item.next_attempt_at
    # Attempt n waits between half and all of base * 2**(n-1).
    for n, delay in enumerate(delays, start=1):
        assert 10 * 2 ** (n - 1) / 2 <= delay <= 10 * 2 ** (n - 1)
    report = outbox.deliver_due(database_url, {"test.effect": failing}, now=now, worker_id="w", retry=policy)
    assert report.parked == [item_id]
    assert (
        outbox.deliver_due(
            database_url, {"test.effect": failing}, now=now + timedelta(days=30), worker_id="w"
        ).claimed
        == 0
    )

    with session_scope(database_url) as session:
        assert outbox.retry_parked(session, now=now, item_id=item_id) == 1
    report = outbox.deliver_due(database_url, {"test.effect": lambda _i: None}, now=now, worker_id="w")
    assert report.delivered == [item_id]


def test_jitter_spreads_retries_within_bounds() -> None:
    policy = outbox.RetryPolicy(base_seconds=30, cap_seconds=120)
    rng = random.Random(7)
    samples = [policy.delay(attempt, rng).total_seconds() for attempt in (1, 2, 3, 9) for _ in range(50)]
    assert all(15 <= s <= 30 for s in samples[:50])
    assert all(60 <= s <= 120 for s in samples[150:])  # capped
    assert len(set(samples[:50])) > 40  # not one fixed delay


def test_permanent_errors_park_at_once_and_retry_after_is_honoured(database_url: str) -> None:
    first, second, third = _seed(database_url, 3)

    def handler(item: OutboxItem) -> None:
        n = item.payload["n"]
        if n == 0:
            raise outbox.PermanentError("404 project not found")
        if n == 1:
            raise outbox.RetryAfter(900)

    report = outbox.deliver_due(database_url, {"test.effect": handler}, now=T0, worker_id="w")
    assert report.parked == [first]
    assert report.retrying == [second]
    assert report.delivered == [third]
    with session_scope(database_url) as session:
        item = session.get(OutboxItem, second)
        assert item is not None and item.next_attempt_at >= T0 + timedelta(seconds=900)


def test_an_item_without_a_handler_is_parked_not_lost(database_url: str) -> None:
    [item_id] = _seed(database_url, 1, kind="nobody.handles.this")
    report = outbox.deliver_due(database_url, {}, now=T0, worker_id="w")
    assert report.parked == [item_id]
    assert _statuses(database_url) == {item_id: "parked"}


def test_on_done_runs_in_the_transaction_that_records_the_delivery(database_url: str) -> None:
    [item_id] = _seed(database_url, 1)
    seen: list[tuple[int | None, dict]] = []

    def on_done(session, item: OutboxItem, result: dict) -> None:  # type: ignore[no-untyped-def]
        seen.append((item.id, result))
        stored = session.get(OutboxItem, item.id)
        assert stored.status == "done"

    outbox.deliver_due(
        database_url,
        {"test.effect": lambda _i: {"iid": 7}},
        now=T0,
        worker_id="w",
        on_done={"test.effect": on_done},
    )
    assert seen == [(item_id, {"iid": 7})]


def test_retry_parked_by_case_needs_exactly_one_selector(database_url: str) -> None:
    with session_scope(database_url) as session, pytest.raises(ValueError, match="exactly one"):
        outbox.retry_parked(session, now=T0)


@pytest.mark.slow
def test_concurrent_workers_deliver_each_item_exactly_once(database_url: str) -> None:
    ids = _seed(database_url, 60)
    calls: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def handler(item: OutboxItem) -> dict[str, int]:
        with lock:
            calls[item.payload["n"]] += 1
        return {"n": item.payload["n"]}

    def worker(name: str) -> None:
        try:
            while outbox.deliver_due(
                database_url, {"test.effect": handler}, now=T0, worker_id=name, limit=3
            ).claimed:
                pass
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(calls) == list(range(60))
    assert set(calls.values()) == {1}
    assert set(_statuses(database_url).values()) == {"done"}
    assert len(ids) == 60
