"""Where the customer's GitLab runs, asked by the intake form: GitLab.com by default; a self-managed instance
(with its URL) is refused by the `instance` rule with its remedy, and GitLab is not asked about it.

The bot runs with the real directory (python-gitlab) against the GitLab stand-in, and is reached through
signed HTTP as Slack reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.gitlab.directory import GitLabDirectory
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.gitlab.state import OWNER
from bot.sandbox.slack import SlackStandIn
from bot.slack.intake_form import INSTANCE, INSTANCE_ERROR, INSTANCE_KIND
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture
from tests.slack.harness import CASE_CHANNEL, Bot, form_values, start_bot, stop_bot


@pytest.fixture
def bot(
    database_url: str,
    slack_standin: SlackStandIn,
    gitlab_standin: GitLabStandIn,  # noqa: F811 -- uses the fixture
) -> Iterator[Bot]:
    state = gitlab_standin.state
    acme = state.add_group("acme-corp", plan="ultimate")
    state.add_project("acme-corp/api")
    state.add_member(acme, state.add_user("alice-acme"), OWNER)
    directory = GitLabDirectory(gitlab_standin.gitlab())
    running, server, thread = start_bot(database_url, slack_standin, directory)  # type: ignore[arg-type]
    yield running
    stop_bot(running, server, thread)
    assert not [
        c for c in slack_standin.calls if c.response.get("error") in ("invalid_blocks", "invalid_arguments")
    ]


def _decision(bot: Bot, view_id: str) -> dict[str, Any]:
    call = bot.slack.wait_for(
        lambda: [
            c
            for c in bot.slack.calls_to("views.update", ok=True)
            if c.args.get("view_id") == view_id and not c.args.get("hash")
        ]
    )
    return call[0].args["view"]


def _text(view: dict[str, Any]) -> str:
    return " ".join(str(view["blocks"]).split())


def test_the_form_asks_where_gitlab_runs_gitlab_com_by_default(bot: Bot) -> None:
    bot.open_intake()
    blank = bot.slack.calls_to("views.open", ok=True)[0].args["view"]
    blocks = {b.get("block_id"): b for b in blank["blocks"]}
    kind = blocks[INSTANCE_KIND]["element"]
    assert kind["type"] == "radio_buttons" and kind["initial_option"]["value"] == "gitlab_com"
    assert [o["value"] for o in kind["options"]] == ["gitlab_com", "self_managed"]
    assert blocks[INSTANCE]["optional"] is True and blocks[INSTANCE]["element"]["type"] == "plain_text_input"


def test_a_self_managed_request_is_refused_with_its_remedy_and_gitlab_is_not_asked(
    bot: Bot,
    gitlab_standin: GitLabStandIn,  # noqa: F811 -- uses the fixture
) -> None:
    view_id = bot.open_intake()
    values = form_values(
        self_managed=True,
        instance="https://GitLab.acme.internal/acme-corp/api",
        namespace="acme-internal",
        contact="root",
        projects="acme-internal/api",
    )
    response = bot.submit(values, view_id=view_id)
    assert response.json()["response_action"] == "update"
    text = _text(_decision(bot, view_id))
    assert "Not eligible" in text and "GitLab.com" in text  # the rule, by its title
    assert "gitlab.acme.internal, a self-managed GitLab instance" in text
    assert "The administrators of gitlab.acme.internal hold its logs" in text
    [case] = bot.cases()
    assert case.state == "rejected" and case.decision == "ineligible"
    assert gitlab_standin.requests == []  # nothing looked up on GitLab.com for another instance
    bot.runtime.tick()
    assert not [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == CASE_CHANNEL]


def test_the_same_form_on_gitlab_com_is_looked_up_and_judged(
    bot: Bot,
    gitlab_standin: GitLabStandIn,  # noqa: F811 -- uses the fixture
) -> None:
    view_id = bot.open_intake()
    bot.submit(form_values(), view_id=view_id)
    assert "Eligible" in _text(_decision(bot, view_id))
    assert gitlab_standin.requests_to("/namespaces/acme-corp")
    assert bot.cases()[0].decision == "eligible"


@pytest.mark.parametrize(
    ("self_managed", "instance", "errors"),
    [
        (True, "", {INSTANCE: "Required for a self-managed instance"}),
        (True, "not a host!", {INSTANCE: INSTANCE_ERROR}),
        (True, "https://gitlab.com/acme-corp", {INSTANCE: "GitLab.com is not self-managed"}),
        (False, "gitlab.acme.internal", {INSTANCE: "Only for a self-managed instance"}),
    ],
)
def test_an_instance_that_does_not_add_up_is_an_error_on_its_field(
    bot: Bot,
    gitlab_standin: GitLabStandIn,  # noqa: F811 -- uses the fixture
    self_managed: bool,
    instance: str,
    errors: dict[str, str],
) -> None:
    view_id = bot.open_intake()
    body = bot.submit(form_values(self_managed=self_managed, instance=instance), view_id=view_id).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == set(errors)
    for block, start in errors.items():
        assert body["errors"][block].startswith(start)
    assert bot.cases() == [] and gitlab_standin.requests == []


@pytest.mark.parametrize("kind", [None, {"value": "on_prem"}, "self_managed"])
def test_a_missing_or_forged_choice_is_an_error_not_gitlab_com(bot: Bot, kind: Any) -> None:
    view_id = bot.open_intake()
    values = form_values()
    values[INSTANCE_KIND][INSTANCE_KIND] = {"type": "radio_buttons", "selected_option": kind}
    body = bot.submit(values, view_id=view_id).json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {INSTANCE_KIND: "Choose GitLab.com or a self-managed instance."}
    assert bot.cases() == []
