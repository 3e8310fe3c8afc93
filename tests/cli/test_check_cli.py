"""`logdive check` as a user runs it: the installed console script against the GitLab stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.sandbox.gitlab.server import GitLabStandIn
from tests.cli.conftest import Run
from tests.cli.conftest import request_data as _request

RULE_IDS = ["instance", "plan", "requester", "ownership", "window", "scope", "log_sources"]


def test_an_eligible_request_exits_0_with_every_rule_and_its_route(check: Any) -> None:
    done = check(_request(), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"decision", "route", "rules", "notes"}
    assert (result["decision"], result["route"]) == ("eligible", "support")
    assert [r["id"] for r in result["rules"]] == RULE_IDS
    for rule in result["rules"]:
        assert set(rule) == {"id", "outcome", "reason", "remedy"}
        assert rule["outcome"] == "pass" and rule["reason"] and rule["remedy"] is None

    human = check(_request())
    assert human.returncode == 0
    assert "decision: eligible" in human.stdout and "route: support" in human.stdout
    for rule_id in RULE_IDS:
        assert rule_id in human.stdout


def test_yaml_files_are_read_as_written(check: Any) -> None:
    yaml_request = """
customer_namespace: acme-corp
requester_username: '@alice-acme'
window: {start: 2026-11-04T00:00:00Z, end: 2026-11-08T00:00:00Z}
resources: {projects: [acme-corp/api]}
event_types: [member_updated]
paid_plan_confirmed: yes
"""
    done = check(yaml_request, "--json", suffix=".yaml")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "eligible"


def _refused(check: Any, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    done = check(request, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads(done.stdout)
    return result, {r["id"]: r for r in result["rules"]}


def test_a_free_plan_is_ineligible_and_says_why(check: Any) -> None:
    result, rules = _refused(
        check, _request(customer_namespace="free-co", requester_username="carol-free", resources={})
    )
    assert result["decision"] in ("ineligible", "exception_required")
    assert rules["plan"]["outcome"] != "pass"
    assert "free" in rules["plan"]["reason"].lower() and rules["plan"]["remedy"]


def test_a_requester_who_is_not_an_owner_is_refused(check: Any) -> None:
    result, rules = _refused(check, _request(requester_username="bob-acme"))
    assert result["decision"] == "ineligible" and result["route"] is None
    assert rules["requester"]["outcome"] == "fail"
    assert "Developer" in rules["requester"]["reason"]


def test_a_resource_outside_the_namespace_is_refused(check: Any) -> None:
    _, rules = _refused(check, _request(resources={"projects": ["acme-corp/api", "other-org/secret"]}))
    assert rules["ownership"]["outcome"] == "fail"
    assert "other-org/secret" in rules["ownership"]["reason"]


def test_a_window_older_than_the_look_back_needs_an_exception(check: Any) -> None:
    old = {"start": "2026-08-01T00:00:00Z", "end": "2026-08-05T00:00:00Z"}
    result, rules = _refused(check, _request(window=old))
    assert result["decision"] == "exception_required"
    assert rules["window"]["outcome"] == "exception_required" and rules["window"]["remedy"]


def test_too_many_resources_need_a_rescope(check: Any) -> None:
    projects = ["acme-corp/api", *(f"acme-corp/svc-{n}" for n in range(12))]
    result, rules = _refused(check, _request(resources={"projects": projects}))
    assert result["decision"] == "rescope"
    assert rules["scope"]["outcome"] == "rescope"


def test_an_accepted_cost_makes_a_wide_scope_eligible_for_sirt(check: Any) -> None:
    projects = ["acme-corp/api", *(f"acme-corp/svc-{n}" for n in range(12))]  # 13 resources
    done = check(_request(resources={"projects": projects}, scope_cost_accepted_hours=6), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"decision", "route", "rules", "notes"}
    assert (result["decision"], result["route"]) == ("eligible", "security")
    scope = {r["id"]: r for r in result["rules"]}["scope"]
    assert scope["outcome"] == "pass" and scope["remedy"] is None
    assert scope["reason"] == (
        "The scope is wider than standard: 13 resources (maximum 10). The customer accepted about 6 hours "
        "of extra effort (3 × 2 h per extra resource)."
    )
    human = check(_request(resources={"projects": projects}, scope_cost_accepted_hours=6), suffix=".yaml")
    assert human.returncode == 0 and "decision: eligible" in human.stdout


def test_fewer_hours_accepted_than_the_scope_needs_is_a_rescope_naming_both(check: Any) -> None:
    projects = ["acme-corp/api", *(f"acme-corp/svc-{n}" for n in range(12))]  # 13 resources: 6 hours
    done = check(_request(resources={"projects": projects}, scope_cost_accepted_hours=2), "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert (result["decision"], result["route"]) == ("rescope", None)
    scope = {r["id"]: r for r in result["rules"]}["scope"]
    assert scope["outcome"] == "rescope"
    assert "The customer accepted about 2 hours; this scope needs about 6" in scope["reason"]
    assert "scope_cost_accepted_hours" in scope["remedy"]


def test_scope_cost_accepted_hours_must_be_a_number_of_hours(check: Any) -> None:
    done = check(_request(scope_cost_accepted_hours=-2), "--json")
    assert done.returncode == 2
    assert "scope_cost_accepted_hours: must be at least 0; got '-2'" in done.stderr
    assert "a number of hours, 0 or more" in done.stderr  # what is allowed
    assert [e["field"] for e in json.loads(done.stdout)["errors"]] == ["scope_cost_accepted_hours"]
    # The old yes/no field is gone: true would have been a consent to no figure at all.
    flag = check(_request(scope_cost_accepted_hours=True), "--json")
    assert flag.returncode == 2 and "must be a number of hours, not true or false" in flag.stderr


def test_access_logs_are_not_supported(check: Any) -> None:
    result, rules = _refused(check, _request(log_sources=["application", "access"]))
    assert result["decision"] == "ineligible"
    assert rules["log_sources"]["outcome"] == "fail"
    human = check(_request(log_sources=["access"]))
    assert human.returncode == 1 and "decision: ineligible" in human.stdout


# ---------------------------------------------------------------------------------------------- bad input


def test_malformed_json_names_the_file_and_the_place(check: Any) -> None:
    done = check('{"customer_namespace": "acme-corp",}')
    assert done.returncode == 2
    assert "is not valid JSON" in done.stderr and "line 1, column" in done.stderr
    assert done.stdout == ""


def test_malformed_yaml_is_bad_input(check: Any) -> None:
    done = check("customer_namespace: [acme\nwindow: {", suffix=".yml")
    assert done.returncode == 2 and "is not valid YAML" in done.stderr


def test_a_missing_field_and_a_wrong_type_are_each_named(check: Any) -> None:
    request = _request(personal_data="sometimes")
    del request["requester_username"]
    done = check(request, "--json")
    assert done.returncode == 2
    assert "requester_username: is required" in done.stderr
    assert "personal_data: must be true or false" in done.stderr
    errors = json.loads(done.stdout)["errors"]
    assert {e["field"] for e in errors} == {"requester_username", "personal_data"}


def test_a_naive_time_is_refused_with_what_is_allowed(check: Any) -> None:
    done = check(_request(window={"start": "2026-11-04T00:00:00", "end": "2026-11-08T00:00:00Z"}))
    assert done.returncode == 2
    assert "window.start: must include a time zone" in done.stderr


def test_an_unknown_event_type_suggests_the_nearest(check: Any) -> None:
    done = check(_request(event_types=["member_updatd"]))
    assert done.returncode == 2
    assert "event_types: unknown event type 'member_updatd'; did you mean member_updated" in done.stderr


def test_an_unknown_namespace_is_bad_input(check: Any) -> None:
    done = check(_request(customer_namespace="acme-crop"))
    assert done.returncode == 2
    assert "customer_namespace: GitLab at" in done.stderr and "'acme-crop'" in done.stderr


def test_a_bad_now_and_a_missing_file_are_bad_input(check: Any, logdive: Run, tmp_path: Path) -> None:
    done = check(_request(), "--now", "2026-11-10 09:00")
    assert done.returncode == 2 and "--now:" in done.stderr and "UTC offset" in done.stderr
    missing = logdive("check", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


def test_gitlab_unreachable_exits_2_without_leaking_the_token(check: Any, gitlab: GitLabStandIn) -> None:
    down = check(_request(), env={"GITLAB_URL": "http://127.0.0.1:9"})
    assert down.returncode == 2
    assert "cannot reach GitLab at http://127.0.0.1:9" in down.stderr
    assert gitlab.token not in down.stdout + down.stderr

    gitlab.fail_always(status=503)
    failing = check(_request(), "--json")
    assert failing.returncode == 2
    assert f"cannot reach GitLab at {gitlab.url}" in failing.stderr and "503" in failing.stderr
    assert json.loads(failing.stdout)["errors"][0]["message"].startswith("cannot reach GitLab")
    assert gitlab.token not in failing.stdout + failing.stderr


def test_a_self_managed_instance_is_answered_by_its_rule_without_asking_gitlab(
    check: Any, gitlab: GitLabStandIn
) -> None:
    # A namespace and users GitLab.com has never heard of: a customer of their own instance.
    request = _request(
        gitlab_instance="https://gitlab.acme.internal/acme/",
        customer_namespace="acme-internal",
        requester_username="root",
        resources={"projects": ["acme-internal/api"], "users": ["ops"]},
    )
    result, rules = _refused(check, request)
    assert result["decision"] == "ineligible" and result["route"] is None
    assert list(rules) == ["instance"]  # the rules that read GitLab.com's directory have nothing to say
    assert rules["instance"]["outcome"] == "fail" and "gitlab.acme.internal" in rules["instance"]["reason"]
    assert "administrators of gitlab.acme.internal hold its logs" in rules["instance"]["remedy"]
    human = check(request)
    assert human.returncode == 1 and "decision: ineligible" in human.stdout
    assert "administrators of gitlab.acme.internal" in " ".join(human.stdout.split())
    assert gitlab.requests == []  # no look-up at all, not even of the namespace
    # The same request about GitLab.com is still bad input naming the namespace, after a look-up.
    done = check(_request(customer_namespace="acme-internal", requester_username="root", resources={}))
    assert done.returncode == 2 and "customer_namespace" in done.stdout + done.stderr
    assert gitlab.requests_to("/namespaces/")
