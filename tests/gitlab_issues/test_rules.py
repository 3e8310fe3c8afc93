"""Pure rules: the SIRT issue's labels, findings, closing in GitLab; the gap report's identity check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from workflows.assessment import Route
from workflows.audit_gap import (
    REDACTED,
    GapReport,
    IdentityLeak,
    check_clean,
    customer_identity,
    gap_key,
    scrub,
    scrub_report,
)
from workflows.sirt_issue import IssueLabels, is_customer_update, is_finding, state_after_issue_closed
from workflows.states import CaseState

REQUEST = {
    "customer_namespace": "acme-corp",
    "requester_username": "alice-acme",
    "resources": {
        "projects": ["acme-corp/api", "acme-corp/payments-gateway"],
        "groups": ["acme-corp/platform"],
        "users": ["bob-acme", "zed"],
    },
    "ticket_reference": "ZD-4711",
}


def test_labels_follow_the_case_and_converge_from_any_earlier_labelling() -> None:
    labels = IssueLabels(base="SIRT, logdive")  # type: ignore[arg-type]
    assert labels.for_case(CaseState.TRIAGED, Route.SECURITY) == (
        "SIRT",
        "logdive",
        "route::security",
        "status::triaged",
    )
    add, remove = labels.changes(CaseState.CLOSED, Route.SUPPORT)
    assert add == ["SIRT", "logdive", "route::support", "status::closed"]
    assert "status::triaged" in remove and "route::security" in remove and "status::closed" not in remove
    assert set(add).isdisjoint(remove)
    with pytest.raises(ValidationError, match="not a GitLab label"):
        IssueLabels(base=("a,b",))


@pytest.mark.parametrize(
    ("note", "finding"),
    [
        ("Finding: token made from 203.0.113.7", True),
        ("**Finding 2:** more", True),
        ("## Finding\nbody", True),
        ("\n\n> finding — quoted", True),
        ("No finding yet", False),
        ("Findings are pending", False),
        ("", False),
    ],
)
def test_a_finding_note_starts_with_finding(note: str, finding: bool) -> None:
    assert is_finding(note) is finding


def test_closing_the_issue_closes_a_shared_case_and_cancels_one_in_progress() -> None:
    assert state_after_issue_closed(CaseState.SHARED) is CaseState.CLOSED
    assert state_after_issue_closed(CaseState.INVESTIGATING) is CaseState.CANCELLED
    assert state_after_issue_closed(CaseState.CLOSED) is None
    assert state_after_issue_closed(CaseState.CANCELLED) is None


def test_every_customer_name_is_found_however_it_is_written() -> None:
    identity = customer_identity(REQUEST)
    text = (
        "ACME Corp's acme_corp/api and AcmeCorp; payments gateway by @bob-acme (bob-acme@acme-corp.com) "
        "from 203.0.113.9 and 2001:db8::1; zed; ticket zd-4711; the platform team"
    )
    clean, found = scrub(text, identity)
    for name in ("acme", "Acme", "bob", "payments", "203.0.113", "2001:db8", "zed", "4711", "@"):
        assert name not in clean, (name, clean)
    assert "the platform team" in clean  # a generic part of a path is not taken for the customer
    assert clean.count(REDACTED) >= 9 and len(found) >= 9
    with pytest.raises(IdentityLeak) as leak:
        check_clean(text, identity)
    assert "acme" in " ".join(leak.value.found).lower()
    check_clean(clean, identity)  # nothing left


def test_generic_words_are_not_taken_for_the_customer() -> None:
    identity = customer_identity(REQUEST)
    text = "The API route and the project's token events were missing from Audit Events."
    assert scrub(text, identity) == (text, ())


def test_a_report_is_scrubbed_and_its_key_ignores_wording() -> None:
    identity = customer_identity(REQUEST)
    report = GapReport(
        missing="Project export downloaded\n  project   EXPORT downloaded \n- token listed by alice-acme",
        used_logs=["production_json"],
        details="seen on acme-corp/api",
    )
    assert report.missing == (
        "Project export downloaded",
        "project EXPORT downloaded",
        "token listed by alice-acme",
    )
    clean, found = scrub_report(report, identity)
    assert clean.missing[2] == f"token listed by {REDACTED}" and clean.details == f"seen on {REDACTED}"
    assert set(found) == {"alice-acme", "acme-corp/api"}
    same = GapReport(missing=["project export downloaded", f"token listed by {REDACTED}"])
    assert gap_key(clean) == gap_key(same)
    assert gap_key(clean) != gap_key(GapReport(missing=["project export downloaded"]))


def test_a_report_says_what_is_wrong_with_it() -> None:
    with pytest.raises(ValidationError, match="unknown log 'nginx_error'"):
        GapReport(missing=["x"], used_logs=["nginx_error"])
    with pytest.raises(ValidationError, match="missing"):
        GapReport(missing="\n  \n")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        GapReport(missing=["x" * 201])


@given(
    st.sampled_from(["acme-corp", "alice-acme", "bob-acme", "acme-corp/api", "ZD-4711"]), st.text(max_size=30)
)
def test_scrubbed_text_always_passes_the_check(name: str, noise: str) -> None:
    identity = customer_identity(REQUEST)
    clean, _found = scrub(f"{noise} {name.upper()} {noise}", identity)
    check_clean(clean, identity)


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Customer update: sent the interim summary", True),
        ("**Customer update:** called the customer", True),
        ("## Customer update\nbody", True),
        ("The customer updated their token", False),
        ("Finding: customer update pending", False),
        ("", False),
    ],
)
def test_a_customer_update_note_starts_with_customer_update(note: str, expected: bool) -> None:
    assert is_customer_update(note) is expected
