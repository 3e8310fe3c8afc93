"""SIRT's findings: only notes marked for the report, neutralised as the extract would be."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.report.findings import NoteText, choose, is_for_report, neutralise
from tests.extract import synthetic
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules

RULES = RedactionRules(
    customer_namespace="acme-corp",
    own_usernames=("alice-acme", "bob-acme"),
    keep_personal=True,
    case_key=case_key("LD-42"),
)
AT = datetime(2026, 11, 9, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "chosen"),
    [
        ("Finding (report): the token was used twice", True),
        ("**Finding [report]:** the token was used twice", True),
        ("## finding (Report) 2", True),
        ("> Finding (report) - quoted", True),
        ("Finding: internal only", False),
        ("**Finding** recorded by U0SIRT1:", False),
        ("A note about Finding (report) in the middle", False),
        ("Not a finding\nFinding (report): second line", False),
    ],
)
def test_only_notes_marked_for_the_report_are_chosen(body: str, chosen: bool) -> None:
    assert is_for_report(body) is chosen


def test_chosen_notes_lose_their_marker_and_keep_their_order() -> None:
    notes = [
        NoteText("Finding (report): second", AT.replace(hour=12)),
        NoteText("Finding (report): first", AT),
        NoteText("Finding (report): from the system", AT, system=True),
        NoteText("Finding: internal", AT),
    ]
    assert [f.text for f in choose(notes, RULES, keep_ips=frozenset())] == ["first", "second"]


@pytest.mark.parametrize(
    ("planted", "shown"),
    [
        (synthetic.FOREIGN.EMAIL, "email-"),
        (synthetic.FOREIGN.IP4, "ip-"),
        (synthetic.FOREIGN.IP6, "ip-"),
        (synthetic.FOREIGN.INTERNAL_IP, "[internal]"),
        (synthetic.FOREIGN.HOSTNAME, "[host]"),
        (synthetic.FOREIGN.GITALY, "[host]"),
        (f"@{synthetic.FOREIGN.USERNAME}", "user-"),
        (synthetic.FOREIGN.OTHER_PROJECT, "ns-"),
        (f"/{synthetic.FOREIGN.OTHER_PROJECT}/-/issues/3", "ns-"),
        ("/api/v4/projects/globex-industries%2Fsecret-plans/members", "ns-"),
        ("/groups/globex-industries/-/group_members", "ns-"),
        (synthetic.SECRETS.PAT, "[REDACTED]"),
        (f"Authorization: Bearer {synthetic.SECRETS.BEARER}", "[REDACTED]"),
        ("https://ops.example/dashboards/customer-7?token=abc", "[link removed]"),
        ("see <script>alert(1)</script>", "<script>"),  # plain text: the template escapes it
    ],
)
def test_what_the_extract_would_redact_is_redacted(planted: str, shown: str) -> None:
    text = neutralise(f"Seen: {planted} during the window.", RULES)
    assert shown in text
    if shown != "<script>":
        assert planted.lstrip("@/") not in text


def test_the_customers_own_stay_named() -> None:
    text = neutralise(
        "@bob-acme pushed to acme-corp/api and /acme-corp/platform/svc/-/pipelines from 81.2.69.142; "
        "config.yml and README.md changed on gitlab.com",
        RULES,
        keep_ips=frozenset({"81.2.69.142"}),
    )
    assert text == (
        "@bob-acme pushed to acme-corp/api and /acme-corp/platform/svc/-/pipelines from 81.2.69.142; "
        "config.yml and README.md changed on gitlab.com"
    )


def test_without_personal_data_even_the_customers_own_are_pseudonyms() -> None:
    rules = RULES.model_copy(update={"keep_personal": False})
    text = neutralise("@bob-acme from 81.2.69.142", rules)
    assert "bob-acme" not in text and "81.2.69.142" not in text
