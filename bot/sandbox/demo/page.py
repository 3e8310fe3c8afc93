"""The demo's page at /demo: the case channel as Slack draws it, beside the SIRT project as GitLab shows it.

`GET /demo` and its script and style are static files; the page asks `GET /demo/api/state?as=ROLE`
for what that person sees and sends what they do to `POST /demo/api/act`, which the Workspace turns
into signed Slack requests to the bot. The page builds its DOM from text nodes (no HTML from data); the
GitLab Markdown is rendered here by markdown-it with raw HTML off, as GitLab escapes it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import aiohttp
import gitlab
from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox.demo.workspace import BadAction, Workspace
from bot.sandbox.demo.world import (
    AUDIT_GAP_PROJECT,
    CASE_CHANNEL,
    CASE_CHANNEL_NAME,
    CUSTOMERS,
    PEOPLE,
    ROLES,
    SIRT_PROJECT,
    World,
)

STATIC = {
    "": ("demo.html", "text/html; charset=utf-8"),
    "demo.js": ("demo.js", "text/javascript; charset=utf-8"),
    "demo.css": ("demo.css", "text/css; charset=utf-8"),
}
# The page runs no inline script and loads nothing from elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
MARKDOWN = MarkdownIt("commonmark", {"html": False})
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # GitLab hides them; Logdive's markers are such


def gitlab_html(text: str) -> str:
    """GitLab Markdown as GitLab shows it: comments hidden, raw HTML shown as text."""
    return MARKDOWN.render(HTML_COMMENT.sub("", text or ""))


@dataclass
class DemoClock:
    """The bot's clock: the real time plus the hours swept ahead (`logdive demo --sweep-hours N`)."""

    base: Callable[[], datetime]
    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def sweep(self, hours: float) -> datetime:
        self.offset += timedelta(hours=hours)
        return self()


@dataclass
class Demo:
    world: World
    workspace: Workspace
    clock: DemoClock
    sweep_hours: float
    kick: Callable[[], None]  # the bot's scheduler: tick now

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/demo", self._static, methods=["GET"]),
            Route("/demo/{name:str}", self._static, methods=["GET"]),
            Route("/demo/api/state", self._state, methods=["GET"]),
            Route("/demo/api/act", self._act, methods=["POST"]),
        ]

    async def _static(self, request: Request) -> Response:
        found = STATIC.get(request.path_params.get("name", ""))
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        body = resources.files("bot.sandbox.demo").joinpath("static", found[0]).read_bytes()
        return Response(body, media_type=found[1], headers=HEADERS)

    async def _state(self, request: Request) -> Response:
        person = ROLES.get(request.query_params.get("as", ""))
        if person is None:
            return _bad("as", f"one of {', '.join(ROLES)}")
        return JSONResponse(self.state(person.user_id), headers=HEADERS)

    def state(self, user: str) -> dict[str, Any]:
        messages = dict(self.world.slack.messages)
        return {
            "sandbox": True,
            "now": self.clock().isoformat(timespec="minutes"),
            "swept_hours": self.clock.offset.total_seconds() / 3600,
            "sweep_hours": self.sweep_hours,
            "people": [
                {"role": p.role, "user_id": p.user_id, "name": p.name, "group": p.group} for p in PEOPLE
            ],
            "customers": [
                {"namespace": c.namespace, "kind": c.kind, "owner": c.owner, "projects": list(c.projects)}
                for c in CUSTOMERS
            ],
            "channel": {
                "id": CASE_CHANNEL,
                "name": CASE_CHANNEL_NAME,
                "messages": _threads(messages, CASE_CHANNEL),
            },
            "direct": _threads(messages, user),
            "ephemeral": self.workspace.ephemerals_for(user),
            "modal": self.workspace.modal(user),
            "gitlab": self._gitlab(),
            "gitlab_url": self.world.gitlab.url,
            "sirt_project": SIRT_PROJECT,
        }

    def _gitlab(self) -> list[dict[str, Any]]:
        state = self.world.gitlab.state
        with state.lock:
            projects = [state.project_by_full_path(path) for path in (SIRT_PROJECT, AUDIT_GAP_PROJECT)]
            shown = []
            for path, project in zip((SIRT_PROJECT, AUDIT_GAP_PROJECT), projects, strict=True):
                if project is None:
                    continue
                for issue in self.world.issues.in_project(project):
                    shown.append(
                        {
                            "project": path,
                            "iid": issue.iid,
                            "title": issue.title,
                            "state": issue.state,
                            "confidential": issue.confidential,
                            "labels": list(issue.labels),
                            "author": _user_name(state, issue.author_id),
                            "description_html": gitlab_html(issue.description),
                            "notes": [
                                {
                                    "id": note.id,
                                    "author": _user_name(state, note.author_id),
                                    "internal": note.internal,
                                    "system": note.system,
                                    "created_at": note.created_at.isoformat(timespec="minutes"),
                                    "body_html": gitlab_html(note.body),
                                }
                                for note in issue.notes
                            ],
                        }
                    )
        return shown

    async def _act(self, request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return _bad("body", "a JSON object")
        if not isinstance(data, dict):
            return _bad("body", "a JSON object")
        person = ROLES.get(str(data.get("as", "")))
        if person is None:
            return _bad("as", f"one of {', '.join(ROLES)}")
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                return JSONResponse(await self._do(session, person.user_id, data), headers=HEADERS)
        except BadAction as bad:
            return JSONResponse({"error": str(bad)}, status_code=400)

    async def _do(self, session: aiohttp.ClientSession, user: str, data: dict[str, Any]) -> dict[str, Any]:
        kind = data.get("kind")
        workspace = self.workspace
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "command": lambda: workspace.command(session, user, _text(data, "text", 3000)),
            "click": lambda: workspace.click(
                session,
                user,
                action_id=_text(data, "action_id", 255),
                block_id=_text(data, "block_id", 255),
                value=_text(data, "value", 2000),
                message_ts=data.get("message_ts") and _text(data, "message_ts", 40),
                view_id=data.get("view_id") and _text(data, "view_id", 40),
                values=_values(data),
            ),
            "submit": lambda: workspace.submit(session, user, _text(data, "view_id", 40), _values(data)),
            "suggest": lambda: workspace.suggest(
                session,
                user,
                _text(data, "view_id", 40),
                _text(data, "block_id", 255),
                _text(data, "action_id", 255),
                _text(data, "query", 200),
            ),
            "sweep": self._sweep,
            "gitlab_note": lambda: self._gitlab_note(user, data),
        }
        if kind == "close":
            workspace.close(user, _text(data, "view_id", 40))
            return {"ok": True}
        act = actions.get(str(kind))
        if act is None:
            raise BadAction(f"kind must be one of close, {', '.join(actions)}")
        return {"ok": True, "result": await act()}

    async def _gitlab_note(self, user: str, data: dict[str, Any]) -> dict[str, Any]:
        """SIRT works from GitLab too: a note on the SIRT issue ("Finding: …", "Customer update: …")."""
        if user != ROLES["sirt"].user_id:
            raise BadAction("as must be sirt: only SIRT writes on the SIRT issue in GitLab here")
        iid = data.get("iid")
        if not isinstance(iid, int) or isinstance(iid, bool):
            raise BadAction("iid must be the SIRT issue's number")
        body = _text(data, "body", 5000)
        if not body.strip():
            raise BadAction("body must say something")
        try:
            await asyncio.to_thread(self.world.comment, iid, body)
        except gitlab.GitlabError as exc:
            raise BadAction(f"GitLab refused the note: {exc.response_code} {exc.error_message}") from None
        return {"noted": iid}

    async def _sweep(self) -> dict[str, Any]:
        moment = self.clock.sweep(self.sweep_hours)
        self.kick()
        return {"now": moment.isoformat(timespec="minutes")}


def _threads(messages: dict[tuple[str, str], dict[str, Any]], channel: str) -> list[dict[str, Any]]:
    """Top-level messages of a channel in order, each with its thread's replies."""
    mine = sorted(
        ((ts, m) for (c, ts), m in messages.items() if c == channel), key=lambda item: float(item[0])
    )
    roots = [{**m, "ts": ts, "replies": []} for ts, m in mine if not m.get("thread_ts")]
    by_ts = {root["ts"]: root for root in roots}
    for ts, message in mine:
        root = by_ts.get(message.get("thread_ts") or "")
        if root is not None:
            root["replies"].append({**message, "ts": ts})
    return roots


def _user_name(state: Any, user_id: int) -> str:
    user = state.users.get(user_id)
    return f"{user.name} (@{user.username})" if user is not None else f"user {user_id}"


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadAction(f"{name} must be text of at most {limit} characters")
    return value


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadAction("values must map block ids to {action_id: state}, as Slack's view.state.values")
    return values


def _bad(field: str, allowed: str) -> JSONResponse:
    return JSONResponse({"error": f"{field} must be {allowed}"}, status_code=400)
