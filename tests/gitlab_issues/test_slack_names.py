"""GitLab notes name people by their Slack display names (users.info), never by raw ids where Slack knows
them; a display name is its owner's text and stays inert in GitLab."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient

from bot.db.models import Case, CaseEvent
from bot.gitlab.issue_content import actor_name, event_note
from bot.sandbox.gitlab.markdown import extract_quick_actions, read
from bot.sandbox.slack import SlackStandIn
from bot.slack.people import SlackNames

SAM, MALLORY, GHOST = "U0SUP0001", "U0MAL0001", "U0GONE001"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(
        users={
            SAM: {"id": SAM, "real_name": "Samuel Patel", "profile": {"display_name": "Sam Patel"}},
            MALLORY: {
                "id": MALLORY,
                "profile": {"display_name": "@all\n/close #12 <b>x</b>", "real_name": ""},
            },
        }
    ).start()
    yield standin
    standin.stop()


def names_for(slack: SlackStandIn) -> SlackNames:
    return SlackNames(WebClient(token=slack.bot_token, base_url=slack.base_url), ttl_seconds=300)


def test_display_names_are_asked_once_and_unknown_people_fall_back_to_their_id(slack: SlackStandIn) -> None:
    names = names_for(slack)
    assert names(SAM) == "Sam Patel"
    assert names(SAM) == "Sam Patel"
    assert len(slack.calls_to("users.info")) == 1  # cached
    assert names(GHOST) is None  # user_not_found
    assert names("system") is None and names("cli:alice") is None  # not Slack ids: never asked
    assert len(slack.calls_to("users.info")) == 2
    assert actor_name(SAM, names) == "Sam Patel (Slack)"
    assert actor_name(GHOST, names) == f"Slack user {GHOST}"
    assert actor_name("gitlab:sam", names) == "sam (GitLab)"


def test_a_note_names_the_person_and_keeps_a_hostile_display_name_inert(slack: SlackStandIn) -> None:
    names = names_for(slack)
    case = Case(
        id=7, customer_namespace="acme-corp", requester_username="alice", state="triaged", created_by=SAM
    )
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    claimed = CaseEvent(
        id=3, case_id=7, at=at, actor=SAM, actor_role="support", kind="claim", to_state="triaged"
    )
    note = event_note(case, claimed, names=names)
    assert "Sam Patel (Slack)" in note and SAM not in note
    hostile = CaseEvent(
        id=4, case_id=7, at=at, actor=MALLORY, actor_role="sirt", kind="claim", to_state="triaged"
    )
    note = event_note(case, hostile, names=names)
    _remaining, actions = extract_quick_actions(note)
    assert actions == []
    assert read(note).mentions == () and read(note).references == ()
    assert read(note).html == ("<!-- logdive-event:4 -->\n",)
