"""Slack's Socket Mode side, for the stand-in: WebSocket links handed out by `apps.connections.open`.

As Slack does it (https://docs.slack.dev/apis/events-api/using-socket-mode/):
- `apps.connections.open`, called with the app-level token (xapp-…), answers a one-time
  `ws://…/link/?ticket=…` URL; the SlackStandIn answers that method and asks `issue_url()` here. A
  ticket opens one WebSocket, once; any other handshake is refused with HTTP 401.
- On connect the server sends `{"type": "hello", …}`. Then it pushes envelopes
  `{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload",
  "accepts_response_payload"}` and the app acknowledges each with `{"envelope_id", "payload"?}`.
- `{"type": "disconnect", "reason": "refresh_requested"}` asks the app for a new connection.

Strictness: an acknowledgement that is not JSON, names an envelope never sent on that connection or
already acknowledged, carries a payload where Slack accepts none, or carries an invalid one (a
slash-command reply is a message; a view submission's `errors` must be a mapping of block id to text,
its `update`/`push` a valid view) is recorded in `protocol_errors`. Every acknowledgement, valid or
not, is recorded with the seconds it took (Slack gives up after 3).

The server is aiohttp.web on its own thread and event loop; the tests call it from theirs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.slack.waiting import wait_until

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
ACK_DEADLINE_SECONDS = 3.0


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection: int
    sent_at: float = field(default_factory=time.monotonic)


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    raw: dict[str, Any]
    connection: int
    seconds: float  # from the envelope sent to its acknowledgement received


@dataclass
class _Connection:
    number: int
    ws: web.WebSocketResponse
    opened_at: float = field(default_factory=time.monotonic)
    closed: bool = False
    client_close_code: int | None = None  # set when the app closed it with a close frame


class SocketModeStandIn:
    """Start with `start()` (SlackStandIn does it for the one it is given); `push()` envelopes, then
    `wait_for_ack()` them."""

    def __init__(self, *, app_token: str = "xapp-1-A0LOGDIVE-1-standin", app_id: str = "A0LOGDIVE") -> None:
        self.app_token = app_token
        self.app_id = app_id
        self.envelopes: dict[str, Envelope] = {}
        self.acks: dict[str, Ack] = {}
        self.protocol_errors: list[str] = []
        self.refused_handshakes = 0
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SocketModeStandIn:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=serve, name="slack-socket-mode-standin", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Socket Mode stand-in did not start")
        if failure:
            raise failure[0]
        return self

    async def _open(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        for conn in list(self._connections):
            if not conn.ws.closed:
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- apps.connections.open -------------------------------------------------------------------
    def issue_url(self) -> str:
        """A fresh one-time link, as apps.connections.open answers it."""
        assert self._port is not None, "start() the Socket Mode stand-in first"
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what the tests do and read --------------------------------------------------------------
    @property
    def connections(self) -> int:
        """WebSocket connections opened so far."""
        with self._lock:
            return len(self._connections)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len([c for c in self._connections if not c.closed])

    @property
    def client_close_codes(self) -> list[int | None]:
        """Per connection, in order: the close code the app sent, or None (open, closed by the server
        or dropped without a close frame, as when the process is killed)."""
        with self._lock:
            return [c.client_close_code for c in self._connections]

    def wait_for_connection(self, count: int = 1, timeout: float = 15.0) -> None:
        """Wait until `count` connections have been opened (and greeted) in all."""
        self._wait(lambda: len(self._connections) >= count and not self._connections[-1].closed, timeout)

    def push(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        envelope_id: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send one envelope on the newest open connection; its envelope id. Slash commands and view
        submissions accept a response payload; block actions and events do not (Slack's rule)."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"not a Socket Mode envelope type: {type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") == "view_submission"
            )
        with self._lock:
            live = [c for c in self._connections if not c.closed]
            if not live:
                raise AssertionError("no open Socket Mode connection to push to")
            conn = live[-1]
            envelope_id = envelope_id or f"{next(self._ids):04d}-{secrets.token_hex(8)}"
            message: dict[str, Any] = {
                "envelope_id": envelope_id,
                "type": type,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
            }
            if type == "events_api":
                message.update({"retry_attempt": 0, "retry_reason": ""})
            self.envelopes[envelope_id] = Envelope(
                envelope_id, type, payload, accepts_response_payload, conn.number
            )
        self._send(conn, message, timeout)
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Ask the app to reconnect, as Slack does every few hours."""
        with self._lock:
            live = [c for c in self._connections if not c.closed]
        if not live:
            raise AssertionError("no open Socket Mode connection")
        self._send(
            live[-1], {"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}}, timeout
        )

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return self._wait(lambda: self.acks.get(envelope_id), timeout)

    # -- the server ------------------------------------------------------------------------------
    def _wait(self, predicate: Any, timeout: float) -> Any:
        return wait_until(
            self._changed,
            predicate,
            timeout,
            lambda: (
                f"Socket Mode condition not met within {timeout}s: {len(self._connections)} "
                f"connection(s), acks {sorted(self.acks)}, errors {self.protocol_errors}"
            ),
            poll=0.1,
        )

    def _send(self, conn: _Connection, message: dict[str, Any], timeout: float) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(conn.ws.send_str(json.dumps(message)), self._loop).result(timeout)

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # one connection per ticket
            if not valid:
                self.refused_handshakes += 1
        if not valid:
            return web.Response(status=401, text="invalid or used ticket")
        ws = web.WebSocketResponse(autoping=True)  # answers the client's pings with pongs
        await ws.prepare(request)
        with self._lock:
            open_now = len([c for c in self._connections if not c.closed])
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": open_now + 1,
                    "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        with self._changed:  # counted once greeted: envelopes pushed to it follow the hello
            conn = _Connection(number=len(self._connections) + 1, ws=ws)
            self._connections.append(conn)
            self._changed.notify_all()
        try:
            while True:
                message = await ws.receive()
                if message.type == WSMsgType.TEXT:
                    self._receive(conn, message.data)
                elif message.type == WSMsgType.BINARY:
                    self._error(f"connection {conn.number}: a binary frame; Slack expects JSON text")
                elif message.type == WSMsgType.CLOSE:  # the app's close frame (aiohttp answers it)
                    conn.client_close_code = int(message.data)
                    break
                elif message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break  # closed here, or the TCP connection dropped without a close frame
        finally:
            with self._changed:
                conn.closed = True
                self._changed.notify_all()
        return ws

    def _error(self, text: str) -> None:
        with self._changed:
            self.protocol_errors.append(text)
            self._changed.notify_all()

    def _receive(self, conn: _Connection, data: str) -> None:
        try:
            raw = json.loads(data)
        except ValueError:
            self._error(f"connection {conn.number}: not JSON: {data[:80]!r}")
            return
        envelope_id = raw.get("envelope_id") if isinstance(raw, dict) else None
        if not isinstance(envelope_id, str):
            self._error(f"connection {conn.number}: a message without an envelope_id: {data[:80]!r}")
            return
        with self._lock:
            envelope = self.envelopes.get(envelope_id)
            duplicate = envelope_id in self.acks
        if envelope is None:
            self._error(f"ack of unknown envelope {envelope_id!r}")
            return
        if envelope.connection != conn.number:
            self._error(f"ack of {envelope_id!r} on connection {conn.number}, sent on {envelope.connection}")
        if duplicate:
            self._error(f"second ack of {envelope_id!r}")
            return
        payload = raw.get("payload")
        if payload is not None:
            self._check_payload(envelope, payload)
        ack = Ack(
            envelope_id=envelope_id,
            payload=payload,
            raw=raw,
            connection=conn.number,
            seconds=time.monotonic() - envelope.sent_at,
        )
        with self._changed:
            self.acks[envelope_id] = ack
            self._changed.notify_all()

    def _check_payload(self, envelope: Envelope, payload: Any) -> None:
        # Imported here: server.py imports this module for SlackStandIn.
        from bot.sandbox.slack.server import SlackError, validate_blocks, validate_view

        where = f"ack of {envelope.envelope_id} ({envelope.type})"
        if not isinstance(payload, dict):
            self._error(f"{where}: payload is not an object")
            return
        if not envelope.accepts_response_payload:
            if payload:
                self._error(f"{where}: a payload where Slack accepts none: {sorted(payload)}")
            return
        try:
            if envelope.type == "slash_commands":
                validate_blocks(payload.get("blocks"), payload.get("text"))
            elif envelope.payload.get("type") == "view_submission":
                action = payload.get("response_action")
                if action == "errors":
                    errors = payload.get("errors")
                    if not isinstance(errors, dict) or not errors:
                        raise SlackError("invalid_arguments", detail="errors must be a non-empty mapping")
                    if not all(isinstance(k, str) and isinstance(v, str) for k, v in errors.items()):
                        raise SlackError("invalid_arguments", detail="errors maps block ids to texts")
                elif action in ("update", "push"):
                    validate_view(payload.get("view") or {})
                elif action not in (None, "clear"):
                    raise SlackError("invalid_arguments", detail=f"response_action {action!r}")
        except SlackError as exc:
            self._error(f"{where}: {exc.error} {exc.extra}")
