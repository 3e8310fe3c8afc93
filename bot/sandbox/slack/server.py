"""Slack Web API stand-in, in the spirit of bolt-python's own mock web API server.

It is as strict as Slack where Logdive depends on it: a bot token in the Authorization header, Slack's
documented limits counted by the stand-in itself (limits.py), then every view and message parsed and
validated with slack_sdk.models, trigger ids exchanged once (and expiring, when a test asks: triggers.py),
`views.push` only onto an open modal, `not_in_channel` for a channel the bot was not invited to (when a
test names the bot's channels), `views.update` refusing a stale `hash`, `chat.update` refusing an
unknown message. Answers are Slack's
shape: HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error": "…"}`. Every call is recorded.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.slack.limits import VIEW_STACK_MAX, SlackError, check_message, check_view
from bot.sandbox.slack.socket_mode import SocketModeStandIn
from bot.sandbox.slack.triggers import Triggers
from bot.sandbox.slack.waiting import wait_until

__all__ = ["SlackCall", "SlackError", "SlackStandIn", "validate_blocks", "validate_view"]
EPHEMERAL_METHODS = {"chat.postEphemeral"}


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    path: str = ""  # the URL path called: /api/<method>, or /response/<name> for a response_url

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


def validate_view(view: dict[str, Any]) -> None:
    """Slack's view rules: its limits (counted here), then slack_sdk.models (unknown blocks, and more)."""
    check_view(view)
    for raw in view.get("blocks") or []:
        if Block.parse(raw) is None:
            raise SlackError("invalid_blocks", detail=f"unknown block {raw.get('type')!r}")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        raise SlackError("invalid_arguments", detail=str(exc)) from None


def validate_blocks(blocks: list[dict[str, Any]] | None, text: str | None) -> None:
    if not blocks and not text:
        raise SlackError("no_text")
    check_message(blocks, text)
    for raw in blocks or []:
        block = Block.parse(raw)
        if block is None:
            raise SlackError("invalid_blocks", detail=f"unknown block {raw.get('type')!r}")
        try:
            block.validate_json()
        except SlackObjectFormationError as exc:
            raise SlackError("invalid_blocks", detail=str(exc)) from None


class _Listening(ThreadingHTTPServer):
    # socketserver's default backlog is 5: fifty calls at once would overflow it and stall connections
    # in a way Slack never does.
    request_queue_size = 1024


class SlackStandIn:
    """Run with `start()`; `base_url` is what SLACK_API_URL should be set to. Given `socket_mode`, it
    also answers `apps.connections.open` (app-level token only) with a link to that server."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-standin-token",
        users: dict[str, dict[str, Any]] | None = None,
        usergroups: dict[str, list[str]] | None = None,
        delay_seconds: float = 0.0,
        socket_mode: SocketModeStandIn | None = None,
        channels: set[str] | None = None,
        trigger_ttl_seconds: float | None = None,
    ) -> None:
        """`channels`: those the bot was invited to (None: every one); `trigger_ttl_seconds`: enforce
        expiry (Slack's is 3 s, triggers.TRIGGER_TTL_SECONDS) on triggers from `triggers.issue()`."""
        self.bot_token = bot_token
        self.socket_mode = socket_mode
        self.users = users or {}
        self.usergroups = usergroups or {}
        self.delay_seconds = delay_seconds
        self.calls: list[SlackCall] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.channels = channels
        self.triggers = Triggers(trigger_ttl_seconds)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._scripted: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.files: dict[str, dict[str, Any]] = {}  # file id -> its object, with "_content" bytes

    def add_file(self, file_id: str, name: str, content: bytes, user: str) -> dict[str, Any]:
        """A file someone uploaded: files.info describes it, its url_private_download serves it to the bot."""
        url = f"{self.origin}/files-pri/T0STANDIN-{file_id}/download/{name}"
        entry = {
            "id": file_id, "name": name, "title": name, "size": len(content), "user": user,
            "mimetype": "application/octet-stream", "url_private": url, "url_private_download": url,
            "_content": content,
        }  # fmt: skip
        with self._lock:
            self.files[file_id] = entry
        return {k: v for k, v in entry.items() if k != "_content"}

    def answer_next(self, method: str, *answers: tuple[int, dict[str, Any]]) -> None:
        """Answer the next calls to `method` with these (HTTP status, body), in order, before the usual
        answers: outages and rate limits. A 429 carries `Retry-After: 1`."""
        with self._lock:
            self._scripted.setdefault(method, []).extend(answers)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # quiet: the calls are recorded instead
                return

            def do_GET(self) -> None:
                standin._handle(self)

            def do_POST(self) -> None:
                standin._handle(self)

        self._server = _Listening(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-standin", daemon=True)
        self._thread.start()
        if self.socket_mode is not None:
            self.socket_mode.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self.socket_mode is not None:
            self.socket_mode.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address (bytes only for a Unix socket)
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.origin}/response/{name}"

    # -- what the tests read ---------------------------------------------------------------------
    def calls_to(self, method: str, *, ok: bool | None = None) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def failed_calls(self) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if not c.ok]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate() is truthy (re-checked on every recorded call); returns its value."""
        return wait_until(
            self._changed,
            predicate,
            timeout,
            lambda: f"condition not met within {timeout}s; calls: {self.summary()}",
        )

    def wait_for_call(
        self, method: str, where: Callable[[SlackCall], bool] = lambda c: True, *, timeout: float = 5.0
    ) -> SlackCall:
        return self.wait_for(lambda: next((c for c in self.calls_to(method) if where(c)), None), timeout)

    def summary(self) -> list[str]:
        return [f"{c.method}:{'ok' if c.ok else c.response.get('error')}" for c in list(self.calls)]

    def show_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """What Slack does with a view submission answered `response_action: update`: the same view id
        shows the new view (validated as views.update would be), under a new hash."""
        validate_view(view)
        with self._changed:
            if view_id not in self.views:
                raise SlackError("not_found")
            stored = self._store_view(view_id, view)
            self._changed.notify_all()
            return stored

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return self.messages[(channel, ts)]

    # -- HTTP ------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        args = self._arguments(request, parsed.query, raw)
        token = None
        auth = request.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        elif "token" in args:
            token = args.pop("token")
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        status = 200
        if parsed.path.startswith("/files-pri/"):
            self._download(request, parsed.path, token)
            return
        if parsed.path.startswith("/response/"):
            method, response = "response_url", self._response_url(args)
        elif parsed.path.startswith("/api/"):
            method = parsed.path.removeprefix("/api/")
            with self._lock:
                scripted = self._scripted.get(method)
                answer = scripted.pop(0) if scripted else None
            if answer is not None:
                status, response = answer
            else:
                response = self._api(method, args, token)
        else:
            method, response = parsed.path, {"ok": False, "error": "unknown_method"}
        with self._changed:
            self.calls.append(
                SlackCall(method=method, args=args, response=response, token=token, path=parsed.path)
            )
            self._changed.notify_all()
        body = json.dumps(response).encode()
        request.send_response(status)
        if status == 429:
            request.send_header("Retry-After", "1")
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    @staticmethod
    def _arguments(request: BaseHTTPRequestHandler, query: str, raw: bytes) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(query))
        content_type = request.headers.get("Content-Type") or ""
        if raw and "json" in content_type:
            args.update(json.loads(raw))
        elif raw:
            args.update(dict(parse_qsl(raw.decode())))
        # Form-encoded calls carry JSON in strings, as Slack accepts them.
        for key in ("view", "blocks"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _response_url(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_blocks(args.get("blocks"), args.get("text"))
        except SlackError as exc:
            return {"ok": False, "error": exc.error, **exc.extra}
        return {"ok": True}

    def _api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token is None:
            return {"ok": False, "error": "not_authed"}
        if method == "apps.connections.open":
            return self._apps_connections_open(token)
        if token != self.bot_token:
            wrong_type = self.socket_mode is not None and token == self.socket_mode.app_token
            return {"ok": False, "error": "not_allowed_token_type" if wrong_type else "invalid_auth"}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                return {"ok": True, **handler(args)}
        except SlackError as exc:
            return {"ok": False, "error": exc.error, **exc.extra}

    def _apps_connections_open(self, token: str) -> dict[str, Any]:
        """Socket Mode's link: an app-level token only; a bot or user token is the wrong type."""
        if token.startswith(("xoxb-", "xoxp-")):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode is None or token != self.socket_mode.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode.issue_url()}

    # -- methods (called with the lock held) -----------------------------------------------------
    def _m_auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://standin.slack.com/",
            "team": "Stand-in",
            "user": "logdive",
            "team_id": "T0STANDIN",
            "user_id": "U0LOGDIVE",
            "bot_id": "B0LOGDIVE",
        }

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args)
        self.triggers.exchange(args.get("trigger_id"))
        return {"view": self._store_view(f"V{next(self._ids):08d}", view)}

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        """Onto the modal the interaction came from (for a made-up trigger: the latest open one)."""
        view = self._view_arg(args)
        issued = self.triggers.exchange(args.get("trigger_id"))
        below = issued.view_id if issued else next(reversed(self.views), None)
        if below is None or below not in self.views:
            raise SlackError("not_found", detail="views.push needs a trigger from inside an open modal")
        root = self.views[below].get("root_view_id") or below
        if len([k for k, v in self.views.items() if (v.get("root_view_id") or k) == root]) >= VIEW_STACK_MAX:
            raise SlackError("push_limit_reached")
        pushed = {**view, "root_view_id": root, "previous_view_id": below}
        return {"view": self._store_view(f"V{next(self._ids):08d}", pushed)}

    def close_view(self, view_id: str) -> None:
        """The person closed the modal: it and every view pushed onto it are gone."""
        with self._changed:
            root = self.views.get(view_id, {}).get("root_view_id") or view_id
            for key in [k for k, v in self.views.items() if k == root or v.get("root_view_id") == root]:
                del self.views[key]

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (k for k, v in self.views.items() if v.get("external_id") == args["external_id"]), None
            )
        if not view_id or view_id not in self.views:
            raise SlackError("not_found")
        view = self._view_arg(args)
        expected = args.get("hash")
        if expected and expected != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(view_id, view)}

    def _view_arg(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", detail="view is required")
        validate_view(view)
        return view

    def _store_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stack = {k: v for k, v in self.views.get(view_id, {}).items() if k.endswith("_view_id")}  # kept
        stored = {**view, **stack, "id": view_id, "hash": f"{time.time_ns()}.{next(self._ids)}"}
        self.views[view_id] = stored
        return stored

    def _member_of(self, channel: object) -> None:
        """Public and private channels (C…, G…) need the bot invited; a DM or a user id does not."""
        if self.channels is not None and str(channel).startswith(("C", "G")) and channel not in self.channels:
            raise SlackError("not_in_channel")

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        self._member_of(channel)
        validate_blocks(args.get("blocks"), args.get("text"))
        thread_ts = args.get("thread_ts")
        if thread_ts and (channel, thread_ts) not in self.messages:
            raise SlackError("thread_not_found")
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        message = {"ts": ts, "text": args.get("text"), "blocks": args.get("blocks"), "thread_ts": thread_ts}
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel"), args.get("ts"))
        if key not in self.messages:
            raise SlackError("message_not_found")
        self._member_of(key[0])
        validate_blocks(args.get("blocks"), args.get("text"))
        self.messages[key] = {**self.messages[key], "text": args.get("text"), "blocks": args.get("blocks")}
        return {"channel": key[0], "ts": key[1], "message": self.messages[key]}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            raise SlackError("invalid_arguments", detail="channel and user are required")
        self._member_of(args["channel"])
        validate_blocks(args.get("blocks"), args.get("text"))
        return {"message_ts": f"{1_700_000_000 + next(self._ts)}.000200"}

    def _download(self, request: BaseHTTPRequestHandler, path: str, token: str | None) -> None:
        """A file's bytes, as files.slack.com serves them: only with a token of the workspace."""
        file_id = path.split("/")[2].removeprefix("T0STANDIN-")
        with self._lock:
            entry = self.files.get(file_id)
            self.calls.append(SlackCall(method="files-pri", args={"file": file_id}, response={}, token=token))
        ok = entry is not None and token == self.bot_token
        body = entry["_content"] if ok and entry else b"<html>login</html>"
        request.send_response(200 if ok else 302)  # Slack redirects an unauthenticated download to login
        request.send_header("Content-Type", "application/octet-stream" if ok else "text/html")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        entry = self.files.get(args.get("file", ""))
        if entry is None:
            raise SlackError("file_not_found")
        return {"file": {k: v for k, v in entry.items() if k != "_content"}}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}
