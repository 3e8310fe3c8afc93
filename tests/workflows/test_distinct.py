"""Distinct counts in bounded memory: exact below the limit, an estimate (stated) above; merges agree."""

from __future__ import annotations

import pytest

from workflows import distinct
from workflows.distinct import Distinct


def test_exact_below_the_limit_and_merges_are_unions() -> None:
    a, b = Distinct(), Distinct()
    for n in range(300):
        a.add(f"user-{n}")
    for n in range(200, 500):
        b.add(f"user-{n}")
    a.merge(b)
    assert (a.count(), a.estimated) == (500, False)


@pytest.mark.parametrize("total", [5_000, 60_000])
def test_above_the_limit_an_estimate_within_a_few_percent_that_merges_like_one_pass(
    monkeypatch: pytest.MonkeyPatch, total: int
) -> None:
    monkeypatch.setattr(distinct, "EXACT_LIMIT", 1_000)
    whole, left, right = Distinct(), Distinct(), Distinct()
    for n in range(total):
        value = f"203.0.{n // 256}.{n % 256}/{n}"
        whole.add(value)
        (left if n % 3 else right).add(value)
    left.merge(right)
    assert whole.estimated and left.estimated
    assert left.count() == whole.count()  # the same registers, in whatever order the parts came
    assert abs(whole.count() - total) / total < 0.06
    assert len(whole._registers or b"") == 1 << distinct.PRECISION  # memory: the registers only
