"""Malformed but authentic requests: signed Slack payloads and token-bearing GitLab hooks of odd shapes.

Each endpoint is fuzzed through real HTTP with hypothesis: valid payloads mutated (values of the wrong
type, keys missing, huge strings, unknown ids), and bodies that are not JSON at all. Every answer is
below 500, and nothing logged a traceback.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.slack import SlackStandIn
from bot.slack.blocks import case
from bot.slack.blocks.audit_gap import AUDIT_GAP_CALLBACK
from bot.slack.blocks.forms import CUSTOMER_UPDATE_CALLBACK, EXCEPTION_DENIAL_CALLBACK, REASON_BLOCK
from tests.slack.harness import (
    CASE_CHANNEL,
    CSM,
    TEAM,
    Bot,
    FactsDirectory,
    command_payload,
    form_values,
    start_bot,
    stop_bot,
)

WEBHOOK_SECRET = "hook-secret-for-fuzzing-0123"
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies ----------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        ["<!channel>", "U0LEG1", "1:1", "0", "-1", "99999999999999999999", "\x00", "{", "intake"]
    )
    | st.just("x" * 60_000)
)
JSON = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _slots(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `doc` (dict keys and list indices)."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield (*path, key)
        yield from _slots(value, (*path, key))


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to three values replaced by anything JSON can hold, or removed."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(doc))
        if not slots:
            break
        *parent_path, key = draw(st.sampled_from(slots))
        parent = doc
        for step in parent_path:
            parent = parent[step]
        if draw(st.booleans()):
            parent[key] = draw(JSON)
        elif isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    return doc


# -- the payloads Slack sends, as bases to mutate -----------------------------------------------

_USER = {"id": CSM, "username": "someone", "team_id": TEAM}
ACTION_IDS = [
    case.CLAIM,
    case.CANCEL,
    case.REQUEST_EXCEPTION,
    case.APPROVE_EXCEPTION,
    case.DENY_EXCEPTION,
    case.LOG_UPDATE,
    case.TRANSITION_PREFIX + "investigating",
    case.TRANSITION_PREFIX + "closed",
    case.TRANSITION_PREFIX + "nowhere",
    "case.unknown_action",
]


def block_actions(action_id: str, user: str = CSM) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {**_USER, "id": user},
        "api_app_id": "A0LOGDIVE",
        "trigger_id": "trigger-fuzz",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CASE_CHANNEL},
        "channel": {"id": CASE_CHANNEL},
        "message": {"ts": "1700000000.000100", "type": "message"},
        "actions": [{"action_id": action_id, "block_id": "b", "value": "1:1", "type": "button"}],
    }


def view_submission(callback_id: str, values: dict[str, Any], metadata: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": _USER,
        "api_app_id": "A0LOGDIVE",
        "trigger_id": "trigger-fuzz",
        "view": {
            "id": "V0FUZZ",
            "type": "modal",
            "callback_id": callback_id,
            "hash": "h",
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


_CLICK_META = json.dumps({"case_id": 1, "version": 1, "channel": CASE_CHANNEL, "thread_ts": "1.2"})
_REASON = {REASON_BLOCK: {REASON_BLOCK: {"type": "plain_text_input", "value": "because"}}}
SUBMISSIONS = [
    view_submission("intake", form_values(), '{"attempt":1,"tz":"Europe/Berlin"}'),
    view_submission(EXCEPTION_DENIAL_CALLBACK, _REASON, _CLICK_META),
    view_submission(CUSTOMER_UPDATE_CALLBACK, _REASON, _CLICK_META),
    view_submission(
        AUDIT_GAP_CALLBACK,
        {
            "nothing_missing": {
                "nothing_missing": {"type": "checkboxes", "selected_options": [{"value": "nothing"}]}
            }
        },
        _CLICK_META,
    ),
    view_submission("no_such_form", {}, ""),
]
SUGGESTION = {
    "type": "block_suggestion",
    "team": {"id": TEAM},
    "user": _USER,
    "api_app_id": "A0LOGDIVE",
    "action_id": "event_types",
    "block_id": "event_types",
    "value": "member",
    "view": {"id": "V0FORM", "type": "modal", "callback_id": "intake"},
}
MENTION = {
    "type": "event_callback",
    "team_id": TEAM,
    "api_app_id": "A0LOGDIVE",
    "event_id": "Ev0FUZZ",
    "event_time": 1700000000,
    "event": {
        "type": "app_mention",
        "user": CSM,
        "channel": CASE_CHANNEL,
        "text": "<@U0BOT> help",
        "ts": "1.2",
    },
}


# -- the bot, with the webhook configured --------------------------------------------------------


@pytest.fixture
def fuzzed(database_url: str, slack_standin: SlackStandIn) -> Iterator[Bot]:
    running, server, thread = start_bot(
        database_url,
        slack_standin,
        FactsDirectory(),
        gitlab_webhook_secret=WEBHOOK_SECRET,
        sirt_project="gl-security/sirt/operations",
    )
    yield running
    stop_bot(running, server, thread)


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    caplog.set_level(logging.INFO)
    yield
    captured = capfd.readouterr()
    text = captured.out + captured.err + caplog.text
    assert "Traceback" not in text
    assert "Exception in ASGI application" not in text
    assert not [r for r in caplog.records if r.exc_info]


def _post_payload(bot: Bot, payload: Any) -> int:
    return bot.signed_post(urlencode({"payload": json.dumps(payload)})).status_code


@EXAMPLES
@given(st.sampled_from(ACTION_IDS).flatmap(lambda a: mutated(block_actions(a))))
def test_mutated_block_actions_never_get_a_5xx(fuzzed: Bot, no_tracebacks: None, payload: dict) -> None:
    assert _post_payload(fuzzed, payload) < 500


@EXAMPLES
@given(st.sampled_from(SUBMISSIONS).flatmap(mutated))
def test_mutated_view_submissions_never_get_a_5xx(fuzzed: Bot, no_tracebacks: None, payload: dict) -> None:
    assert _post_payload(fuzzed, payload) < 500


@EXAMPLES
@given(mutated(SUGGESTION) | mutated(MENTION))
def test_mutated_suggestions_and_events_never_get_a_5xx(
    fuzzed: Bot, no_tracebacks: None, payload: dict
) -> None:
    body = json.dumps(payload) if payload.get("type") == "event_callback" else None
    if body is None:
        status = _post_payload(fuzzed, payload)
    else:
        status = fuzzed.signed_post(body, content_type="application/json").status_code
    assert status < 500


_COMMAND = command_payload("", CSM, "http://127.0.0.1:1/response/fuzz", "trigger-fuzz")


@EXAMPLES
@given(
    st.dictionaries(
        st.sampled_from(sorted(_COMMAND)),
        st.text(max_size=30) | st.sampled_from(["status", "list", "status LD-1", "x" * 60_000]),
        max_size=len(_COMMAND),
    ),
    st.sets(st.sampled_from(sorted(_COMMAND)), max_size=3),
)
def test_mutated_commands_never_get_a_5xx(
    fuzzed: Bot, no_tracebacks: None, changed: dict[str, str], dropped: set[str]
) -> None:
    form = {k: v for k, v in {**_COMMAND, **changed}.items() if k not in dropped}
    assert fuzzed.signed_post(urlencode(form)).status_code < 500


@EXAMPLES
@given(
    st.one_of(
        st.text(max_size=40).map(lambda t: urlencode({"payload": t})),  # `payload` that is not JSON
        JSON.map(lambda v: urlencode({"payload": json.dumps(v)})),  # JSON that is not an object
        st.text(max_size=40),  # a body of no known shape
        st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
        st.sampled_from(["[" * 100_000, '{"a":' * 100_000, urlencode({"payload": "[" * 100_000})]),
    ),
    st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
)
def test_bodies_of_no_known_shape_never_get_a_5xx(
    fuzzed: Bot, no_tracebacks: None, body: str, content_type: str
) -> None:
    assert fuzzed.signed_post(body, content_type=content_type).status_code < 500


# -- the GitLab webhook --------------------------------------------------------------------------

ISSUE_HOOK = {
    "object_kind": "issue",
    "event_type": "issue",
    "user": {"id": 7, "username": "sirt-sam", "name": "Sam"},
    "project": {"id": 3, "path_with_namespace": "gl-security/sirt/operations"},
    "object_attributes": {"iid": 1, "action": "close", "url": "https://gitlab.example/x/-/issues/1"},
}
NOTE_HOOK = {
    "object_kind": "note",
    "event_type": "note",
    "user": {"id": 7, "username": "sirt-sam", "name": "Sam"},
    "project": {"id": 3, "path_with_namespace": "gl-security/sirt/operations"},
    "object_attributes": {
        "id": 11,
        "note": "Finding: something",
        "noteable_type": "Issue",
        "action": "create",
        "url": "https://gitlab.example/x/-/issues/1#note_11",
        "system": False,
    },
    "issue": {"iid": 1},
}
HOOKS = [("Issue Hook", ISSUE_HOOK), ("Confidential Issue Hook", ISSUE_HOOK), ("Note Hook", NOTE_HOOK)]


@EXAMPLES
@given(
    st.sampled_from(HOOKS).flatmap(lambda h: st.tuples(st.just(h[0]), mutated(h[1]) | JSON)),
    st.sampled_from(["whole", "cut", "nested", "latin-1"]),
)
def test_odd_webhook_bodies_with_the_token_never_get_a_5xx(
    fuzzed: Bot, no_tracebacks: None, hook: tuple[str, Any], form: str
) -> None:
    event, payload = hook
    whole = json.dumps(payload).encode()
    body = {
        "whole": whole,
        "cut": whole[: len(whole) // 2],
        "nested": b"[" * 100_000,
        "latin-1": "\u00e9t\u00e9".encode("latin-1"),
    }[form]
    response = fuzzed.http.post(
        f"{fuzzed.url}/gitlab/webhook",
        content=body,
        headers={
            "X-Gitlab-Token": WEBHOOK_SECRET,
            "X-Gitlab-Event": event,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code < 500


def test_a_missing_field_is_named_in_the_answer(fuzzed: Bot) -> None:
    payload = block_actions(case.CLAIM)
    del payload["user"]["id"]
    response = fuzzed.signed_post(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 400
    assert response.json() == {
        "error": "malformed request: user.id is missing or not of the type Slack documents"
    }
