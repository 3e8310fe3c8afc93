"""Intake, `/security status` and `/security list` are for the roles that handle cases.

The bot looks GitLab up through the real directory against the GitLab stand-in, so "nothing was looked
up on their behalf" is the stand-in's own request log staying empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.gitlab import GitLabDirectory
from bot.slack.flows.access import REFUSAL
from tests.gitlab.conftest import Acme, directory_for
from tests.gitlab.conftest import acme as acme
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from tests.slack.harness import CSM, NOBODY, TEAM, Bot, form_values

REFUSED = "CSM, Support, SIRT and Legal"


@pytest.fixture
def directory(acme: Acme) -> GitLabDirectory:
    return directory_for(acme.standin)


def _suggestion(bot: Bot, user: str, value: str = "member") -> dict[str, Any]:
    response = bot.payload(
        {
            "type": "block_suggestion",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0LOGDIVE",
            "action_id": "event_types",
            "block_id": "event_types",
            "value": value,
            "view": {"id": "V0FORM", "type": "modal", "callback_id": "intake"},
        }
    )
    assert response.status_code == 200
    return response.json()


def _refusals(bot: Bot) -> list[Any]:
    return [c for c in bot.slack.calls_to("response_url") if REFUSED in c.args["text"]]


def test_a_person_without_a_role_is_refused_everywhere_and_nothing_is_looked_up(
    bot: Bot,
    acme: Acme,
    capfd: pytest.CaptureFixture[str],
) -> None:
    acme.standin.clear_requests()
    for text in ("", "status LD-1", "list"):
        assert bot.command(text, user=NOBODY).status_code == 200
    bot.wait(lambda: len(_refusals(bot)) == 3)
    assert all(c.args["response_type"] == "ephemeral" for c in _refusals(bot))
    assert bot.slack.calls_to("views.open") == []  # no form was opened

    # A crafted submission (the form was never opened for them): acknowledged, nothing filed.
    response = bot.submit(form_values(), view_id="V0CRAFTED", user=NOBODY)
    assert response.status_code == 200
    told = bot.slack.wait_for_call("views.update", lambda c: c.args.get("view_id") == "V0CRAFTED")
    assert REFUSED in str(told.args["view"]) and "Eligible" not in str(told.args["view"])
    assert _suggestion(bot, NOBODY) == {"options": []}

    bot.wait(lambda: len([e for e in bot.events() if e.kind == "unauthorised"]) == 5)
    refused = [e for e in bot.events() if e.kind == "unauthorised"]
    assert {e.data["action"] for e in refused} == {
        "intake.open",
        "status",
        "list",
        "intake.submit",
        "event_types.options",
    }
    assert all(e.case_id is None and e.actor == NOBODY and e.data["message"] == REFUSAL for e in refused)
    assert bot.cases() == []
    # No GitLab facts were fetched for them: no decision modal, no request to GitLab at all.
    assert acme.standin.requests == []
    logged = capfd.readouterr()
    lines = [line for line in (logged.out + logged.err).splitlines() if "refused_without_role" in line]
    assert len(lines) == 5 and not any(NOBODY in line for line in lines)


def test_the_case_roles_still_file_and_look_up(
    bot: Bot,
    acme: Acme,
) -> None:
    """The control: the same steps by a CSM reach GitLab and file the case."""
    acme.standin.clear_requests()
    assert _suggestion(bot, CSM)["options"]
    view_id = bot.open_intake(user=CSM)
    bot.submit(form_values(), view_id=view_id, user=CSM)
    bot.wait(lambda: len(bot.cases()) == 1)
    assert acme.standin.requests_to("/namespaces")
    bot.command("status LD-1", user=CSM)
    bot.command("list", user=CSM)
    bot.wait(lambda: len([c for c in bot.slack.calls_to("response_url") if "LD-1" in str(c.args)]) == 2)
    assert _refusals(bot) == []
    assert not [e for e in bot.events() if e.kind == "unauthorised"]
