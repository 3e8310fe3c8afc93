"""Whose tenancy a log entry acts in: the customer's top-level namespace, someone else's, or nobody's.

An extract holds nothing from another tenant. The selection keeps an entry for a user in scope only when
what the entry acts on lies under the customer's top-level namespace; this module says what an entry
acts on. Targets come from the request URL (web paths, `/groups/…`, API routes with URL-encoded or
numeric ids), `meta.project` and `meta.root_namespace`, audit entities of type Project/Group/Namespace,
path-carrying request params, and `gl_repository` (`project-123`). Numeric ids are translated through
the ids GitLab gave when the extract started (`KnownIds`); an id GitLab did not give is unresolved.

Targets are primary (what the entry acts on: the URL, `meta.project`, `meta.root_namespace`, the audit
entity, `gl_repository`) or secondary (where it points: an audit target, a fork's or transfer's
destination in the params). The verdict, fail-closed: primary targets decide when there are any — one
outside the customer's namespace makes the entry foreign, only unresolved ids and nothing known makes
it unresolved (dropped too); secondary references to other namespaces then stay only as pseudonyms (the
redactor's work). With no primary target the secondary ones decide the same way. No target at all (a
sign-in, the user's own profile and tokens) is user-level activity, kept only for a user in scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

from workflows.gitlab_paths import API_COLLECTIONS, PATH_PARAMS, is_under, namespace_of_path

_PATH_ENTITIES = frozenset({"Project", "Group", "Namespace"})
_REPOSITORY_PREFIXES = {"project": "projects", "wiki": "projects", "design": "projects", "group": "groups"}


class KnownIds(BaseModel):
    """Numeric ids GitLab resolved when the extract started, with their canonical full paths (lower case).

    Plain data, sent to worker processes. `users` holds the requester's and the users in scope.
    """

    model_config = ConfigDict(frozen=True)

    users: dict[str, int] = {}  # username (lower case) -> GitLab user id
    paths: dict[str, str] = {}  # a project or group as the request named it (lower case) -> full path
    projects: dict[int, str] = {}  # project id -> full path
    namespaces: dict[int, str] = {}  # group or namespace id -> full path


class Tenancy(StrEnum):
    OWN = "own"  # acts on something under the customer's namespace, and nothing outside it
    FOREIGN = "foreign"  # acts on something outside the customer's namespace
    UNRESOLVED = "unresolved"  # names only ids GitLab did not resolve for this case
    NONE = "none"  # names no namespace at all: user-level activity


class Targets:
    """What one entry acts on (primary) and points to (secondary): full paths, lower case, ids translated;
    and how many ids of each were unresolved."""

    __slots__ = ("primary", "secondary", "unresolved", "unresolved_secondary")

    def __init__(self) -> None:
        self.primary: list[str] = []
        self.secondary: list[str] = []
        self.unresolved = 0
        self.unresolved_secondary = 0

    @property
    def paths(self) -> list[str]:
        return self.primary + self.secondary


class TenancyRule:
    """Compiled for one case: `targets(entry)` and `tenancy(targets)`."""

    def __init__(self, customer_namespace: str, known: KnownIds) -> None:
        self.customer = customer_namespace.lower()
        self._projects = known.projects
        self._namespaces = known.namespaces

    def tenancy(self, targets: Targets) -> Tenancy:
        if targets.primary or targets.unresolved:
            return self._decide(targets.primary, targets.unresolved)
        return self._decide(targets.secondary, targets.unresolved_secondary)

    def _decide(self, paths: list[str], unresolved: int) -> Tenancy:
        if any(not is_under(path, self.customer) for path in paths):
            return Tenancy.FOREIGN
        if paths:  # e.g. meta.project, GitLab's own resolution of the request, beside an unknown id
            return Tenancy.OWN
        return Tenancy.UNRESOLVED if unresolved else Tenancy.NONE

    def targets(self, entry: Mapping[str, Any]) -> Targets:
        found = Targets()
        self._url(entry.get("path"), found)
        for key in ("meta.project", "project_path", "meta.root_namespace"):
            _add_path(entry.get(key), found)
        for kind_key, path_key, id_key, primary in (
            ("entity_type", "entity_path", "entity_id", True),
            ("target_type", "target_details", "target_id", False),
        ):
            kind = entry.get(kind_key)
            if kind in _PATH_ENTITIES:
                path = entry.get(path_key)
                if isinstance(path, str) and path and " " not in path:
                    _add_path(path, found, primary=primary)
                else:
                    collection = "projects" if kind == "Project" else "groups"
                    self._numeric(collection, entry.get(id_key), found, primary=primary)
        self._params(entry.get("params"), found)
        return found

    # -- sources ---------------------------------------------------------------------------------------
    def _url(self, path: object, found: Targets) -> None:
        if not isinstance(path, str):
            return
        segments = path.split("?", 1)[0].strip("/").lower().split("/")
        if segments[0] == "api":
            if len(segments) >= 4 and segments[2] in API_COLLECTIONS:
                ident = unquote(segments[3]).strip("/")
                if ident.isdigit():
                    self._numeric(segments[2], ident, found)
                elif ident:
                    found.primary.append(ident)
            return
        _add_path(namespace_of_path(path), found)

    def _params(self, params: object, found: Targets) -> None:
        namespace: str | None = None
        project: str | None = None
        for key, value in param_items(params):
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value:
                continue
            if key == "project":  # gitlab-shell's internal API: the repository the Git command is for
                if value.isdigit():
                    self._numeric("projects", value, found)
                else:
                    _add_path(value.removesuffix(".git").removesuffix(".wiki"), found)
            elif key in PATH_PARAMS:  # a destination (fork, transfer, import): where the entry points
                if value.isdigit():
                    self._numeric("namespaces", value, found, primary=False)
                else:
                    _add_path(value, found, primary=False)
            elif key == "namespace_id":
                namespace = value
            elif key == "project_id":
                project = value
            elif key == "gl_repository":  # gitlab-shell and Gitaly: project-123, wiki-123, group-9
                prefix, _, ident = value.partition("-")
                if prefix in _REPOSITORY_PREFIXES and ident.isdigit():
                    self._numeric(_REPOSITORY_PREFIXES[prefix], ident, found)
        if namespace is not None:
            if namespace.isdigit():  # an API param: a namespace id (where a fork or transfer goes)
                self._numeric("namespaces", namespace, found, primary=False)
            else:  # Rails route params: the path's namespace and project segments
                _add_path(f"{namespace}/{project}" if project and not project.isdigit() else namespace, found)
        elif project is not None and project.isdigit():
            self._numeric("projects", project, found)

    def _numeric(self, collection: str, ident: object, found: Targets, *, primary: bool = True) -> None:
        try:
            number = int(str(ident))
        except ValueError:
            number = -1
        table = self._projects if collection == "projects" else self._namespaces
        path = table.get(number)
        if path is not None:
            _add_path(path, found, primary=primary)
        elif primary:
            found.unresolved += 1
        else:
            found.unresolved_secondary += 1


def _add_path(value: object, found: Targets, *, primary: bool = True) -> None:
    if isinstance(value, str):
        path = value.strip().strip("/").lower()
        if path:
            (found.primary if primary else found.secondary).append(path)


def param_items(params: object) -> Iterable[tuple[str, object]]:
    """Request params as (key, value) pairs, whether logged as a list of {key, value} or an object."""
    if isinstance(params, list):
        for item in params:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                yield item["key"], item.get("value")
    elif isinstance(params, dict):
        yield from ((str(k), v) for k, v in params.items())
