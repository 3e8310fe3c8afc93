"""The bot running for real: uvicorn on an ephemeral port, requests signed like Slack signs them."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from slack_sdk.signature import SignatureVerifier
from sqlmodel import col, select

from bot import outbox
from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent
from bot.runtime import Runtime
from bot.sandbox.slack import SlackStandIn
from bot.server import create_server
from bot.settings import Settings
from workflows.facts import OWNER_ACCESS_LEVEL, DirectoryFacts, NamespaceFacts, ResourceFacts
from workflows.request import LogDiveRequest

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-standin-token"
CASE_CHANNEL = "C0CASES01"
TEAM = "T0STANDIN"

# Users by role; LEGAL2 is a second Legal approver, NOBODY holds no role.
CSM, SUPPORT, SIRT, LEGAL, LEGAL2, NOBODY = (
    "U0CSM0001",
    "U0SUP0001",
    "U0SIR0001",
    "U0LEG0001",
    "U0LEG0002",
    "U0NOB0001",
)
GROUPS = {"S0CSM": [CSM], "S0SUP": [SUPPORT], "S0SIR": [SIRT], "S0LEG": [LEGAL, LEGAL2]}
USERS = {
    u: {"id": u, "tz": "Europe/Berlin", "tz_offset": 3600}
    for u in (CSM, SUPPORT, SIRT, LEGAL, LEGAL2, NOBODY)
}


# The intake form's fields, by block id: where Slack shows a field's error.
INTAKE_BLOCKS = {
    "customer_namespace",
    "gitlab_instance_kind",
    "gitlab_instance",
    "requester_username",
    "ticket_reference",
    "window_start",
    "window_end",
    "projects",
    "groups",
    "users",
    "event_types",
    "personal_data",
    "log_sources",
    "paid_plan_confirmed",
    "description",
}


def command_payload(text: str, user: str, response_url: str, trigger_id: str) -> dict[str, str]:
    """`/security` as Slack sends it (form fields over HTTP, the payload of a Socket Mode envelope)."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "standin",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user,
        "user_name": "someone",
        "command": "/security",
        "text": text,
        "api_app_id": "A0LOGDIVE",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


class FactsDirectory:
    """The customer directory as a test decides it: `plan` and `foreign` (paths the customer does not own)."""

    def __init__(self, plan: str = "ultimate") -> None:
        self.plan = plan
        self.calls = 0
        # A slow GitLab: while `held` is set, each look-up waits (up to a minute) for `release`.
        self.held = False
        self.release = threading.Event()
        self.answered = 0  # look-ups answered so far

    def facts_for(self, request: LogDiveRequest) -> DirectoryFacts:
        self.calls += 1
        if self.held:
            self.release.wait(timeout=60)
        self.answered += 1
        ns = request.customer_namespace
        resources = [
            ResourceFacts(kind=kind, name=name, exists=True, full_path=name)
            for kind, names in (("project", request.resources.projects), ("group", request.resources.groups))
            for name in names
        ] + [
            ResourceFacts(kind="user", name=u, exists=True, member_of_namespace=True)
            for u in request.resources.users
        ]
        return DirectoryFacts(
            namespace=NamespaceFacts(id=1, full_path=ns, kind="group", plan=self.plan),
            requester_exists=True,
            requester_access_level=OWNER_ACCESS_LEVEL,
            resources=tuple(resources),
        )


def form_values(
    *,
    namespace: str = "acme-corp",
    instance: str = "",
    self_managed: bool = False,
    contact: str = "alice-acme",
    ticket: str = "ZD-1",
    start: datetime | None = None,
    end: datetime | None = None,
    projects: str = "acme-corp/api",
    groups: str = "",
    users: str = "",
    event_types: tuple[str, ...] = ("member_updated",),
    personal_data: bool = False,
    sources: tuple[str, ...] = ("application",),
    paid: bool = True,
    description: str = "A token nobody recognises.",
) -> dict[str, Any]:
    """`view.state.values` as Slack sends them for the intake modal."""
    now = datetime.now(UTC)
    start = start or now - timedelta(days=3)
    end = end or now - timedelta(days=1)

    def text(value: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value or None}

    def one(block: str, element: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return block, {block: element}

    return dict(
        [
            one("customer_namespace", text(namespace)),
            one(
                "gitlab_instance_kind",
                {
                    "type": "radio_buttons",
                    "selected_option": {"value": "self_managed" if self_managed else "gitlab_com"},
                },
            ),
            one("gitlab_instance", text(instance)),
            one("requester_username", text(contact)),
            one("ticket_reference", text(ticket)),
            one("window_start", {"type": "datetimepicker", "selected_date_time": int(start.timestamp())}),
            one("window_end", {"type": "datetimepicker", "selected_date_time": int(end.timestamp())}),
            one("projects", text(projects)),
            one("groups", text(groups)),
            one("users", text(users)),
            one(
                "event_types",
                {
                    "type": "multi_external_select",
                    "selected_options": [
                        {"value": e, "text": {"type": "plain_text", "text": e}} for e in event_types
                    ],
                },
            ),
            one(
                "personal_data",
                {"type": "radio_buttons", "selected_option": {"value": "yes" if personal_data else "no"}},
            ),
            one("log_sources", {"type": "checkboxes", "selected_options": [{"value": s} for s in sources]}),
            one(
                "paid_plan_confirmed",
                {"type": "checkboxes", "selected_options": [{"value": "confirmed"}] if paid else []},
            ),
            one("description", text(description)),
        ]
    )


@dataclass
class Bot:
    url: str
    slack: SlackStandIn
    runtime: Runtime
    directory: FactsDirectory
    http: httpx.Client
    _ids: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def database_url(self) -> str:
        return self.runtime.database_url

    # -- signed requests --------------------------------------------------------------------------
    def signed_post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return self.http.post(
            f"{self.url}/slack/events",
            content=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )

    def command(self, text: str = "", *, user: str = CSM, trigger_id: str | None = None) -> httpx.Response:
        n = next(self._ids)
        return self.signed_post(
            urlencode(
                command_payload(text, user, self.slack.response_url(f"cmd{n}"), trigger_id or f"trigger-{n}")
            )
        )

    def open_intake(self, user: str = CSM) -> str:
        """Run /security and return the id of the modal Slack opened."""
        trigger = f"trigger-open-{next(self._ids)}"
        self.command("", user=user, trigger_id=trigger)
        opened = self.slack.wait_for_call("views.open", lambda c: c.args.get("trigger_id") == trigger)
        return str(opened.response["view"]["id"])

    def payload(self, payload: dict[str, Any]) -> httpx.Response:
        return self.signed_post(urlencode({"payload": json.dumps(payload)}))

    def submit(
        self,
        values: dict[str, Any],
        *,
        view_id: str,
        user: str = CSM,
        callback_id: str = "intake",
        private_metadata: str = '{"attempt":1,"tz":"Europe/Berlin"}',
    ) -> httpx.Response:
        return self.payload(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": user},
                "api_app_id": "A0LOGDIVE",
                "trigger_id": f"trigger-v{next(self._ids)}",
                "view": {
                    "id": view_id,
                    "type": "modal",
                    "callback_id": callback_id,
                    "hash": "h",
                    "private_metadata": private_metadata,
                    "state": {"values": values},
                },
            }
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        message_ts: str | None = None,
        channel: str | None = CASE_CHANNEL,
        view: dict[str, Any] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0LOGDIVE",
            "trigger_id": f"trigger-a{next(self._ids)}",
            "response_url": self.slack.response_url("act"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        if view is not None:
            body["view"] = view
        else:
            body["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel}
            body["channel"] = {"id": channel}
            body["message"] = {"ts": message_ts, "type": "message"}
        return self.payload(body)

    # -- the database -----------------------------------------------------------------------------
    def cases(self) -> list[Case]:
        with session_scope(self.database_url) as session:
            return list(session.exec(select(Case).order_by(col(Case.id))).all())

    def case(self, case_id: int) -> Case:
        with session_scope(self.database_url) as session:
            case = session.get(Case, case_id)
            assert case is not None
            return case

    def events(self, case_id: int | None = None) -> list[CaseEvent]:
        with session_scope(self.database_url) as session:
            query = select(CaseEvent).order_by(col(CaseEvent.id))
            if case_id is not None:
                query = query.where(CaseEvent.case_id == case_id)
            return list(session.exec(query).all())

    def wait(self, predicate: Any, timeout: float = 8.0) -> Any:
        return self.slack.wait_for(predicate, timeout)


def start_bot(
    database_url: str, slack: SlackStandIn, directory: FactsDirectory, **settings_overrides: Any
) -> tuple[Bot, uvicorn.Server, threading.Thread]:
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        gitlab_token="glpat-standin",
        database_url=database_url,
        case_channel=CASE_CHANNEL,
        csm_group="S0CSM",
        support_group="S0SUP",
        sirt_group="S0SIR",
        legal_group="S0LEG",
        role_cache_seconds=60,
        **settings_overrides,
    )
    runtime = Runtime(
        settings,
        directory=directory,
        tick_seconds=0.2,
        lease_seconds=10,
        retry=outbox.RetryPolicy(base_seconds=0.1, cap_seconds=0.5, max_attempts=20),
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_server(runtime), log_config=None, access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    runtime.start()
    bot = Bot(
        url=f"http://127.0.0.1:{port}",
        slack=slack,
        runtime=runtime,
        directory=directory,
        http=httpx.Client(timeout=10),
    )
    return bot, server, thread


def stop_bot(bot: Bot, server: uvicorn.Server, thread: threading.Thread) -> None:
    bot.http.close()
    server.should_exit = True
    thread.join(timeout=10)
    bot.runtime.stop()
