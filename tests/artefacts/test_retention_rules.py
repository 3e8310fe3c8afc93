"""Retention as pure rules: expiry per kind, extensions, what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import given

from workflows.policy import RetentionPolicy
from workflows.retention import (
    ArtefactKind,
    ExtensionRefused,
    Retained,
    due_for_deletion,
    expiry_for,
    extend,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy()


@pytest.mark.parametrize(
    ("kind", "days"),
    [(ArtefactKind.RAW, 7), (ArtefactKind.AUTOMATED_ANALYSIS, 30), (ArtefactKind.MANUAL_ANALYSIS, 1)],
)
def test_expiry_per_kind(kind: ArtefactKind, days: int) -> None:
    assert expiry_for(kind, T0, POLICY) == T0 + timedelta(days=days)


def test_policy_values_are_read_not_assumed() -> None:
    assert expiry_for(ArtefactKind.RAW, T0, RetentionPolicy(raw_days=2)) == T0 + timedelta(days=2)


def test_an_extension_needs_a_reason_and_a_later_date() -> None:
    current = T0 + timedelta(days=7)
    with pytest.raises(ExtensionRefused, match="reason"):
        extend(current, current + timedelta(days=1), "  ", T0)
    with pytest.raises(ExtensionRefused, match="until"):
        extend(current, current, "legal hold", T0)
    done = extend(current, current + timedelta(days=3), " legal hold ", T0)
    assert done.expires_at == current + timedelta(days=3)
    assert done.reason == "legal hold" and done.customer_must_be_told


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        due_for_deletion([], datetime(2026, 1, 1))


def test_due_at_the_exact_expiry_and_not_a_moment_before() -> None:
    item = Retained(1, T0)
    assert due_for_deletion([item], T0 - timedelta(microseconds=1)) == ()
    assert due_for_deletion([item], T0) == (1,)
    assert due_for_deletion([Retained(1, T0, deleted=True)], T0) == ()


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=30), st.integers(-100, 100))
def test_due_is_exactly_the_live_expired_in_expiry_order(offsets: list[int], at: int) -> None:
    items = [Retained(i, T0 + timedelta(minutes=m)) for i, m in enumerate(offsets)]
    now = T0 + timedelta(minutes=at)
    due = due_for_deletion(items, now)
    assert set(due) == {i.id for i in items if i.expires_at <= now}
    assert [items[i].expires_at for i in due] == sorted(items[i].expires_at for i in due)
