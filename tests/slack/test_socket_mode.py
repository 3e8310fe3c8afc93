"""`logdive socket` end to end: the installed command as a subprocess, its real Socket Mode client
(slack_bolt's AsyncSocketModeHandler on aiohttp) asking the Slack stand-in for a link with the app-level
token and taking envelopes over a real WebSocket; the acknowledgements are read off that socket."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import websocket
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent
from bot.sandbox.slack import SlackStandIn, SocketModeStandIn
from bot.sandbox.slack.socket_mode import Ack
from bot.settings import Settings
from tests.slack.bot_process import APP_TOKEN, LOGDIVE, bot_env, closed_port
from tests.slack.cases_setup import record_case
from tests.slack.harness import (
    BOT_TOKEN,
    CASE_CHANNEL,
    CSM,
    GROUPS,
    INTAKE_BLOCKS,
    NOBODY,
    TEAM,
    USERS,
    command_payload,
    form_values,
)

pytestmark = pytest.mark.timeout(90)

# Bolt's warning when it is given a client and also finds SLACK_BOT_TOKEN in the environment.
UNUSED_TOKEN_WARNING = "`token` will be unused"
# Only a hang fails on time: an acknowledgement or an exit this late is stuck, not slow. How fast the
# bot acknowledges and stops is measured in benchmarks/slack_ack.py, not asserted here.
HANG_SECONDS = 60.0


@dataclass
class SocketBot:
    """`logdive socket` running against the stand-in; envelopes pushed as Slack pushes them."""

    process: subprocess.Popen[bytes]
    slack: SlackStandIn
    link: SocketModeStandIn
    database_url: str
    log: Path
    _ids: Iterator[int] = field(default_factory=lambda: count(1))

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        try:
            return self.link.wait_for_ack(envelope_id, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- logdive socket ---\n{self.output()[-4000:]}") from None

    # -- envelopes, their payloads as Slack sends them over Socket Mode ----------------------------
    def command(self, text: str = "", *, user: str = CSM, trigger_id: str | None = None) -> str:
        n = next(self._ids)
        return self.link.push(
            "slash_commands",
            command_payload(text, user, self.slack.response_url(f"cmd{n}"), trigger_id or f"trigger-s{n}"),
        )

    def submit(self, values: dict[str, Any], *, view_id: str, user: str = CSM) -> str:
        return self.link.push(
            "interactive",
            {
                "type": "view_submission",
                "team": {"id": TEAM, "domain": "standin"},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0LOGDIVE",
                "trigger_id": f"trigger-v{next(self._ids)}",
                "view": {
                    "id": view_id,
                    "type": "modal",
                    "callback_id": "intake",
                    "hash": "h",
                    "private_metadata": '{"attempt":1,"tz":"Europe/Berlin"}',
                    "state": {"values": values},
                },
            },
        )

    def click(self, action_id: str, value: str, *, user: str, message_ts: str) -> str:
        return self.link.push(
            "interactive",
            {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "standin"},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0LOGDIVE",
                "trigger_id": f"trigger-a{next(self._ids)}",
                "response_url": self.slack.response_url("act"),
                "container": {"type": "message", "message_ts": message_ts, "channel_id": CASE_CHANNEL},
                "channel": {"id": CASE_CHANNEL, "name": "cases"},
                "message": {"ts": message_ts, "type": "message"},
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "type": "button",
                        "action_ts": str(time.time()),
                    }
                ],
            },
        )

    def open_intake(self, user: str = CSM) -> dict[str, Any]:
        """/security over the socket; the views.open call Slack saw."""
        trigger = f"trigger-open-{uuid.uuid4().hex[:8]}"
        self.ack(self.command("", user=user, trigger_id=trigger))
        opened = self.slack.wait_for_call(
            "views.open", lambda c: c.args.get("trigger_id") == trigger, timeout=10
        )
        assert opened.ok, opened.response
        return opened.response["view"]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(
        users=USERS, usergroups=GROUPS, socket_mode=SocketModeStandIn(app_token=APP_TOKEN)
    ).start()
    yield standin
    standin.stop()


StartBot = Callable[..., SocketBot]


@pytest.fixture
def start_socket_bot(database_url: str, slack: SlackStandIn, tmp_path: Path) -> Iterator[StartBot]:
    """Start `logdive socket`; it is always stopped, and afterwards nothing it did broke Slack's rules."""
    assert LOGDIVE.exists(), f"the console script is missing: {LOGDIVE} (pip install -e '.[test]')"
    link = slack.socket_mode
    assert link is not None
    running: list[SocketBot] = []

    def start(*, connect: bool = True, **overrides: str | None) -> SocketBot:
        """`connect=False`: return at once rather than when the first WebSocket is open."""
        log = tmp_path / f"logdive-socket-{len(running) + 1}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(LOGDIVE), "socket"],
                env=bot_env(slack, database_url, tmp_path, **overrides),
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        bot = SocketBot(process=process, slack=slack, link=link, database_url=database_url, log=log)
        running.append(bot)
        if not connect:
            return bot
        connections = link.connections
        deadline = time.monotonic() + 30
        while link.connections <= connections:
            if process.poll() is not None:
                raise AssertionError(f"logdive socket exited {process.returncode}:\n{bot.output()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"logdive socket never connected:\n{bot.output()[-4000:]}")
            time.sleep(0.05)
        return bot

    try:
        yield start
    finally:
        for bot in running:
            if bot.process.poll() is None:
                bot.process.terminate()
                try:
                    bot.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    bot.process.kill()
                    bot.process.wait(timeout=10)
    for bot in running:
        output = bot.output()
        assert "Traceback" not in output, output[-4000:]
        assert UNUSED_TOKEN_WARNING not in output  # the app is built from the token alone
        # Neither token reaches a log line, however the libraries log the connection.
        assert APP_TOKEN not in output and BOT_TOKEN not in output
    assert not link.protocol_errors, link.protocol_errors
    invalid = [c for c in slack.calls if c.response.get("error") in ("invalid_blocks", "invalid_arguments")]
    assert not invalid, [(c.method, c.response) for c in invalid]


def _log_lines(output: str) -> list[dict[str, Any]]:
    """The bot's JSON log lines (one event a line); anything else it printed is left out."""
    lines = []
    for line in output.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


def _not_stuck(ack: Ack) -> None:
    assert ack.seconds < HANG_SECONDS, f"acknowledged after {ack.seconds:.2f} s"


# -- the tests --------------------------------------------------------------------------------------


def test_connects_with_the_app_token_and_opens_the_intake_modal(
    start_socket_bot: StartBot, slack: SlackStandIn
) -> None:
    bot = start_socket_bot()
    opened = slack.calls_to("apps.connections.open")
    assert [(c.ok, c.token) for c in opened] == [(True, APP_TOKEN)]
    envelope = bot.command("", trigger_id="trigger-socket-open")
    ack = bot.ack(envelope)
    assert ack.envelope_id == envelope and ack.raw["envelope_id"] == envelope
    assert not ack.payload  # a bare acknowledgement: the modal is opened with the trigger id instead
    _not_stuck(ack)
    call = slack.wait_for_call("views.open", lambda c: c.args.get("trigger_id") == "trigger-socket-open")
    assert call.ok, call.response  # the stand-in validated the view with slack_sdk.models
    assert call.token == BOT_TOKEN
    assert call.args["view"]["callback_id"] == "intake"
    assert {b.get("block_id") for b in call.args["view"]["blocks"]} >= INTAKE_BLOCKS
    # Web API calls go out with the bot token; the app-level token only ever opened the link.
    assert {c.token for c in slack.calls if c.method != "apps.connections.open"} == {BOT_TOKEN}


def test_help_is_answered_in_the_acknowledgement(start_socket_bot: StartBot) -> None:
    bot = start_socket_bot()
    help_ack = bot.ack(bot.command("help"))
    _not_stuck(help_ack)
    assert help_ack.payload is not None
    assert "/security status" in help_ack.payload["text"]
    assert help_ack.payload["response_type"] == "ephemeral"
    unknown = bot.ack(bot.command("<!channel> now")).payload
    assert unknown is not None
    assert "&lt;!channel&gt;" in unknown["text"] and "<!channel>" not in json.dumps(unknown)
    assert not bot.slack.calls_to("views.open")


def test_malformed_intake_comes_back_as_field_errors_in_the_ack(start_socket_bot: StartBot) -> None:
    bot = start_socket_bot()
    view = bot.open_intake()
    values = form_values(
        namespace="<!channel>", contact="", projects="acme-corp/api\n<@U123>", event_types=("no_such_event",)
    )
    # The window ends where it starts.
    values["window_end"]["window_end"]["selected_date_time"] = values["window_start"]["window_start"][
        "selected_date_time"
    ]
    ack = bot.ack(bot.submit(values, view_id=view["id"]))
    _not_stuck(ack)
    assert ack.payload is not None and ack.payload["response_action"] == "errors"
    errors = ack.payload["errors"]
    assert set(errors) == {
        "customer_namespace",
        "requester_username",
        "projects",
        "event_types",
        "window_end",
    }
    assert set(errors) <= {b.get("block_id") for b in view["blocks"]}  # Slack shows them on those fields
    assert all(message and "<" not in message for message in errors.values())
    with session_scope(bot.database_url) as session:
        assert session.exec(select(Case)).all() == []


def _case_awaiting_claim(database_url: str) -> int:
    """An eligible support-route case, recorded before the bot starts; its outbox posts the thread."""
    return record_case(database_url, Settings(database_url=database_url).load_policy())


def _case(database_url: str, case_id: int) -> Case:
    with session_scope(database_url) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def _events(database_url: str, case_id: int) -> list[CaseEvent]:
    with session_scope(database_url) as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
        return list(session.exec(query).all())


def test_a_click_without_the_role_is_acked_and_refused(
    start_socket_bot: StartBot, slack: SlackStandIn, database_url: str
) -> None:
    case_id = _case_awaiting_claim(database_url)
    bot = start_socket_bot()
    thread_ts = slack.wait_for(lambda: _case(database_url, case_id).slack_thread_ts, timeout=20)
    case = _case(database_url, case_id)
    assert case.state == "requested" and case.owner is None
    before = (case.state, case.version, case.owner, case.decision)
    events_before = len(_events(database_url, case_id))

    ack = bot.ack(bot.click("case.claim", f"{case_id}:{case.version}", user=NOBODY, message_ts=thread_ts))
    _not_stuck(ack)
    assert not ack.payload  # block actions accept no response payload
    told = slack.wait_for_call("chat.postEphemeral", lambda c: c.args.get("user") == NOBODY, timeout=10)
    assert told.ok and "Nothing changed" in told.args["text"]
    assert told.args["channel"] == CASE_CHANNEL
    # The roles came from Slack's user groups, asked with the bot token; none holds NOBODY.
    assert slack.calls_to("usergroups.users.list", ok=True)
    refusal = slack.wait_for(lambda: _events(database_url, case_id)[events_before:], timeout=10)
    assert [(e.kind, e.actor) for e in refusal] in ([("unauthorised", NOBODY)], [("refused", NOBODY)])
    after = _case(database_url, case_id)
    assert (after.state, after.version, after.owner, after.decision) == before


def test_a_refresh_requested_disconnect_reconnects_with_a_new_link(
    start_socket_bot: StartBot, slack: SlackStandIn
) -> None:
    bot = start_socket_bot()
    bot.link.disconnect("refresh_requested")
    bot.link.wait_for_connection(2, timeout=15)
    assert [c.ok for c in slack.calls_to("apps.connections.open")] == [True, True]
    slack.wait_for(lambda: bot.link.open_connections == 1, timeout=10)  # the old socket is closed
    ack = bot.ack(bot.command("help"))
    assert ack.connection == 2 and ack.payload is not None and "/security status" in ack.payload["text"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_closes_the_socket_drains_and_exits_0(
    start_socket_bot: StartBot, signum: signal.Signals
) -> None:
    """How a container stops it (SIGTERM), or Ctrl-C: the websocket closed with a close frame, the
    scheduler and the pools drained (runtime.stop), exit 0."""
    bot = start_socket_bot()
    _not_stuck(bot.ack(bot.command("help")))
    assert bot.link.client_close_codes == [None]  # open
    bot.process.send_signal(signum)
    try:
        code = bot.process.wait(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {signum.name}:\n{bot.output()[-4000:]}") from None
    output = bot.output()
    assert code == 0, output[-4000:]
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-4000:]
    assert bot.link.client_close_codes == [1000]  # a normal closure, sent by the bot, not a dropped TCP link
    lines = _log_lines(output)
    events = [line.get("event") for line in lines]
    stopping = events.index("socket.stopping")
    assert lines[stopping].get("signal") == signum.name
    assert "runtime.stopped" in events[stopping:]  # runtime.stop() ran, after the signal


def test_transient_link_failures_are_retried(start_socket_bot: StartBot, slack: SlackStandIn) -> None:
    """An outage or a rate limit at apps.connections.open is waited out, a log line each, no traceback."""
    slack.answer_next(
        "apps.connections.open",
        (503, {"ok": False, "error": "service_unavailable"}),
        (429, {"ok": False, "error": "ratelimited"}),
    )
    bot = start_socket_bot()
    opened = slack.calls_to("apps.connections.open")
    assert [c.response.get("error") for c in opened] == ["service_unavailable", "ratelimited", None]
    assert opened[-1].ok and {c.token for c in opened} == {APP_TOKEN}
    assert bot.output().count("socket.link_failed") == 2
    assert bot.ack(bot.command("help")).payload is not None


def test_an_unreachable_slack_is_retried_until_a_stop_signal(
    start_socket_bot: StartBot, slack: SlackStandIn
) -> None:
    bot = start_socket_bot(connect=False, SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/")
    deadline = time.monotonic() + 20
    while bot.output().count("socket.link_failed") < 2:  # after 1 s, then 2 s
        assert bot.process.poll() is None, bot.output()[-4000:]
        assert time.monotonic() < deadline, bot.output()[-4000:]
        time.sleep(0.1)
    assert "ClientConnectorError" in bot.output()
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(timeout=HANG_SECONDS) == 0, bot.output()[-4000:]
    assert not slack.calls and not bot.link.connections


def _run_socket(
    slack: SlackStandIn, database_url: str, tmp_path: Path, **overrides: str | None
) -> subprocess.CompletedProcess[str]:
    """`logdive socket` expected to exit by itself (a hang fails at the timeout); what it printed."""
    assert LOGDIVE.exists(), f"the console script is missing: {LOGDIVE}"
    return subprocess.run(
        [str(LOGDIVE), "socket"],
        env=bot_env(slack, database_url, tmp_path, **overrides),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
    )


@pytest.mark.parametrize(
    "app_token", ["xoxb-1-A0LOGDIVE-bottokensecret", "xoxp-1-usertokensecret", "A0LOGDIVE-plainsecretvalue"]
)
def test_a_token_that_is_not_app_level_is_refused_before_any_slack_call(
    slack: SlackStandIn, database_url: str, tmp_path: Path, app_token: str
) -> None:
    done = _run_socket(slack, database_url, tmp_path, SLACK_APP_TOKEN=app_token)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert app_token not in output and app_token[5:] not in output  # not even the part after the prefix
    message = " ".join(done.stderr.split())
    assert message.startswith("logdive socket: SLACK_APP_TOKEN must be an app-level token, xapp-…"), message
    assert "connections:write" in message
    assert len(done.stderr.strip().splitlines()) <= 3, done.stderr  # one message, wrapped
    assert not slack.calls and slack.socket_mode is not None and not slack.socket_mode.connections


@pytest.mark.parametrize("refusal", ["invalid_auth", "token_revoked", "account_inactive"])
def test_an_app_token_slack_refuses_ends_it_at_once(
    slack: SlackStandIn, database_url: str, tmp_path: Path, refusal: str
) -> None:
    """Slack's answer for a token that will never work ends the process (exit 2) instead of a retry
    every 10 s for ever, each with a traceback. The stand-in knows no other app's token (invalid_auth)."""
    unknown = "xapp-1-A0OTHER-7-unknownappsecret"
    if refusal != "invalid_auth":
        slack.answer_next("apps.connections.open", (200, {"ok": False, "error": refusal}))
    done = _run_socket(
        slack, database_url, tmp_path, SLACK_APP_TOKEN=unknown if refusal == "invalid_auth" else APP_TOKEN
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output, output
    assert unknown not in output and APP_TOKEN not in output
    message = " ".join(done.stderr.split())
    assert f"logdive socket: Slack refused SLACK_APP_TOKEN ({refusal})" in message, output
    assert "app-level token, xapp-…" in message
    # Asked once; nothing else started (no outbox tick, no WebSocket).
    assert [(c.method, c.response.get("error")) for c in slack.calls] == [("apps.connections.open", refusal)]
    assert slack.socket_mode is not None and not slack.socket_mode.connections
    assert "runtime.started" not in output


def test_without_the_app_token_it_names_it_and_exits(
    slack: SlackStandIn, database_url: str, tmp_path: Path
) -> None:
    done = _run_socket(slack, database_url, tmp_path, SLACK_APP_TOKEN=None)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    message = " ".join(done.stderr.split())
    assert "logdive socket: missing SLACK_APP_TOKEN" in message
    for present in ("SLACK_BOT_TOKEN", "GITLAB_TOKEN", "LOGDIVE_CASE_CHANNEL", "LOGDIVE_SIRT_PROJECT"):
        assert present not in message
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # one message (wrapped at most once)
    assert not slack.calls  # it never reached for Slack


# -- the stand-in is as strict as Slack, or the tests above prove less than they say ----------------


def test_the_socket_mode_standin_refuses_what_slack_refuses(slack: SlackStandIn) -> None:
    link = slack.socket_mode
    assert link is not None
    web = WebClient(base_url=slack.base_url)
    for token, error in (
        (BOT_TOKEN, "not_allowed_token_type"),
        ("xoxp-user-token", "not_allowed_token_type"),
        ("xapp-1-A0OTHER-1-wrong", "invalid_auth"),
    ):
        with pytest.raises(SlackApiError) as refused:
            web.apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error, token
    with pytest.raises(SlackApiError) as wrong_type:  # the app-level token is for the link only
        WebClient(token=APP_TOKEN, base_url=slack.base_url).chat_postMessage(channel="C1", text="hi")
    assert wrong_type.value.response["error"] == "not_allowed_token_type"

    url = web.apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    conn = websocket.create_connection(url, timeout=5)
    try:
        hello = json.loads(conn.recv())
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0LOGDIVE"
        link.wait_for_connection(1)
        with pytest.raises(websocket.WebSocketBadStatusException):  # a ticket opens one socket, once
            websocket.create_connection(url, timeout=5)
        assert link.refused_handshakes == 1

        envelope = link.push("slash_commands", {"command": "/security", "text": "help"})
        pushed = json.loads(conn.recv())
        assert pushed["envelope_id"] == envelope and pushed["accepts_response_payload"] is True
        conn.send(json.dumps({"envelope_id": envelope, "payload": {"blocks": [{"type": "no_such_block"}]}}))
        assert link.wait_for_ack(envelope).payload == {"blocks": [{"type": "no_such_block"}]}
        conn.send(json.dumps({"envelope_id": envelope}))
        conn.send(json.dumps({"envelope_id": "never-sent"}))
        click = link.push("interactive", {"type": "block_actions"})
        assert json.loads(conn.recv())["accepts_response_payload"] is False
        conn.send(json.dumps({"envelope_id": click, "payload": {"text": "not here"}}))
        link.wait_for_ack(click)
    finally:
        conn.close()
    errors = " | ".join(link.protocol_errors)
    assert "invalid_blocks" in errors
    assert "second ack" in errors and "unknown envelope 'never-sent'" in errors
    assert "a payload where Slack accepts none" in errors
    link.protocol_errors.clear()  # provoked on purpose
