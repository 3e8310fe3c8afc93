"""`logdive check` on files that would hang or crash it: one line naming the problem, exit 2, no GitLab call.

Each runs the installed console script (a traceback anywhere fails the test, see conftest.run_logdive).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.cli.request_file import MAX_BYTES, MAX_DEPTH, MAX_VALUES
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.slack.intake_form import WINDOW_END, read_submission
from tests.cli.conftest import request_data as _request
from tests.slack.harness import form_values
from workflows.policy import EligibilityPolicy
from workflows.request import MOMENTS_ALLOWED, WINDOW_ORDER_MESSAGE

HARD_MAX = EligibilityPolicy().hard_max_resources


def _errors(done: Any) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize(
    ("window", "field", "moment"),
    [
        ({"start": "0001-01-01T00:00:00+01:00"}, "start", "0001-01-01T00:00:00+01:00"),
        (
            {"start": "0001-01-01T00:00:00Z", "end": "0001-01-02T00:00:00Z"},
            "start",
            "0001-01-01T00:00:00+00:00",
        ),
        ({"end": "9999-12-31T23:59:59-05:00"}, "end", "9999-12-31T23:59:59-05:00"),
        (
            {"start": "9999-12-30T00:00:00Z", "end": "9999-12-31T00:00:00Z"},
            "start",
            "9999-12-30T00:00:00+00:00",
        ),
    ],
)
def test_years_0001_and_9999_are_a_field_error_before_gitlab(
    check: Any, gitlab: GitLabStandIn, window: dict[str, str], field: str, moment: str
) -> None:
    request = _request()
    request["window"] = {**request["window"], **window}
    done = check(request)
    assert done.returncode == 2, done.stderr
    assert f"error: window.{field}: {moment} is not in {MOMENTS_ALLOWED}" in _errors(done)[0]
    assert gitlab.requests == []


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"])
def test_a_now_in_year_0001_or_9999_is_a_field_error(check: Any, now: str) -> None:
    done = check(_request(), "--now", now)
    assert done.returncode == 2
    assert _errors(done) == [
        f"error: --now: {datetime.fromisoformat(now).isoformat()} is not in {MOMENTS_ALLOWED}"
    ]


def test_a_window_that_ends_before_it_starts_is_the_same_field_error_as_in_slack(
    check: Any, gitlab: GitLabStandIn
) -> None:
    done = check(_request(window={"start": "2026-11-08T00:00:00Z", "end": "2026-11-04T00:00:00Z"}), "--json")
    assert done.returncode == 2  # bad input, not "ineligible" (exit 1)
    assert json.loads(done.stdout)["errors"] == [
        {
            "field": "window.end",
            "message": WINDOW_ORDER_MESSAGE + " (allowed: a date and time later than window.start)",
        }
    ]
    assert gitlab.requests == []
    # The Slack form, given the same window, shows the same sentence on the same field.
    values = form_values(start=datetime(2026, 11, 8, tzinfo=UTC), end=datetime(2026, 11, 4, tzinfo=UTC))
    request, errors = read_submission(values, load_catalog())
    assert request is None and errors == {WINDOW_END: WINDOW_ORDER_MESSAGE}


@pytest.mark.parametrize(
    ("text", "suffix", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, ".json", f"nests deeper than {MAX_DEPTH} levels"),
        ("a: " + "[" * 100_000 + "]" * 100_000, ".yml", f"nests deeper than {MAX_DEPTH} levels at line 1"),
        (
            "".join(" " * n + "resources:\n" for n in range(1_000)),
            ".yaml",
            f"nests deeper than {MAX_DEPTH} levels at line {MAX_DEPTH + 1},",
        ),
    ],
)
def test_deep_nesting_is_bad_input_not_a_recursion_error(
    check: Any, gitlab: GitLabStandIn, text: str, suffix: str, problem: str
) -> None:
    done = check(text, suffix=suffix)
    assert done.returncode == 2  # RecursionError used to exit 1: "ineligible" to a script
    [line] = _errors(done)
    assert line.startswith("error: ") and f"request{suffix}: {problem}" in line
    assert gitlab.requests == []


def test_billion_laughs_is_refused_while_it_is_read(check: Any, gitlab: GitLabStandIn) -> None:
    anchors = ["  x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"  x{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    text = "\n".join(
        [
            "customer_namespace: acme-corp",
            "requester_username: alice-acme",
            "window: {start: 2026-11-04T00:00:00Z, end: 2026-11-08T00:00:00Z}",
            "anchors:",
            *anchors,
            "resources:",
            "  projects: *l8",  # 9**9 project names: ran 60 s and more, 663 MB, before the limit
        ]
    )
    done = check(text, suffix=".yml")
    assert done.returncode == 2
    [line] = _errors(done)
    assert f"holds more than {MAX_VALUES:,} values with its aliases expanded at line 10" in line
    assert gitlab.requests == []


def test_a_file_over_the_size_limit_and_the_same_on_stdin_are_refused(check: Any, logdive: Any) -> None:
    request = _request(description="x" * MAX_BYTES)
    done = check(request)
    assert done.returncode == 2
    assert _errors(done) == [
        f"error: {done.args[2]}: is larger than {MAX_BYTES:,} bytes (allowed: a request of at most 1 MiB)"
    ]
    piped = logdive("check", "-", stdin=json.dumps(request))
    assert piped.returncode == 2 and _errors(piped) == [
        f"error: -: is larger than {MAX_BYTES:,} bytes (allowed: a request of at most 1 MiB)"
    ]


def test_a_scope_over_the_hard_cap_is_refused_before_any_gitlab_call(
    check: Any, gitlab: GitLabStandIn
) -> None:
    projects = [f"acme-corp/p{n}" for n in range(HARD_MAX + 1)]
    done = check(_request(resources={"projects": projects, "users": ["bob-acme"]}), "--json")
    assert done.returncode == 2
    [error] = json.loads(done.stdout)["errors"]
    assert error["field"] == "resources"
    assert error["message"].startswith(f"names {HARD_MAX + 2} projects, groups and users together")
    assert f"at most {HARD_MAX}" in error["message"]
    assert gitlab.requests == []  # each resource would have cost one GitLab call


def test_100_000_event_types_are_refused_before_they_are_matched_against_the_catalog(
    check: Any, gitlab: GitLabStandIn
) -> None:
    # Each unknown name would be compared with every name in the catalog, for suggestions.
    request = _request(event_types=[f"{n:x}" for n in range(100_000)])
    done = check(json.dumps(request, separators=(",", ":")))
    assert done.returncode == 2
    [line] = _errors(done)
    assert line.startswith("error: event_types: names 100,000 event types (allowed: at most 500;")
    assert gitlab.requests == []


def test_the_hard_cap_is_a_policy_value(check: Any, gitlab: GitLabStandIn, tmp_path: Any) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[eligibility]\nmax_resources = 2\nhard_max_resources = 3\n", encoding="utf-8")
    projects = ["acme-corp/api", "acme-corp/svc-1", "acme-corp/svc-2"]
    done = check(
        _request(resources={"projects": projects, "users": ["bob-acme"]}), env={"LOGDIVE_POLICY": str(policy)}
    )
    assert done.returncode == 2 and "resources: names 4 projects" in done.stderr
    assert gitlab.requests == []
    within = check(
        _request(resources={"projects": projects[:2], "users": ["bob-acme"]}),
        env={"LOGDIVE_POLICY": str(policy)},
    )
    assert within.returncode == 1 and "rescope" in within.stdout  # over max_resources: re-scoped, as before
    assert gitlab.requests != []
