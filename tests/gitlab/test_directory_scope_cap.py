"""The directory refuses a scope over the policy's hard cap before it asks GitLab anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.gitlab import GitLabDirectory, make_gitlab
from bot.gitlab.directory import ScopeTooLarge, directory_from_settings
from tests.gitlab.conftest import Acme, directory_for, request_for, settings_for
from workflows.policy import EligibilityPolicy


def test_a_scope_over_the_hard_cap_costs_no_gitlab_call(acme: Acme) -> None:
    cap = EligibilityPolicy().hard_max_resources
    request = request_for(resources={"projects": [f"acme-corp/p{n}" for n in range(cap + 1)]})
    acme.standin.clear_requests()
    with pytest.raises(ScopeTooLarge, match=f"resources: names {cap + 1} projects.*at most {cap}"):
        directory_for(acme.standin).facts_for(request)
    assert acme.standin.requests == []


def test_the_cap_comes_from_the_deployment_policy(acme: Acme) -> None:
    limits = EligibilityPolicy(max_resources=1, hard_max_resources=2)
    directory = GitLabDirectory(make_gitlab(settings_for(acme.standin)), limits=limits)
    request = request_for(resources={"projects": ["acme-corp/api"], "users": ["bob-acme", "carol-acme"]})
    acme.standin.clear_requests()
    with pytest.raises(ScopeTooLarge, match="at most 2"):
        directory.facts_for(request)
    assert acme.standin.requests == []
    within = request_for(resources={"projects": ["acme-corp/api"], "users": ["bob-acme"]})
    assert directory.facts_for(within).namespace is not None  # up to the cap: asked as usual


def test_directory_from_settings_reads_the_cap_from_the_policy_file(acme: Acme, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[eligibility]\nmax_resources = 1\nhard_max_resources = 1\n", encoding="utf-8")
    settings = settings_for(acme.standin, policy_file=policy)
    acme.standin.clear_requests()
    with pytest.raises(ScopeTooLarge, match="at most 1"):
        directory_from_settings(settings).facts_for(request_for())
    assert acme.standin.requests == []
