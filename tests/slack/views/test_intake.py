"""The intake modal submitted: field errors, "checking…", the decision, one case however often delivered."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.intake_form import SCOPE_COST
from tests.slack.harness import CASE_CHANNEL, CSM, Bot, FactsDirectory, form_values
from workflows.request import WINDOW_ORDER_MESSAGE


def _result(bot: Bot, view_id: str, *, count: int = 1) -> dict:
    call = bot.slack.wait_for(
        lambda: [
            c
            for c in bot.slack.calls_to("views.update", ok=True)
            if c.args.get("view_id") == view_id and not c.args.get("hash")
        ][count - 1 :]
    )
    return call[0].args["view"]


def test_malformed_values_come_back_on_their_fields(bot: Bot) -> None:
    view_id = bot.open_intake()
    values = form_values(
        namespace="<!channel>", contact="", projects="acme-corp/api\n<@U123>", event_types=("no_such_event",)
    )
    values["window_end"]["window_end"]["selected_date_time"] = values["window_start"]["window_start"][
        "selected_date_time"
    ]
    response = bot.submit(values, view_id=view_id)
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {
        "customer_namespace",
        "requester_username",
        "projects",
        "event_types",
        "window_end",
    }
    assert body["errors"]["window_end"] == WINDOW_ORDER_MESSAGE  # the rule's one home, as in the CLI
    assert all("<" not in message for message in body["errors"].values())
    assert bot.cases() == []


def test_eligible_request_becomes_a_case_with_a_thread(bot: Bot) -> None:
    view_id = bot.open_intake()
    response = bot.submit(form_values(), view_id=view_id)
    assert response.json()["response_action"] == "update"
    assert "Checking" in str(response.json()["view"])
    view = _result(bot, view_id)
    assert "Eligible" in str(view) and "LD-1" in str(view)
    case = bot.cases()[0]
    assert case.state == "requested" and case.decision == "eligible" and case.created_by == CSM
    posted = bot.slack.wait_for_call("chat.postMessage", lambda c: c.args["channel"] == CASE_CHANNEL)
    assert "LD-1" in str(posted.args["blocks"])
    bot.wait(lambda: bot.case(case.id).slack_thread_ts == posted.response["ts"])


def test_the_same_submission_delivered_twice_makes_one_case(bot: Bot) -> None:
    view_id = bot.open_intake()
    values = form_values()
    for _ in range(3):
        bot.submit(values, view_id=view_id)
    _result(bot, view_id, count=3)
    assert len(bot.cases()) == 1
    bot.wait(lambda: bot.case(1).slack_thread_ts)
    assert len([c for c in bot.slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]) == 1


def _too_wide(bot: Bot, projects: int) -> tuple[str, str, dict]:
    """Open the form, submit more projects than the standard scope: (view id, the projects, the view back)."""
    view_id = bot.open_intake()
    many = "\n".join(f"acme-corp/p{i}" for i in range(projects))
    bot.submit(form_values(projects=many), view_id=view_id)
    return view_id, many, _result(bot, view_id)


def test_rescope_shows_what_to_narrow_and_the_form_again(bot: Bot) -> None:
    view_id, _, view = _too_wide(bot, 12)
    assert view["callback_id"] == "intake" and view["submit"]["text"] == "Resubmit"
    assert "Narrow the scope" in str(view) and "Remedy" in str(view)
    assert '"attempt":2' in view["private_metadata"]
    assert SCOPE_COST in _block_ids(view)
    # Edited and resubmitted: a new attempt of the same view is judged again.
    bot.submit(
        form_values(projects="acme-corp/api"), view_id=view_id, private_metadata=view["private_metadata"]
    )
    assert "Eligible" in str(_result(bot, view_id, count=2))
    assert [c.decision for c in bot.cases()] == ["rescope", "eligible"]


def _block_ids(view: dict) -> list[str]:
    return [block.get("block_id") for block in view["blocks"]]


def _offer(view: dict) -> dict:
    """The re-scope form's "Wider scope" option: its value is the figure its text shows."""
    [offer] = [b for b in view["blocks"] if b.get("block_id") == SCOPE_COST]
    assert offer["type"] == "input" and offer["optional"] is True
    assert offer["element"]["type"] == "checkboxes" and not offer["element"].get("initial_options")
    [option] = offer["element"]["options"]
    return option


def _ticked(values: dict[str, Any], *option_values: str) -> dict[str, Any]:
    """The form values with the "Wider scope" box as Slack sends it: these ticked (none: unticked)."""
    selected = [{"value": value} for value in option_values]
    return {**values, SCOPE_COST: {SCOPE_COST: {"type": "checkboxes", "selected_options": selected}}}


def test_a_wider_scope_can_be_accepted_instead_of_narrowed(bot: Bot) -> None:
    view_id, many, view = _too_wide(bot, 12)
    blank = bot.slack.calls_to("views.open", ok=True)[0].args["view"]
    assert SCOPE_COST not in _block_ids(blank)  # nothing to accept before a scope is judged
    option = _offer(view)
    assert float(option["value"]) == 4
    assert option["text"]["text"] == "The customer accepts the extra effort: about 4 hours"  # 2 × 2 h
    assert "accepts about 4 hours of extra effort" in str(view)
    # The scope fields are still there to narrow instead.
    assert {"projects", "groups", "users", "event_types"} <= set(_block_ids(view))

    # Resubmitted with the box ticked and the same wide scope, twice (a double click): one eligible case.
    accepted = _ticked(form_values(projects=many), option["value"])
    for _ in range(2):
        bot.submit(accepted, view_id=view_id, private_metadata=view["private_metadata"])
    decided = _result(bot, view_id, count=3)
    assert "Eligible" in str(decided)
    assert "The customer accepted about 4 hours of extra effort" in str(decided)
    assert [c.decision for c in bot.cases()] == ["rescope", "eligible"]
    case = bot.cases()[1]
    assert case.route == "security" and case.request["scope_cost_accepted_hours"] == 4
    posted = bot.slack.wait_for_call("chat.postMessage", lambda c: c.args["channel"] == CASE_CHANNEL)
    assert "Wider scope accepted" in str(posted.args["blocks"])
    assert "about 4 hours of extra effort" in str(posted.args["blocks"])
    assert len([c for c in bot.slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]) == 1


def test_the_box_left_unticked_comes_back_for_rescope_again(bot: Bot) -> None:
    view_id, many, view = _too_wide(bot, 11)
    bot.submit(
        _ticked(form_values(projects=many)),
        view_id=view_id,
        private_metadata=view["private_metadata"],
    )
    again = _result(bot, view_id, count=2)
    assert again["submit"]["text"] == "Resubmit" and SCOPE_COST in _block_ids(again)
    assert [c.decision for c in bot.cases()] == ["rescope", "rescope"]


def test_a_scope_widened_after_the_box_was_ticked_comes_back_with_the_new_figure(bot: Bot) -> None:
    view_id, _, view = _too_wide(bot, 11)
    at_two = _offer(view)
    assert at_two["text"]["text"] == "The customer accepts the extra effort: about 2 hours"  # 1 × 2 h
    # Ticked at 2 hours, and the scope widened too: 13 projects cost 6 hours nobody agreed to.
    thirteen = "\n".join(f"acme-corp/p{i}" for i in range(13))
    bot.submit(
        _ticked(form_values(projects=thirteen), at_two["value"]),
        view_id=view_id,
        private_metadata=view["private_metadata"],
    )
    again = _result(bot, view_id, count=2)
    assert again["submit"]["text"] == "Resubmit" and '"attempt":3' in again["private_metadata"]
    at_six = _offer(again)  # offered again, unticked, with the new figure
    assert at_six["text"]["text"] == "The customer accepts the extra effort: about 6 hours"  # 3 × 2 h
    assert float(at_six["value"]) == 6
    assert "The customer accepted about 2 hours; this scope needs about 6" in str(again)
    assert [c.decision for c in bot.cases()] == ["rescope", "rescope"]
    assert all(c.route is None for c in bot.cases())
    assert bot.cases()[1].request["scope_cost_accepted_hours"] == 2
    assert bot.slack.calls_to("chat.postMessage") == []  # no case went ahead

    # The new figure ticked: now the customer's consent covers the scope.
    bot.submit(
        _ticked(form_values(projects=thirteen), at_six["value"]),
        view_id=view_id,
        private_metadata=again["private_metadata"],
    )
    decided = _result(bot, view_id, count=3)
    assert "Eligible" in str(decided) and "The customer accepted about 6 hours of extra effort" in str(
        decided
    )
    assert [c.decision for c in bot.cases()] == ["rescope", "rescope", "eligible"]
    assert bot.cases()[2].request["scope_cost_accepted_hours"] == 6 and bot.cases()[2].route == "security"


@pytest.mark.parametrize(
    "ticked", [("accepted",), ("-4.0",), ("nan",), ("inf",), ("1e999",), ("4.0", "6.0"), ("4 ",), ("0x10",)]
)
def test_a_forged_or_malformed_figure_is_an_error_on_the_box(bot: Bot, ticked: tuple[str, ...]) -> None:
    view_id, many, view = _too_wide(bot, 12)
    response = bot.submit(
        _ticked(form_values(projects=many), *ticked),
        view_id=view_id,
        private_metadata=view["private_metadata"],
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {SCOPE_COST}
    assert body["errors"][SCOPE_COST].startswith("Not an offered figure")
    assert [c.decision for c in bot.cases()] == ["rescope"]


def test_ineligible_request_is_recorded_and_nothing_is_created(bot: Bot) -> None:
    view_id = bot.open_intake()
    bot.submit(form_values(projects="other-corp/api"), view_id=view_id)
    view = _result(bot, view_id)
    assert "Not eligible" in str(view) and "Remedy" in str(view)
    case = bot.cases()[0]
    assert case.state == "rejected" and case.decision == "ineligible"
    bot.runtime.tick()
    assert not [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == CASE_CHANNEL]


def test_a_slow_directory_does_not_delay_acknowledgements(bot: Bot, directory: FactsDirectory) -> None:
    """Ordering, not timing: the submission and a later command are answered while the directory
    look-up the submission started is still held (a slow GitLab)."""
    view_id = bot.open_intake()
    directory.held = True
    submitted = bot.submit(form_values(), view_id=view_id)
    response = bot.command("help")
    assert submitted.status_code == 200 and response.status_code == 200
    assert "/security status" in response.text
    assert directory.answered == 0  # both acknowledged before the look-up returned
    directory.release.set()
    assert "Eligible" in str(_result(bot, view_id))
    assert directory.answered == 1
