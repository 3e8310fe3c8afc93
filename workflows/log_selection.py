"""Which log entries a case concerns: inside the window, about a project, group or user in scope, and of
an event type the case asked for (audit entries by their event name, requests by the catalog's
controllers and routes).

`ExtractScope` is the plain data (picklable, sent to worker processes); `Selection` is its compiled form.
Selection also offers the byte searches for the pre-filter: a line that contains no scope string cannot
concern the case, so most lines are never parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import re2
from pydantic import BaseModel, ConfigDict

from workflows.catalog import Catalog
from workflows.gitlab_paths import LOGIN_PARAMS, is_under
from workflows.log_kinds import LogKind
from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds, Targets, Tenancy, TenancyRule, param_items


class Reject(StrEnum):
    """Why a parsed entry was not kept (counted in the manifest)."""

    UNKNOWN_KIND = "unknown_kind"
    NO_TIME = "no_time"
    OUTSIDE_WINDOW = "outside_window"
    OUT_OF_SCOPE = "out_of_scope"
    OTHER_TENANT = "other_tenant"  # a user in scope, acting outside the customer's namespace
    UNRESOLVED_ID = "unresolved_id"  # names only numeric ids GitLab did not resolve for this case
    OTHER_EVENT_TYPE = "other_event_type"


class EventMatchers(BaseModel):
    model_config = ConfigDict(frozen=True)

    audit_types: frozenset[str] = frozenset()
    controllers: frozenset[str] = frozenset()
    routes: frozenset[str] = frozenset()
    any_web_request: bool = False  # every production_json request (resource_access)
    any_api_request: bool = False  # every api_json request


class ExtractScope(BaseModel):
    """What a case selects. Paths and usernames are lower case (GitLab compares them case-insensitively)."""

    model_config = ConfigDict(frozen=True)

    customer_namespace: str
    paths: tuple[str, ...]  # projects and groups in scope; the customer namespace when none were named
    usernames: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()
    window_start: datetime
    window_end: datetime
    # Per requested event type: what it matches. Empty: every event type is wanted.
    events: dict[str, EventMatchers] = {}

    # Numeric ids GitLab resolved when the extract started (users, projects, groups), and the canonical
    # full path of each project or group the request named (by path or by id).
    known: KnownIds = KnownIds()

    @classmethod
    def from_request(
        cls, request: LogDiveRequest, catalog: Catalog, known: KnownIds | None = None
    ) -> ExtractScope:
        """The scope of `request`. A project or group named by its numeric id must be in `known.paths`
        (resolved through GitLab): the literal number selects nothing. Raises ValueError otherwise."""
        known = known or KnownIds()
        resources = request.resources
        paths = []
        for name in (*resources.projects, *resources.groups):
            canonical = known.paths.get(name.lower())
            if canonical is None and name.strip().isdigit():
                raise ValueError(f"resources: {name} is a numeric id GitLab did not resolve to a path")
            paths.append((canonical or name).lower().strip("/"))
        usernames = [u.lower() for u in resources.users]
        if not paths and not usernames:
            paths = [request.customer_namespace.lower()]  # no narrower scope named: the whole namespace
        events = {
            name: EventMatchers(
                audit_types=catalog.audit_types_for([name]) or frozenset({name}),
                controllers=catalog.controllers_for([name]),
                routes=catalog.routes_for([name]),
                any_web_request=catalog.covers_every_request([name], "web"),
                any_api_request=catalog.covers_every_request([name], "api"),
            )
            for name in request.event_types
        }
        return cls(
            customer_namespace=request.customer_namespace.lower(),
            paths=tuple(dict.fromkeys(paths)),
            usernames=tuple(dict.fromkeys(usernames)),
            user_ids=tuple(dict.fromkeys(known.users[u] for u in usernames if u in known.users)),
            window_start=request.window.start.astimezone(UTC),
            window_end=request.window.end.astimezone(UTC),
            events=events,
            known=known,
        )


def parse_time(value: object) -> datetime | None:
    """A log line's `time` (ISO 8601, usually '...Z'); None when it is missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    return parse_time(entry.get("time") or entry.get("timestamp") or entry.get("@timestamp"))


class Selection:
    """The compiled predicate. `verdict` returns None to keep an entry, else the reason it is dropped."""

    def __init__(self, scope: ExtractScope) -> None:
        self.scope = scope
        self._paths = scope.paths
        self._usernames = frozenset(scope.usernames)
        self._user_ids = frozenset(scope.user_ids)
        self._user_id_texts = frozenset(str(i) for i in scope.user_ids)
        self._start, self._end = scope.window_start, scope.window_end
        self._events = scope.events
        self._tenancy = TenancyRule(scope.customer_namespace, scope.known)
        self._audit_types = frozenset().union(*(m.audit_types for m in scope.events.values()))
        self._controllers = frozenset().union(*(m.controllers for m in scope.events.values()))
        self._routes = frozenset().union(*(m.routes for m in scope.events.values()))
        self._any_web = any(m.any_web_request for m in scope.events.values())
        self._any_api = any(m.any_api_request for m in scope.events.values())
        self.searches = prefilter_searches(scope)

    # -- the predicate ---------------------------------------------------------------------------------
    def verdict(self, entry: Mapping[str, Any], kind: LogKind) -> Reject | None:
        if kind is LogKind.UNKNOWN:
            return Reject.UNKNOWN_KIND
        moment = entry_time(entry)
        if moment is None:
            return Reject.NO_TIME
        if not self._start <= moment < self._end:
            return Reject.OUTSIDE_WINDOW
        targets = self._tenancy.targets(entry)
        if not (self._concerns_user(entry) or self._concerns_paths(targets)):
            return Reject.OUT_OF_SCOPE
        tenancy = self._tenancy.tenancy(targets)
        if tenancy is Tenancy.FOREIGN:
            return Reject.OTHER_TENANT
        if tenancy is Tenancy.UNRESOLVED:
            return Reject.UNRESOLVED_ID
        if self._events and not self._event_wanted(entry, kind):
            return Reject.OTHER_EVENT_TYPE
        return None

    def concerns_scope(self, entry: Mapping[str, Any]) -> bool:
        """About a user or a path in scope (whatever its tenancy; `verdict` checks that too)."""
        return self._concerns_user(entry) or self._concerns_paths(self._tenancy.targets(entry))

    def _concerns_paths(self, targets: Targets) -> bool:
        return any(is_under(candidate, path) for candidate in targets.paths for path in self._paths)

    def _concerns_user(self, entry: Mapping[str, Any]) -> bool:
        if not self._usernames and not self._user_ids:
            return False
        for key in ("username", "meta.user"):
            value = entry.get(key)
            if isinstance(value, str) and value.lower() in self._usernames:
                return True
        for key in ("user_id", "meta.user_id", "author_id"):
            value = entry.get(key)
            if value is not None and str(value) in self._user_id_texts:
                return True
        if entry.get("entity_type") == "User" and (
            str(entry.get("entity_path", "")).lower() in self._usernames
            or str(entry.get("entity_id")) in self._user_id_texts
        ):
            return True
        if entry.get("target_type") == "User" and (
            str(entry.get("target_details", "")).lower() in self._usernames
            or str(entry.get("target_id")) in self._user_id_texts
        ):
            return True
        return any(login in self._usernames for login in _param_logins(entry.get("params")))

    def _event_wanted(self, entry: Mapping[str, Any], kind: LogKind) -> bool:
        key = event_key(entry, kind)
        if key is None:
            return False
        family, name = key
        if family == "audit":
            return name in self._audit_types
        if family == "controller":
            return name in self._controllers or (self._any_web and kind is LogKind.PRODUCTION)
        return name in self._routes or (self._any_api and kind is LogKind.API)

    # -- labels for the summary ------------------------------------------------------------------------
    def event_labels(self, entry: Mapping[str, Any], kind: LogKind) -> tuple[str, ...]:
        """The requested event types an entry counts under; its own event name when none were requested."""
        key = event_key(entry, kind)
        if not self._events:
            return (key[1] if key else kind.value,)
        if key is None:
            return ()
        family, name = key
        labels = []
        for label, matchers in self._events.items():
            wanted = (
                matchers.audit_types
                if family == "audit"
                else matchers.controllers
                if family == "controller"
                else matchers.routes
            )
            every = (matchers.any_web_request and kind is LogKind.PRODUCTION) or (
                matchers.any_api_request and kind is LogKind.API
            )
            if name in wanted or every:
                labels.append(label)
        return tuple(labels)


def event_key(entry: Mapping[str, Any], kind: LogKind) -> tuple[str, str] | None:
    """('audit', event name) | ('controller', controller) | ('route', Grape route); None if unknown.

    Sidekiq jobs and application events carry `meta.caller_id`: the controller#action or API route that
    caused them, so they follow the same mapping as the request itself.
    """
    if kind is LogKind.AUDIT:
        name = entry.get("event_name") or entry.get("event_type")
        return ("audit", name) if isinstance(name, str) else None
    if kind is LogKind.PRODUCTION:
        controller = entry.get("controller")
        return ("controller", controller) if isinstance(controller, str) else None
    if kind is LogKind.API:
        route = entry.get("route")
        return ("route", route) if isinstance(route, str) else None
    caller = entry.get("meta.caller_id")
    if isinstance(caller, str):
        if "#" in caller:
            return ("controller", caller.split("#", 1)[0])
        _, _, route = caller.partition(" ")
        if route.startswith("/api/"):
            return ("route", route)
    return None


def _param_logins(params: object) -> list[str]:
    return [v.lower() for k, v in param_items(params) if k in LOGIN_PARAMS and isinstance(v, str)]


def prefilter_needles(scope: ExtractScope) -> list[bytes]:
    """Case-insensitive literal byte strings; every line that could concern the scope contains one.

    Every path in scope contains its top-level namespace in every spelling a log uses (`acme/api`,
    URL-encoded `acme%2Fapi`, JSON-escaped `acme\\/api`), so the namespace stands for all of them; each
    user in scope is their username. Few literals, each searched alone, keep re2 on its fast literal
    scan. They match more lines than concern the case (the predicate decides), never fewer.
    """
    tops = {path.split("/", 1)[0] for path in scope.paths}
    return sorted({*(t.encode() for t in tops), *(u.encode() for u in scope.usernames)})


def prefilter_searches(scope: ExtractScope) -> list[Callable[[bytes, int, int], Any]]:
    """`search(block, pos, endpos)` functions over raw bytes, one per needle (see prefilter_needles).

    A user id is searched as its digits followed by `,`, `}` or `"`, then checked to follow `:` or `"`
    (the value of an `..._id` field): the digits come first so re2 can scan for them as a literal.
    """
    searches = [re2.compile(b"(?i)" + re2.escape(needle)).search for needle in prefilter_needles(scope)]
    searches.extend(_id_search(re2.compile(str(i).encode() + rb'[,}"]')) for i in scope.user_ids)
    ids = scoped_ids(scope)
    if ids:  # API routes and gl_repository by numeric id: `projects/123/`, `project-123`
        alternatives = b"|".join(str(i).encode() for i in sorted(ids))
        searches.append(
            re2.compile(
                rb"(?:projects|groups|namespaces)/(?:" + alternatives + rb")\b"
                rb"|(?:project|wiki|design|group)-(?:" + alternatives + rb")\b"
            ).search
        )
    return searches


def scoped_ids(scope: ExtractScope) -> set[int]:
    """The numeric ids of the projects and groups in scope (those GitLab resolved)."""
    known = scope.known
    return {
        number
        for table in (known.projects, known.namespaces)
        for number, path in table.items()
        if any(is_under(path, root) for root in scope.paths)
    }


def _id_search(pattern: Any) -> Callable[[bytes, int, int], Any]:
    search = pattern.search

    def find(block: bytes, pos: int, endpos: int) -> Any:
        while True:
            match = search(block, pos, endpos)
            if match is None or (match.start() > 0 and block[match.start() - 1] in b':"'):
                return match
            pos = match.start() + 1

    return find
