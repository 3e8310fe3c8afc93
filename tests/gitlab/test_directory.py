"""The customer directory, through python-gitlab's own HTTP client against the running stand-in."""

from __future__ import annotations

import json
import socket
import time
from datetime import date
from pathlib import Path

import pytest

import bot.gitlab.client
import bot.gitlab.directory
from bot.gitlab import DirectoryOverrides, DirectoryUnavailable, directory_from_settings, load_overrides
from bot.gitlab.overrides import DirectoryOverridesError
from bot.logs import configure_logging, get_logger
from bot.resources import config_path
from bot.sandbox.gitlab import GUEST, OWNER
from bot.settings import Settings
from tests.gitlab.conftest import NOW, Acme, FakeClock, directory_for, request_for
from workflows.assessment import Decision, Outcome
from workflows.eligibility import evaluate
from workflows.facts import ResourceFacts


def by_name(facts_resources: tuple[ResourceFacts, ...]) -> dict[tuple[str, str], ResourceFacts]:
    return {(r.kind, r.name): r for r in facts_resources}


# --- the facts -----------------------------------------------------------------------------------


def test_facts_for_a_request_within_the_customer(acme: Acme) -> None:
    facts = directory_for(acme.standin).facts_for(request_for())

    assert facts.namespace is not None
    assert (facts.namespace.id, facts.namespace.full_path, facts.namespace.kind) == (
        acme.acme.id,
        "acme-corp",
        "group",
    )
    assert (facts.namespace.plan, facts.namespace.end_date, facts.namespace.trial) == (
        "ultimate",
        date(2027, 12, 31),
        False,
    )
    assert facts.namespace.paid_since is None  # GitLab does not say; only overrides do
    assert (facts.requester_exists, facts.requester_access_level) == (True, OWNER)
    assert facts.resources == (
        ResourceFacts(
            kind="project",
            name="acme-corp/platform/backend/api-gateway",
            exists=True,
            full_path="acme-corp/platform/backend/api-gateway",
        ),
        ResourceFacts(kind="group", name="acme-corp/platform", exists=True, full_path="acme-corp/platform"),
        ResourceFacts(kind="user", name="bob-acme", exists=True, member_of_namespace=True),
    )


def test_the_facts_feed_the_eligibility_policy(acme: Acme) -> None:
    request = request_for()
    facts = directory_for(acme.standin).facts_for(request)
    assessment = evaluate(request, facts, Settings().load_policy(), NOW)
    outcomes = {rule.id: rule.outcome for rule in assessment.rules}
    assert outcomes["requester"] == outcomes["ownership"] == Outcome.PASS
    assert assessment.decision != Decision.INELIGIBLE


def test_paths_are_url_encoded_and_answered_canonically(acme: Acme) -> None:
    request = request_for(
        customer_namespace="ACME-Corp",
        resources={"projects": ["Acme-Corp/Platform/Backend/API-Gateway"], "groups": ["ACME-CORP/platform"]},
    )
    facts = directory_for(acme.standin).facts_for(request)

    found = by_name(facts.resources)
    assert (
        found["project", "Acme-Corp/Platform/Backend/API-Gateway"].full_path
        == "acme-corp/platform/backend/api-gateway"
    )
    assert found["group", "ACME-CORP/platform"].full_path == "acme-corp/platform"
    assert facts.namespace is not None and facts.namespace.full_path == "acme-corp"
    paths = [r.path for r in acme.standin.requests]
    assert "/api/v4/projects/Acme-Corp%2FPlatform%2FBackend%2FAPI-Gateway" in paths
    assert "/api/v4/groups/ACME-CORP%2Fplatform" in paths


def test_a_renamed_project_is_reported_at_its_new_path(acme: Acme) -> None:
    acme.standin.state.rename_project(acme.api, "public-api")
    facts = directory_for(acme.standin).facts_for(request_for(resources={"projects": ["acme-corp/api"]}))
    (project,) = facts.resources
    assert (project.exists, project.full_path) == (True, "acme-corp/public-api")


def test_what_gitlab_does_not_have_is_a_fact_not_an_error(acme: Acme) -> None:
    request = request_for(
        customer_namespace="no-such-corp",
        requester_username="nobody-here",
        resources={"projects": ["acme-corp/nope"], "groups": ["acme-corp/nope"], "users": ["ghost"]},
    )
    facts = directory_for(acme.standin).facts_for(request)

    assert facts.namespace is None
    assert (facts.requester_exists, facts.requester_access_level) == (False, None)
    assert [(r.kind, r.exists, r.full_path, r.member_of_namespace) for r in facts.resources] == [
        ("project", False, None, None),
        ("group", False, None, None),
        ("user", False, None, None),
    ]
    assert {r.status for r in acme.standin.requests} <= {200, 404}


def test_a_subgroup_named_by_its_id_is_not_a_customer_namespace(acme: Acme) -> None:
    facts = directory_for(acme.standin).facts_for(request_for(customer_namespace=str(acme.platform.id)))
    assert facts.namespace is None
    assert facts.requester_access_level is None


def test_membership_means_members_all_of_the_top_level_group(acme: Acme) -> None:
    # carol is a Maintainer of acme-corp/platform only: members/all of acme-corp holds its direct (and
    # invited) members, never those of its subgroups, so she is not a member of the namespace.
    request = request_for(
        requester_username="carol-acme", resources={"users": ["bob-acme", "carol-acme", "erin"]}
    )
    facts = directory_for(acme.standin).facts_for(request)

    assert (facts.requester_exists, facts.requester_access_level) == (True, None)
    members = {r.name: r.member_of_namespace for r in facts.resources}
    assert members == {"bob-acme": True, "carol-acme": False, "erin": False}
    # one look-up answered all three users' memberships
    (call,) = acme.standin.requests_to("/members/all")
    assert call.path == f"/api/v4/groups/{acme.acme.id}/members/all"
    assert sorted(map(int, (call.arg("user_ids") or "").split(","))) == sorted(
        [acme.carol.id, acme.bob.id, acme.erin.id]
    )


def test_the_requesters_effective_level_is_the_highest_one(acme: Acme) -> None:
    acme.standin.state.add_member(acme.acme, acme.carol, GUEST)  # Maintainer of platform, Guest of acme-corp
    facts = directory_for(acme.standin).facts_for(request_for(requester_username="carol-acme"))
    assert facts.requester_access_level == GUEST  # in acme-corp itself: its members/all says Guest

    facts = directory_for(acme.standin).facts_for(request_for(requester_username="bob-acme"))
    assert facts.requester_access_level == 30


def test_a_personal_namespace_is_owned_by_its_user(acme: Acme) -> None:
    acme.standin.state.add_project("alice-acme/dotfiles")
    request = request_for(
        customer_namespace="alice-acme",
        resources={"projects": ["alice-acme/dotfiles"], "users": ["alice-acme", "bob-acme"]},
    )
    facts = directory_for(acme.standin).facts_for(request)

    assert facts.namespace is not None and facts.namespace.kind == "user"
    assert facts.requester_access_level == OWNER
    assert {r.name: r.member_of_namespace for r in facts.resources if r.kind == "user"} == {
        "alice-acme": True,
        "bob-acme": None,  # a personal namespace has no members: cannot tell
    }
    facts = directory_for(acme.standin).facts_for(
        request_for(customer_namespace="alice-acme", requester_username="bob-acme")
    )
    assert facts.requester_access_level is None


def test_many_users_in_scope_take_few_membership_calls(acme: Acme) -> None:
    state = acme.standin.state
    names = [f"user-{i:03}" for i in range(150)]
    for name in names:
        state.add_member(acme.acme, state.add_user(name), GUEST)
    facts = directory_for(acme.standin).facts_for(request_for(resources={"users": names}))

    assert all(r.member_of_namespace for r in facts.resources)
    calls = acme.standin.requests_to("/members/all")
    assert len(calls) == 2  # 151 users (with the requester) in batches of 100 ids
    assert [len((c.arg("user_ids") or "").split(",")) for c in calls] == [100, 51]


# --- failures ------------------------------------------------------------------------------------


def test_a_429_is_retried_after_retry_after(acme: Acme) -> None:
    acme.standin.rate_limit_next(retry_after=1, path="/namespaces/")
    started = time.monotonic()
    facts = directory_for(acme.standin).facts_for(request_for())
    elapsed = time.monotonic() - started

    assert facts.namespace is not None
    throttled, retried = acme.standin.requests_to("/namespaces/")
    assert (throttled.status, retried.status) == (429, 200)
    assert retried.at - throttled.at >= 0.95
    assert elapsed >= 1.0


def test_5xx_is_retried_then_answers(acme: Acme) -> None:
    acme.standin.fail_next(2, status=502, path="/projects/")
    facts = directory_for(acme.standin, gitlab_max_retries=2).facts_for(request_for())
    assert by_name(facts.resources)["project", "acme-corp/platform/backend/api-gateway"].exists
    assert [r.status for r in acme.standin.requests_to("/projects/")] == [502, 502, 200]


def test_a_gitlab_that_keeps_failing_is_unavailable_not_absent(acme: Acme) -> None:
    acme.standin.fail_always(status=503, path="/users")
    with pytest.raises(DirectoryUnavailable) as raised:
        directory_for(acme.standin, gitlab_max_retries=2).facts_for(request_for())

    message = str(raised.value)
    assert acme.standin.url in message and "GITLAB_URL" in message and "503" in message
    assert "alice-acme" not in message and acme.standin.token not in message
    assert len(acme.standin.requests_to("/users")) == 3  # the first try and 2 retries


def test_a_refused_token_is_unavailable_with_a_clear_message(acme: Acme) -> None:
    with pytest.raises(DirectoryUnavailable) as raised:
        directory_for(acme.standin, gitlab_token="glpat-revoked").facts_for(request_for())

    message = str(raised.value)
    assert "401 Unauthorized" in message and "GITLAB_TOKEN" in message and acme.standin.url in message
    assert "glpat-revoked" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no URL-laden chain
    assert len(acme.standin.requests) == 1  # a refused token is not retried


def test_no_gitlab_at_gitlab_url_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Nowhere:
        url, token = f"http://127.0.0.1:{port}", "t"

    with pytest.raises(
        DirectoryUnavailable, match=r"could not be reached \(connection refused\).*GITLAB_URL"
    ):
        directory_for(Nowhere, gitlab_max_retries=1).facts_for(request_for())  # type: ignore[arg-type]


def test_a_gitlab_slower_than_the_timeout_is_unavailable(acme: Acme) -> None:
    acme.standin.delay_next(2, seconds=0.6, path="/namespaces/")
    with pytest.raises(DirectoryUnavailable, match=r"did not answer within 0.2 s \(LOGDIVE_GITLAB_TIMEOUT\)"):
        directory_for(acme.standin, gitlab_timeout_seconds=0.2, gitlab_max_retries=1).facts_for(request_for())


# --- the cache -----------------------------------------------------------------------------------


def test_look_ups_are_cached_for_the_ttl_then_asked_again(acme: Acme) -> None:
    clock = FakeClock()
    directory = directory_for(acme.standin, clock=clock, cache_ttl=60)
    request = request_for(resources={"projects": ["acme-corp/nope"], "users": ["bob-acme"]})

    first = directory.facts_for(request)
    asked = len(acme.standin.requests)
    assert asked == 5  # namespace, 2 users, memberships, project (a 404)

    clock.advance(59)
    assert directory.facts_for(request) == first
    assert len(acme.standin.requests) == asked  # found and not-found answers both cached

    acme.standin.state.add_project("acme-corp/nope")
    clock.advance(1)
    again = directory.facts_for(request)
    assert len(acme.standin.requests) == 2 * asked
    assert by_name(again.resources)["project", "acme-corp/nope"].exists


def test_a_cached_user_still_gets_asked_about_a_new_namespace(acme: Acme) -> None:
    directory = directory_for(acme.standin)
    directory.facts_for(request_for())
    acme.standin.clear_requests()
    facts = directory.facts_for(request_for(customer_namespace="other-corp", requester_username="dave-other"))
    assert facts.requester_access_level == OWNER
    assert [r.path for r in acme.standin.requests] == [
        "/api/v4/namespaces/other-corp",
        "/api/v4/users",
        f"/api/v4/groups/{acme.other.id}/members/all",  # bob is known, his membership here is not
    ]


# --- overrides -----------------------------------------------------------------------------------


def test_overrides_lie_on_top_of_gitlabs_facts(acme: Acme) -> None:
    overrides = DirectoryOverrides.model_validate(
        {
            "namespaces": {
                "ACME-CORP": {"paid_since": "2025-01-01", "end_date": "2028-12-31"},
                "ghost-corp": {"plan": "ultimate"},
            }
        }
    )
    directory = directory_for(acme.standin, overrides=overrides)

    namespace = directory.facts_for(request_for()).namespace
    assert namespace is not None
    assert (namespace.paid_since, namespace.end_date, namespace.plan) == (
        date(2025, 1, 1),
        date(2028, 12, 31),
        "ultimate",
    )
    assert (
        directory.facts_for(request_for(customer_namespace="ghost-corp")).namespace is None
    )  # never invented
    assert directory.namespace("acme-corp").paid_since is None  # type: ignore[union-attr]  # GitLab's own facts


def test_the_example_overrides_file_is_valid() -> None:
    overrides = load_overrides(config_path("directory_overrides.example.toml"))
    assert overrides.namespaces["acme-corp"].paid_since == date(2025, 1, 1)
    assert overrides.namespaces["globex"].plan == "ultimate"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[namespaces.acme]\npaid_since = 2025-13-01\n", "not valid TOML"),
        (
            '[namespaces.acme]\npaid_since = "soon"\n',
            "namespaces.acme.paid_since: Input should be a valid date",
        ),
        (
            "[namespaces.acme]\npaid_snce = 2025-01-01\n",
            "namespaces.acme.paid_snce: unknown key; allowed: paid_since",
        ),
        ("[customers.acme]\npaid_since = 2025-01-01\n", "customers: unknown key; allowed: namespaces"),
    ],
)
def test_a_bad_overrides_file_says_where_and_what_is_allowed(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text(text)
    with pytest.raises(DirectoryOverridesError) as raised:
        load_overrides(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_a_missing_overrides_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(DirectoryOverridesError, match="LOGDIVE_DIRECTORY_OVERRIDES"):
        load_overrides(tmp_path / "absent.toml")


# --- built from the settings ---------------------------------------------------------------------


def test_the_directory_from_the_environment(
    acme: Acme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = tmp_path / "overrides.toml"
    overrides.write_text("[namespaces.acme-corp]\npaid_since = 2024-02-29\n")
    monkeypatch.setenv("GITLAB_URL", acme.standin.url)
    monkeypatch.setenv("GITLAB_TOKEN", acme.standin.token)
    monkeypatch.setenv("LOGDIVE_DIRECTORY_OVERRIDES", str(overrides))
    monkeypatch.setenv("LOGDIVE_GITLAB_MAX_RETRIES", "0")
    monkeypatch.setenv("LOGDIVE_DIRECTORY_CACHE_SECONDS", "0")

    directory = directory_from_settings(Settings(), clock=FakeClock())
    facts = directory.facts_for(request_for())
    assert facts.namespace is not None and facts.namespace.paid_since == date(2024, 2, 29)
    directory.facts_for(request_for())
    assert len(acme.standin.requests_to("/namespaces/")) == 2  # a zero TTL caches nothing

    acme.standin.fail_next(path="/namespaces/")
    with pytest.raises(DirectoryUnavailable, match="after 0 retries"):
        directory.facts_for(request_for())


def test_the_token_never_reaches_the_logs(
    acme: Acme, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging("DEBUG")
    # structlog caches a module's logger on first use, with the stream of that moment: fresh ones here
    monkeypatch.setattr(bot.gitlab.client, "log", get_logger("bot.gitlab.client"))
    monkeypatch.setattr(bot.gitlab.directory, "log", get_logger("bot.gitlab.directory"))
    directory_for(acme.standin).facts_for(request_for())
    with pytest.raises(DirectoryUnavailable):
        directory_for(acme.standin, gitlab_token="glpat-secret-value").facts_for(request_for())

    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    events = [json.loads(line)["event"] for line in lines if line.startswith("{")]
    assert "gitlab.client" in events and "directory.unavailable" in events
    for secret in (acme.standin.token, "glpat-secret-value", "alice-acme", "bob-acme"):
        assert all(secret not in line for line in lines)
