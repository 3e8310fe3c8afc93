"""The customer directory: what GitLab, plus a deployment's overrides, says about a log-dive request.

Look-ups, each cached for `cache_ttl` seconds (found or not):
- the customer namespace: GET /namespaces/:id; only a top-level group or user namespace counts;
- users (the requester and those in scope): GET /users?username=;
- their membership of the customer's group: GET /groups/:id/members/all?user_ids=… (one call for all of
  them). members/all holds the group's direct and invited members with their effective access level;
  it does NOT hold members of subgroups or projects only, so such a user is not a member here;
- projects and groups in scope: GET /projects/:id, GET /groups/:id by URL-encoded full path, which
  give the canonical full path (GitLab matches paths without regard to case and follows a renamed
  project's old path).

404 means "no such thing" and becomes a fact (exists False, namespace None). Anything else that stops
an answer (a refused token, 5xx after python-gitlab's retries, no connection) raises
DirectoryUnavailable: the facts are unknown, not negative.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Literal, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabAuthenticationError, GitlabError

from bot.clock import Clock, utc_now
from bot.gitlab.client import make_gitlab
from bot.gitlab.overrides import DirectoryOverrides, load_overrides
from bot.logs import get_logger
from bot.settings import Settings
from workflows.errors import check_scope_size
from workflows.facts import OWNER_ACCESS_LEVEL, DirectoryFacts, NamespaceFacts, ResourceFacts
from workflows.policy import EligibilityPolicy
from workflows.request import GITLAB_COM, LogDiveRequest

log = get_logger(__name__)

T = TypeVar("T")
_MISSING = object()
_USER_IDS_PER_CALL = 100  # keeps the members/all URL short; one page of per_page=100 each
_CACHE_PURGE_AT = 10_000


# What GitLab.com's directory knows of a request about another instance: nothing.
NOT_ON_GITLAB_COM = DirectoryFacts(namespace=None, requester_exists=False, requester_access_level=None)


class DirectoryUnavailable(RuntimeError):
    """GitLab could not answer a look-up; the message says where (GITLAB_URL) and what to check."""


class ScopeTooLarge(ValueError):
    """A request names more resources than the policy's hard cap: refused before any look-up."""


@dataclass(frozen=True)
class _User:
    id: int
    username: str


class _TtlCache:
    """Values (None included) kept for `ttl` seconds of the injected clock."""

    def __init__(self, ttl: float, clock: Clock) -> None:
        self._ttl, self._clock = timedelta(seconds=ttl), clock
        self._entries: dict[Hashable, tuple[datetime, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return _MISSING
            if self._clock() >= entry[0]:
                del self._entries[key]
                return _MISSING
            return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            now = self._clock()
            if len(self._entries) >= _CACHE_PURGE_AT:  # expired entries go when someone asks; or here
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            self._entries[key] = (now + self._ttl, value)


class GitLabDirectory:
    def __init__(
        self,
        gl: gitlab.Gitlab,
        *,
        overrides: DirectoryOverrides | None = None,
        cache_ttl: float = 300.0,
        clock: Clock = utc_now,
        limits: EligibilityPolicy | None = None,
    ) -> None:
        self._gl = gl
        self._limits = limits or EligibilityPolicy()
        self._overrides = overrides or DirectoryOverrides()
        self._cache = _TtlCache(cache_ttl, clock)

    def facts_for(self, request: LogDiveRequest) -> DirectoryFacts:
        """Everything the eligibility policy needs to know from GitLab about `request`.

        ScopeTooLarge, before any look-up, if it names more than the policy's hard caps allow. A request
        about a self-managed instance gets no facts and no look-up: GitLab.com knows nothing of its
        namespaces and users, and the `instance` rule refuses it whatever they are."""
        if request.gitlab_instance != GITLAB_COM:
            return NOT_ON_GITLAB_COM
        too_wide = check_scope_size(request, self._limits)
        if too_wide:
            raise ScopeTooLarge("; ".join(f"{e} (allowed: {e.allowed})" for e in too_wide))
        namespace = self.namespace(request.customer_namespace)
        requester = self._user(request.requester_username)
        users = {name: self._user(name) for name in request.resources.users}
        levels = self._access_levels(namespace, [u for u in (requester, *users.values()) if u])

        resources = [
            *(self._path_fact("project", path) for path in request.resources.projects),
            *(self._path_fact("group", path) for path in request.resources.groups),
            *(
                ResourceFacts(
                    kind="user",
                    name=name,
                    exists=user is not None,
                    member_of_namespace=_is_member(namespace, user, levels) if user else None,
                )
                for name, user in users.items()
            ),
        ]
        return DirectoryFacts(
            namespace=self._overrides.apply(namespace) if namespace else None,
            requester_exists=requester is not None,
            requester_access_level=levels.get(requester.id) if requester else None,
            resources=tuple(resources),
        )

    def namespace(self, path: str) -> NamespaceFacts | None:
        """GitLab's facts about a top-level namespace (overrides not applied); None if there is none."""

        def fetch() -> NamespaceFacts | None:
            found = self._get_or_none("the customer namespace", lambda: self._gl.namespaces.get(path))
            return _namespace_facts(found.attributes) if found else None

        return self._cached(("namespace", path.casefold()), fetch)

    # --- look-ups ------------------------------------------------------------------------------

    def _user(self, username: str) -> _User | None:
        def fetch() -> _User | None:
            found = self._get_or_none("a user", lambda: self._gl.users.list(username=username, get_all=True))
            wanted = username.casefold()
            return next(
                (_User(u.id, u.username) for u in found or [] if u.username.casefold() == wanted), None
            )

        return self._cached(("user", username.casefold()), fetch)

    def _path_fact(self, kind: Literal["project", "group"], path: str) -> ResourceFacts:
        def fetch() -> str | None:
            if kind == "project":
                found = self._get_or_none("a project", lambda: self._gl.projects.get(path))
                return found.path_with_namespace if found else None
            group = self._get_or_none("a group", lambda: self._gl.groups.get(path, with_projects="false"))
            return group.full_path if group else None

        full_path = self._cached((kind, path.casefold()), fetch)
        return ResourceFacts(kind=kind, name=path, exists=full_path is not None, full_path=full_path)

    def _access_levels(self, namespace: NamespaceFacts | None, users: list[_User]) -> dict[int, int | None]:
        """Each user's effective access level in the customer's group (None: not a member)."""
        if namespace is None:
            return {}
        if namespace.kind == "user":
            # A personal namespace has no members: its owner is the user of the same name.
            owner = namespace.full_path.casefold()
            return {u.id: OWNER_ACCESS_LEVEL for u in users if u.username.casefold() == owner}
        levels: dict[int, int | None] = {}
        missing = []
        for user in users:
            cached = self._cache.get(("member", namespace.id, user.id))
            if cached is _MISSING:
                missing.append(user.id)
            else:
                levels[user.id] = cached
        for batch in _batches(list(dict.fromkeys(missing)), _USER_IDS_PER_CALL):
            found = self._members_all(namespace.id, batch)
            for user_id in batch:
                levels[user_id] = found.get(user_id)
                self._cache.put(("member", namespace.id, user_id), levels[user_id])
        return levels

    def _members_all(self, group_id: int, user_ids: list[int]) -> dict[int, int]:
        """Access levels of those of `user_ids` in the group's members/all (one page: ≤ 100 ids)."""
        group = self._gl.groups.get(group_id, lazy=True)
        ids = ",".join(map(str, user_ids))  # GitLab's CSV form: a repeated `user_ids` keeps only its last
        found = self._get_or_none(
            "group memberships", lambda: group.members_all.list(user_ids=ids, per_page=100, get_all=True)
        )
        levels: dict[int, int] = {}
        for member in found or []:
            levels[member.id] = max(levels.get(member.id, 0), member.access_level)
        return levels

    # --- plumbing ------------------------------------------------------------------------------

    def _cached(self, key: Hashable, fetch: Callable[[], T]) -> T:
        value = self._cache.get(key)
        if value is _MISSING:
            value = fetch()
            self._cache.put(key, value)
        return value

    def _get_or_none(self, what: str, call: Callable[[], T]) -> T | None:
        """`call()`, None on 404; DirectoryUnavailable on any other failure."""
        try:
            return call()
        except GitlabAuthenticationError as exc:
            raise self._unavailable(what, exc) from None
        except GitlabError as exc:
            if exc.response_code == 404:
                return None
            raise self._unavailable(what, exc) from None
        except requests.RequestException as exc:
            raise self._unavailable(what, exc) from None

    def _unavailable(self, what: str, exc: Exception) -> DirectoryUnavailable:
        # Messages name the look-up's kind, never its subject: usernames are personal data and
        # python-gitlab's own messages carry the URL (hence `from None` above).
        where = f"GitLab at {self._gl.url} (GITLAB_URL)"
        retries = getattr(self._gl, "max_retries", 10)
        code = getattr(exc, "response_code", None)
        if code == 401:
            detail = "refused the token (401 Unauthorized): check that GITLAB_TOKEN is set, valid, unexpired"
        elif code == 403:
            detail = "answered 403 Forbidden: GITLAB_TOKEN needs the read_api scope"
        elif code is not None:
            detail = f"answered {code} {_phrase(code)} after {retries} retries; try again later"
        elif isinstance(exc, requests.Timeout):
            detail = (
                f"did not answer within {self._gl.timeout} s (LOGDIVE_GITLAB_TIMEOUT) after {retries} retries"
            )
        elif isinstance(exc, requests.ConnectionError):
            reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            detail = f"could not be reached ({reason}) after {retries} retries: check GITLAB_URL"
        else:
            detail = f"gave an answer Logdive could not read ({type(exc).__name__})"
        log.warning(
            "directory.unavailable", url=self._gl.url, lookup=what, status=code, error=type(exc).__name__
        )
        return DirectoryUnavailable(f"{where} {detail} (while looking up {what}).")


def directory_from_settings(
    settings: Settings, *, clock: Clock = utc_now, limits: EligibilityPolicy | None = None
) -> GitLabDirectory:
    """The directory a deployment runs with: its GitLab client, overrides file and cache lifetime."""
    path = settings.directory_overrides_file
    return GitLabDirectory(
        make_gitlab(settings),
        overrides=load_overrides(path) if path else None,
        cache_ttl=settings.directory_cache_seconds,
        clock=clock,
        limits=limits or settings.load_policy().eligibility,
    )


def _namespace_facts(attrs: dict[str, Any]) -> NamespaceFacts | None:
    """Only a top-level group or personal namespace is a customer (a numeric id may name a subgroup)."""
    if attrs.get("parent_id") is not None or attrs.get("kind") not in {"group", "user"}:
        return None
    return NamespaceFacts(
        id=attrs["id"],
        full_path=attrs["full_path"],
        kind=attrs["kind"],
        plan=attrs.get("plan"),
        trial=bool(attrs.get("trial")),
        trial_ends_on=attrs.get("trial_ends_on"),
        end_date=attrs.get("end_date"),
    )


def _is_member(namespace: NamespaceFacts | None, user: _User, levels: dict[int, int | None]) -> bool | None:
    if namespace is None:
        return False
    if namespace.kind == "user":
        # Others' ties to a personal namespace (project members) are not membership of it: cannot tell.
        return True if levels.get(user.id) else None
    return levels.get(user.id) is not None


def _batches(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""
