"""GitLab.com only: a request about a self-managed instance is refused, with the remedy (its own
administrators hold its logs), and no exception lifts it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.workflows.factories import NOW, facts_for, request
from workflows import eligibility
from workflows.assessment import Decision, Outcome
from workflows.policy import Policy


def assess(**fields: object):
    req = request(**fields)
    return eligibility.evaluate(req, facts_for(req), Policy(), NOW)


@pytest.mark.parametrize("given", [None, "gitlab.com", "GitLab.com", "https://gitlab.com/", "www.gitlab.com"])
def test_gitlab_com_passes(given: str | None) -> None:
    assessment = assess(**({} if given is None else {"gitlab_instance": given}))
    [result] = [r for r in assessment.rules if r.id == "instance"]
    assert result.outcome is Outcome.PASS and "GitLab.com" in result.reason
    assert assessment.decision is Decision.ELIGIBLE


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("gitlab.acme.internal", "gitlab.acme.internal"),
        ("https://Git.Example.com:8443/acme/api", "git.example.com:8443"),
    ],
)
def test_a_self_managed_instance_is_refused_with_its_remedy(given: str, host: str) -> None:
    policy = Policy.model_validate({"eligibility": {"exception_overridable": ["plan", "instance"]}})
    req = request(gitlab_instance=given)
    assessment = eligibility.evaluate(req, facts_for(req), policy, NOW)
    [result] = [r for r in assessment.rules if r.id == "instance"]
    assert result.outcome is Outcome.FAIL  # even where the policy would let Legal lift it
    assert host in result.reason and "self-managed" in result.reason
    assert result.remedy is not None and f"administrators of {host} hold its logs" in result.remedy
    assert "Legal" not in result.remedy
    assert assessment.decision is Decision.INELIGIBLE and assessment.route is None
    # Answered by this rule alone: the others would read GitLab.com's directory, which has no say.
    assert [r.id for r in assessment.rules] == ["instance"]
    assert eligibility.TITLES["instance"] == "GitLab.com"


@pytest.mark.parametrize("given", ["", "not a host", "javascript:alert(1)", "gitlab.com@evil", "a" * 400])
def test_an_instance_that_is_not_a_host_is_bad_input_naming_the_field(given: str) -> None:
    with pytest.raises(ValidationError) as raised:
        request(gitlab_instance=given)
    assert raised.value.errors()[0]["loc"] == ("gitlab_instance",)
