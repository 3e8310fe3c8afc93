"""Pure rules: the SIRT issue's labels, findings, closing in GitLab; the gap report's identity check."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workflows.assessment import Route
from workflows.audit_gap import (
    GapReport,
    IdentityLeak,
    NothingPublic,
    check_clean,
    customer_identity,
    gap_key,
    public_gap,
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
    for text in (
        "ACME Corp's", "acme_corp/api", "AcmeCorp", "payments gateway", "by @someone",
        "mail bob@example.com", "from 203.0.113.9", "IP 81.2.69.142.", "2001:db8::1", "zed", "zd-4711",
    ):  # fmt: skip
        with pytest.raises(IdentityLeak):
            check_clean(f"Seen {text} today", identity)
    check_clean("The platform team's API route and token events were missing; version 1.2.3.", identity)


CATALOG = frozenset({"git_operations", "project_export_created", "sign_ins"})


def test_only_catalog_names_and_log_sources_are_public() -> None:
    report = GapReport(
        missing=[
            "git_operations",
            "Project export created",
            "exports done by Acme Corporation on acme.com",
            "token listed by carol-outside-scope from IP 81.2.69.142.",
        ],
        used_logs=["production_json"],
        details="Acme Corporation, acme.com, IP 81.2.69.142.",
        requested=["sign_ins", "acme-corp"],
    )
    gap = public_gap(report, CATALOG)
    assert gap.missing == ("git_operations", "project_export_created")
    assert gap.requested == ("sign_ins",) and gap.used_logs == ("production_json",) and gap.withheld == 2
    assert "details" not in type(gap).model_fields  # nothing typed has a place to go
    with pytest.raises(NothingPublic, match="nothing was filed publicly"):
        public_gap(GapReport(missing=["project export downloaded by Acme"]), CATALOG)


def test_the_gap_key_is_keyed_and_ignores_order_and_spelling() -> None:
    one = public_gap(GapReport(missing=["sign_ins", "Git operations"]), CATALOG)
    two = public_gap(GapReport(missing=["git-operations", "SIGN INS"]), CATALOG)
    assert gap_key(one, b"secret") == gap_key(two, b"secret")
    assert gap_key(one, b"secret") != gap_key(one, b"other secret")
    assert gap_key(one, b"secret") != gap_key(public_gap(GapReport(missing=["sign_ins"]), CATALOG), b"secret")


def test_a_report_says_what_is_wrong_with_it() -> None:
    with pytest.raises(ValidationError, match="unknown log 'nginx_error'"):
        GapReport(missing=["x"], used_logs=["nginx_error"])
    with pytest.raises(ValidationError, match="missing"):
        GapReport(missing="\n  \n")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        GapReport(missing=["x" * 201])


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
