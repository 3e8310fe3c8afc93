"""The public improvement issue's text: fixed wording only, checked against the customer's names."""

from __future__ import annotations

import pytest

from workflows.audit_gap import IdentityLeak, check_clean
from workflows.leak import DataCategory
from workflows.leak_improvement import ImprovementArea, leak_identity, public_improvement

SECRET = b"marker-secret-0123456789"


@pytest.mark.parametrize("area", list(ImprovementArea))
@pytest.mark.parametrize("category", list(DataCategory))
def test_every_wording_is_clean_of_a_customer(area: ImprovementArea, category: DataCategory) -> None:
    text = public_improvement(area, category, storage=2, third_parties=1, case_id=7, secret=SECRET)
    identity = leak_identity("acme-corp", "Jane Roe <jane@acme.example>", "ZD-4711")
    check_clean(f"{text.title}\n{text.summary}\n{text.change}", identity)


def test_the_marker_names_no_case_and_differs_per_case() -> None:
    one = public_improvement(
        ImprovementArea.ACCESS, DataCategory.OTHER, storage=0, third_parties=1, case_id=1, secret=SECRET
    )
    two = public_improvement(
        ImprovementArea.ACCESS, DataCategory.OTHER, storage=0, third_parties=1, case_id=2, secret=SECRET
    )
    assert one.marker != two.marker
    assert len(one.marker) == 16 and one.title == two.title


def test_a_customer_whose_name_is_in_the_wording_stops_the_issue() -> None:
    text = public_improvement(
        ImprovementArea.REDACTION,
        DataCategory.PERSONAL_DATA,
        storage=1,
        third_parties=0,
        case_id=3,
        secret=SECRET,
    )
    with pytest.raises(IdentityLeak):
        check_clean(f"{text.title}\n{text.summary}", leak_identity("redacted", "Someone Else", None))
