"""Every case action × every role: allowed ones change the case, the rest change nothing and are recorded."""

from __future__ import annotations

import json

import pytest

from tests.slack.cases_setup import make_case
from tests.slack.harness import CSM, LEGAL, NOBODY, SIRT, SUPPORT, Bot

ROLES = {"csm": CSM, "support": SUPPORT, "sirt": SIRT, "legal": LEGAL, "none": NOBODY}

# action -> (case kind, action id, opens a reason modal first, roles allowed)
ACTIONS = {
    "claim": ("eligible", "case.claim", None, {"support"}),  # a support-route case
    "start_investigating": ("triaged", "case.transition.investigating", None, {"support", "sirt"}),
    "cancel": ("eligible", "case.cancel", None, {"csm", "support", "sirt"}),
    "request_exception": ("exception", "case.request_exception", "exception_request", {"csm"}),
    "approve_exception": ("pending", "case.approve_exception", None, {"legal"}),
    "deny_exception": ("pending", "case.deny_exception", "exception_denial", {"legal"}),
    "log_update": ("eligible", "case.log_update", "customer_update", {"csm", "support", "sirt"}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_matrix(bot: Bot, action: str) -> None:
    kind, action_id, form, allowed = ACTIONS[action]
    for role, user in ROLES.items():
        case = make_case(bot, kind)
        before = (case.state, case.version, case.owner, case.decision)
        events_before = len(bot.events(case.id))
        ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
        bot.click(action_id, f"{case.id}:{case.version}", user=user, message_ts=case.slack_thread_ts)
        if role in allowed:
            if form:
                opened = bot.slack.wait_for_call(
                    "views.open",
                    lambda c, cid=case.id: (
                        json.loads(c.args["view"]["private_metadata"] or "{}").get("case_id") == cid
                        and c.args["view"]["callback_id"] == form
                    ),
                )
                bot.submit(
                    {"reason": {"reason": {"type": "plain_text_input", "value": "Because."}}},
                    view_id=opened.response["view"]["id"],
                    user=user,
                    callback_id=form,
                    private_metadata=opened.args["view"]["private_metadata"],
                )
            bot.wait(lambda cid=case.id, v=before[1]: bot.case(cid).version > v)
            assert bot.events(case.id)[-1].actor == user, (action, role)
        else:
            told = bot.slack.wait_for(
                lambda n=ephemerals, u=user: [
                    c for c in bot.slack.calls_to("chat.postEphemeral")[n:] if c.args["user"] == u
                ]
            )
            assert "Nothing changed" in told[0].args["text"], (action, role)
            after = bot.case(case.id)
            assert (after.state, after.version, after.owner, after.decision) == before, (action, role)
            refusal = bot.events(case.id)[events_before:]
            assert [e.kind for e in refusal] in (["unauthorised"], ["refused"]), (action, role)
            assert refusal[0].actor == user
