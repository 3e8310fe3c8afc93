"""The log-dive end to end on planted logs: known entries kept, nothing foreign or secret ever written."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from bot.extract.outputs import build_manifest, build_support_summary
from tests.extract import synthetic
from tests.extract.conftest import EVENT_TYPES, Extract, make_request, make_spec
from workflows.assessment import Route
from workflows.catalog import Catalog
from workflows.tenancy import KnownIds

NOW = synthetic.WINDOW[1]


def _ids(entries: list[dict]) -> list[str]:
    return [e["correlation_id"] for e in entries]


def _expected(field: str) -> list[str]:
    return [s.entry["correlation_id"] for s in synthetic.scenarios() if getattr(s, field)]


def _assert_clean(text: str, *, own_too: bool = False) -> None:
    planted = synthetic.FOREIGN.strings() + synthetic.SECRETS.strings()
    if own_too:
        planted += [synthetic.SCOPE_USER, synthetic.SCOPE_USER_IP, str(synthetic.SCOPE_USER_ID), "Bob Acme"]
    leaked = [p for p in planted if p in text]
    assert leaked == []


def test_security_case_keeps_exactly_the_planted_entries(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    request = make_request()
    result, entries, out = extract(planted_logs, make_spec(catalog, request))

    expected = _expected("keep_all")
    assert _ids(entries) == expected + expected  # input 1, then input 3 (same scenarios); input 2 is noise
    assert [e["_logdive"]["input"] for e in entries] == [1] * len(expected) + [3] * len(expected)
    assert result.kept == len(entries)
    assert out is not None
    _assert_clean(out.read_text())
    # personal data asked for and routed to Security: the scope user's own name and address stay
    own = next(e for e in entries if e["correlation_id"] == "case-01")
    assert own["username"] == synthetic.SCOPE_USER and own["remote_ip"] == synthetic.SCOPE_USER_IP


def test_counts_per_input_file(catalog: Catalog, planted_logs: list[Path], extract: Extract) -> None:
    result, _, _ = extract(planted_logs, make_spec(catalog, make_request()))
    first, second, third = result.inputs
    scenarios = len(synthetic.scenarios())
    assert first.lines == 1500 + scenarios + len(synthetic.GARBAGE_LINES) + 1
    assert first.malformed == synthetic.GARBAGE_CANDIDATES + 1  # + the truncated last line
    assert (second.lines, second.candidates, second.kept, second.compressed) == (800, 0, 0, True)
    assert (third.lines, third.malformed, third.compressed) == (scenarios + 1, 1, True)
    for report, path in zip(result.inputs, planted_logs, strict=True):
        assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # per copy of the scenarios (inputs 1 and 3): two times at the window's edges; the look-alike
    # project, the customer's other project and the free-text mention; the line of no known kind
    # the scope user in another customer's project: in scope by user, dropped for its tenancy
    assert result.rejected == {
        "outside_window": 2 * 2,
        "out_of_scope": 2 * 3,
        "other_tenant": 2 * 1,
        "unknown_kind": 2 * 1,
    }


def test_event_types_select_by_audit_name_controller_and_route(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    request = make_request(event_types=EVENT_TYPES, personal_data=False)
    result, entries, out = extract(planted_logs[:1], make_spec(catalog, request))

    assert _ids(entries) == _expected("keep_events")
    assert result.rejected["other_event_type"] == len(_expected("keep_all")) - len(_expected("keep_events"))
    # no personal data asked for: even the customer's own user is a pseudonym
    assert out is not None
    _assert_clean(out.read_text(), own_too=True)
    summary = result.summary
    assert set(summary.by_event_type) == set(EVENT_TYPES)
    assert summary.by_event_type["sign_ins"].entries == 2  # the password change and the sign-in attempt
    assert summary.by_event_type["permission_changes"].entries == 5


def test_several_processes_write_the_same_bytes_as_one(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    spec = make_spec(catalog, make_request())
    one, _, out_one = extract(planted_logs, spec, workers=1)
    # tiny chunks: the plain file is cut mid-line many times over
    many, _, out_many = extract(planted_logs, spec, workers=2, chunk_bytes=16_384, min_parallel_bytes=0)

    assert many.workers == 2
    assert out_one is not None and out_many is not None
    assert out_many.read_bytes() == out_one.read_bytes()
    assert [(r.lines, r.candidates, r.malformed, r.kept, r.sha256) for r in many.inputs] == [
        (r.lines, r.candidates, r.malformed, r.kept, r.sha256) for r in one.inputs
    ]
    assert many.redactions == one.redactions
    assert many.summary == one.summary


def test_pseudonyms_are_stable_within_a_case_and_differ_across_cases(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    request = make_request()
    _, first, _ = extract(planted_logs[:1], make_spec(catalog, request, case="LD-1"))
    _, again, _ = extract(planted_logs[:1], make_spec(catalog, request, case="LD-1"))
    _, other, _ = extract(planted_logs[:1], make_spec(catalog, request, case="LD-2"))

    foreign = {e["username"] for e in first if e.get("username", "").startswith("user-")}
    assert len(foreign) == 1  # one foreign user throughout: one pseudonym, on every line
    assert first == again
    other_foreign = {e["username"] for e in other if e.get("username", "").startswith("user-")}
    assert other_foreign.isdisjoint(foreign)


def test_known_user_ids_keep_the_customer_users_own_audit_identity(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    request = make_request()
    spec = make_spec(catalog, request, known=KnownIds(users={synthetic.SCOPE_USER: synthetic.SCOPE_USER_ID}))
    _, entries, _ = extract(planted_logs[:1], spec)
    audit = next(e for e in entries if e["correlation_id"] == "case-06")
    assert audit["author_id"] == synthetic.SCOPE_USER_ID
    assert audit["ip_address"] == synthetic.SCOPE_USER_IP


def test_support_gets_aggregates_only(catalog: Catalog, planted_logs: list[Path], extract: Extract) -> None:
    request = make_request(personal_data=False)
    spec = make_spec(catalog, request, Route.SUPPORT)
    result, entries, out = extract(planted_logs[:1], spec)
    assert out is None and entries == [] and result.entries_path is None

    from datetime import datetime

    summary = build_support_summary("LD-9", request, Route.SUPPORT, result, datetime.fromisoformat(NOW))
    text = summary.model_dump_json()
    _assert_clean(text, own_too=False)
    assert "case-0" not in text  # no raw entry, not even a correlation id
    kept = len(_expected("keep_all"))
    assert summary.summary.entries == kept
    # the foreign user and the scope user, each by username and (audit lines) by user id: pseudonyms
    assert summary.summary.distinct_users == 4
    assert summary.summary.unique_ips == 3  # the scope user's, the foreign IPv4 and IPv6; internal dropped
    assert summary.summary.project_paths == ("acme-corp/api", "acme-corp/platform", "acme-corp/platform/svc")
    assert summary.summary.first is not None and summary.summary.first.isoformat().startswith("2026-11-03")


def test_manifest_records_inputs_and_output(
    catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    from datetime import datetime

    request = make_request()
    result, entries, out = extract(planted_logs, make_spec(catalog, request))
    manifest = build_manifest(
        "LD-3", request, Route.SECURITY, result, datetime.fromisoformat(NOW), personal_data_kept=True
    )
    assert out is not None
    assert manifest.entries.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest.entries.count == len(entries)
    assert [i.name for i in manifest.inputs] == [p.name for p in planted_logs]
    assert manifest.dropped["malformed"] == synthetic.GARBAGE_CANDIDATES + 2
    assert manifest.redactions["secret"] > 0 and manifest.redactions["internal_field"] > 0
    assert manifest.tool_version
    _assert_clean(manifest.model_dump_json())


@pytest.mark.parametrize("kept_share", [0.999, 0.5, 0.1])
def test_a_gzip_file_cut_short_keeps_what_came_before(
    catalog: Catalog, tmp_path: Path, extract: Extract, kept_share: float
) -> None:
    lines = list(synthetic.encode(s.entry for s in synthetic.scenarios()))
    data = gzip.compress(b"\n".join(lines) + b"\n")
    broken = tmp_path / "cut.gz"
    broken.write_bytes(data[: min(len(data) - 9, int(len(data) * kept_share))])  # at least the trailer goes
    result, entries, _ = extract([broken], make_spec(catalog, make_request()))
    assert result.inputs[0].truncated or result.inputs[0].errors
    expected = _expected("keep_all")
    assert _ids(entries) == expected[: len(entries)]  # a prefix, in order, nothing invented
