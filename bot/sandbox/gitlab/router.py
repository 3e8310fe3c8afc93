"""A table of API routes in GitLab's notation (`/groups/:id/members/all/:user_id`) and what handlers get.

Like GitLab's Grape routes, a `:param` matches exactly one path segment: a full path as an id must be
URL-encoded (`acme-corp%2Fapi`); with a bare '/' no route matches and the answer is GitLab's catch-all
`404 {"error": "404 Not Found"}`. Routes are tried in the order they were added, first match wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from bot.sandbox.gitlab.state import GitLabState, User


class ApiError(Exception):
    """An error answer, shaped as GitLab shapes it: {"message": …} or {"error": …}."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status, self.body, self.headers = status, body, headers or {}


def not_found(what: str) -> ApiError:
    """GitLab's `not_found!('Project')`: 404 {"message": "404 Project Not Found"}."""
    return ApiError(404, {"message": f"404 {what} Not Found"})


def record_not_found() -> ApiError:
    """GitLab's answer to ActiveRecord::RecordNotFound (e.g. no such member), worded as it words it."""
    return ApiError(404, {"message": "404 Not found"})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestContext:
    """What a route handler sees: the state, the caller, its path parameters (decoded) and arguments."""

    state: GitLabState
    method: str
    path: str  # raw, below /api/v4
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: bytes
    origin: str  # scheme://host:port the client used, for web_url and Link headers
    current_user: User | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A body or query argument; a key repeated without [] keeps its last value, as Rack does."""
        found = default
        for key, value in self.query:
            if key == name:
                found = value
        form = self.form()
        return str(form[name]) if name in form else found

    def int_arg(self, name: str, default: int) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} is invalid") from None

    def bool_arg(self, name: str, default: bool) -> bool:
        raw = self.arg(name)
        if raw is None:
            return default
        if raw.lower() in {"true", "1", "yes", "t"}:
            return True
        if raw.lower() in {"false", "0", "no", "f"}:
            return False
        raise bad_request(f"{name} is invalid")

    def int_list_arg(self, name: str) -> list[int] | None:
        """GitLab's `Array[Integer]` with CommaSeparatedToIntegerArray: `name[]=1&name[]=2` or `name=1,2`."""
        values = [v for k, v in self.query if k == f"{name}[]"]
        if not values:
            single = self.arg(name)
            if single is None:
                return None
            values = single.split(",")
        try:
            return [int(v) for v in values if v.strip()]
        except ValueError:
            raise bad_request(f"{name} is invalid") from None

    def form(self) -> dict[str, Any]:
        """A JSON or form-encoded body, for the write endpoints to come."""
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
            return data if isinstance(data, dict) else {}
        except ValueError:
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise bad_request(f"{name} is invalid") from None


Handler = Callable[[RequestContext], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticated: bool = True


def compile_template(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith(":"):
            parts.append(f"(?P<{segment[1:]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


@dataclass
class Router:
    routes: list[Route] = field(default_factory=list)

    def add(self, method: str, template: str, handler: Handler, *, authenticated: bool = True) -> None:
        self.routes.append(
            Route(method.upper(), template, compile_template(template), handler, authenticated)
        )

    def get(self, template: str) -> Callable[[Handler], Handler]:
        return self._decorator("GET", template)

    def post(self, template: str) -> Callable[[Handler], Handler]:
        return self._decorator("POST", template)

    def put(self, template: str) -> Callable[[Handler], Handler]:
        return self._decorator("PUT", template)

    def delete(self, template: str) -> Callable[[Handler], Handler]:
        return self._decorator("DELETE", template)

    def include(self, other: Router) -> None:
        self.routes.extend(other.routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route for `method` whose template matches the raw `path`, with decoded parameters.

        A path some route matches for another method is a 405, as in Grape."""
        other_method = False
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method != method.upper():
                other_method = True
                continue
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
        if other_method:
            raise ApiError(405, {"error": "405 Not Allowed"})
        return None

    def _decorator(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return register
