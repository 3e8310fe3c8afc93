"""The Slack side of the demo: what Slack's servers do when a person types a command or clicks.

Each action becomes the request Slack would send (a slash command, `block_actions`, `view_submission`,
`block_suggestion`), signed with the demo's signing secret and POSTed to the bot's own
`/slack/events`, so the bot verifies and handles it exactly as in production. What the bot sends back
through the Web API lands in the Slack stand-in; `Workspace` follows it there: which modal each person
has open, and the messages only they can see.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.demo.world import CASE_CHANNEL, CASE_CHANNEL_NAME
from bot.sandbox.slack import SlackStandIn

TEAM = "T0DEMO"
APP = "A0LOGDIVE"


class BadAction(ValueError):
    """An action the page asked for that Slack could not have sent (names the field)."""


@dataclass
class Ephemeral:
    user: str
    text: str
    blocks: list[dict[str, Any]]
    seq: int


@dataclass
class Workspace:
    slack: SlackStandIn
    bot_url: str
    signing_secret: str
    triggers: dict[str, str] = field(default_factory=dict)  # trigger id -> the person it was given to
    stacks: dict[str, list[str]] = field(default_factory=dict)  # person -> open modal ids, top last
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # modal id -> errors by block id
    ephemerals: list[Ephemeral] = field(default_factory=list)
    _seen: int = 0  # stand-in calls absorbed so far
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what Slack sends the bot -------------------------------------------------------------------
    async def command(self, session: aiohttp.ClientSession, user: str, text: str) -> dict[str, Any]:
        trigger = self._trigger(user)
        form = {
            "token": "demo",
            "team_id": TEAM,
            "team_domain": "demo",
            "channel_id": CASE_CHANNEL,
            "channel_name": CASE_CHANNEL_NAME,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/security",
            "text": text,
            "api_app_id": APP,
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(f"{user}.{next(self._ids)}"),
            "trigger_id": trigger,
        }
        status, answer = await self._post(session, urlencode(form))
        if answer.get("text") or answer.get("blocks"):  # the command's own ephemeral reply
            self._ephemeral(user, answer.get("text") or "", answer.get("blocks") or [])
        return {"status": status}

    async def click(
        self,
        session: aiohttp.ClientSession,
        user: str,
        *,
        action_id: str,
        block_id: str,
        value: str,
        message_ts: str | None = None,
        view_id: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "demo"},
            "user": {"id": user},
            "api_app_id": APP,
            "trigger_id": self._trigger(user),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if view_id is not None:
            body["container"] = {"type": "view", "view_id": view_id}
            body["view"] = self._submitted_view(user, view_id, values or {})
        elif message_ts is not None:
            message = self._message(message_ts)
            body["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": CASE_CHANNEL,
                "is_ephemeral": False,
            }
            body["channel"] = {"id": CASE_CHANNEL, "name": CASE_CHANNEL_NAME}
            body["message"] = {"type": "message", "ts": message_ts, **message}
            body["response_url"] = self.slack.response_url(f"{user}.{next(self._ids)}")
        else:
            raise BadAction("a click needs message_ts (a message's button) or view_id (a modal's button)")
        status, _answer = await self._post(session, urlencode({"payload": json.dumps(body)}))
        return {"status": status}

    async def submit(
        self, session: aiohttp.ClientSession, user: str, view_id: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        body = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "demo"},
            "user": {"id": user},
            "api_app_id": APP,
            "trigger_id": self._trigger(user),
            "view": self._submitted_view(user, view_id, values),
        }
        status, answer = await self._post(session, urlencode({"payload": json.dumps(body)}))
        action = answer.get("response_action")
        with self._lock:
            self.errors.pop(view_id, None)
            stack = self.stacks.setdefault(user, [])
            if action == "errors":
                self.errors[view_id] = dict(answer.get("errors") or {})
            elif action == "update":
                self.slack.show_view(view_id, answer["view"])
            elif action == "clear":
                stack.clear()
            elif status == 200 and view_id in stack:  # an empty answer closes this modal
                stack.remove(view_id)
        return {"status": status, "response_action": action}

    async def suggest(
        self,
        session: aiohttp.ClientSession,
        user: str,
        view_id: str,
        block_id: str,
        action_id: str,
        query: str,
    ) -> list[dict[str, Any]]:
        body = {
            "type": "block_suggestion",
            "team": {"id": TEAM, "domain": "demo"},
            "user": {"id": user},
            "api_app_id": APP,
            "block_id": block_id,
            "action_id": action_id,
            "value": query,
            "container": {"type": "view", "view_id": view_id},
            "view": self._submitted_view(user, view_id, {}),
        }
        _status, answer = await self._post(session, urlencode({"payload": json.dumps(body)}))
        return list(answer.get("options") or [])

    def close(self, user: str, view_id: str) -> None:
        """The person closed a modal (no view_closed: Logdive's modals do not ask for one)."""
        with self._lock:
            stack = self.stacks.setdefault(user, [])
            if view_id in stack:
                stack.remove(view_id)
            self.errors.pop(view_id, None)

    # -- what the person sees -----------------------------------------------------------------------
    def modal(self, user: str) -> dict[str, Any] | None:
        self.absorb()
        with self._lock:
            stack = list(self.stacks.get(user, []))
            errors = {view_id: dict(e) for view_id, e in self.errors.items()}
        if not stack:
            return None
        view = self.slack.views.get(stack[-1])
        return None if view is None else {"view": view, "errors": errors.get(stack[-1], {})}

    def ephemerals_for(self, user: str) -> list[dict[str, Any]]:
        self.absorb()
        with self._lock:
            return [
                {"text": e.text, "blocks": e.blocks, "seq": e.seq} for e in self.ephemerals if e.user == user
            ]

    def absorb(self) -> None:
        """Follow the bot's new Web API calls: modals opened for a trigger, replies only one person sees."""
        calls = list(self.slack.calls)
        with self._lock:
            fresh, self._seen = calls[self._seen :], len(calls)
        for call in fresh:
            if not call.ok:
                continue
            if call.method in ("views.open", "views.push"):
                user = self.triggers.get(str(call.args.get("trigger_id")))
                if user is not None:
                    with self._lock:
                        self.stacks.setdefault(user, []).append(call.response["view"]["id"])
            elif call.method == "chat.postEphemeral":
                self._ephemeral(
                    str(call.args.get("user")), call.args.get("text") or "", call.args.get("blocks")
                )
            elif call.method == "response_url":
                user = call.path.removeprefix("/response/").partition(".")[0]
                self._ephemeral(user, call.args.get("text") or "", call.args.get("blocks"))

    # -- helpers ------------------------------------------------------------------------------------
    def _trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.demo.{int(time.time())}"
        with self._lock:
            self.triggers[trigger] = user
        return trigger

    def _ephemeral(self, user: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        with self._lock:
            self.ephemerals.append(Ephemeral(user, text, list(blocks or []), next(self._ids)))

    def _message(self, ts: str) -> dict[str, Any]:
        try:
            return dict(self.slack.message(CASE_CHANNEL, ts))
        except KeyError:
            raise BadAction(f"message_ts {ts!r}: no such message in the case channel") from None

    def _submitted_view(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if view_id not in self.stacks.get(user, []):
                raise BadAction(f"view_id {view_id!r}: no modal of that id is open for this person")
        view = self.slack.views[view_id]
        return {
            "id": view_id,
            "team_id": TEAM,
            "type": "modal",
            "callback_id": view.get("callback_id") or "",
            "private_metadata": view.get("private_metadata") or "",
            "hash": view["hash"],
            "title": view.get("title"),
            "blocks": view.get("blocks") or [],
            "state": {"values": values},
        }

    async def _post(self, session: aiohttp.ClientSession, body: str) -> tuple[int, dict[str, Any]]:
        """Signed as Slack signs (v0, HMAC-SHA256 of the timestamp and the exact body)."""
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self.signing_secret).generate_signature(timestamp=timestamp, body=body)
        assert signature is not None  # None only without a timestamp or a body
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        async with session.post(
            f"{self.bot_url}/slack/events", data=body.encode(), headers=headers
        ) as answer:
            text = await answer.text()
            try:
                parsed = json.loads(text) if text.strip() else {}
            except ValueError:
                parsed = {"text": text}
            return answer.status, parsed if isinstance(parsed, dict) else {}
