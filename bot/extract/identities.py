"""The GitLab ids an extraction needs, resolved through GitLab when it starts (python-gitlab).

- the requester's and every in-scope user's id (GET /users?username=): their own entries keep their
  names, ids and addresses when a Security case asked for personal data; everyone else is a pseudonym;
- the customer namespace's id (GET /namespaces/:id), each project's and group's id and canonical full
  path (GET /projects/:id, GET /groups/:id, by path or by numeric id): API routes and audit entities that
  name a project by its number are then recognised, and a project the request named by its number is
  selected by its path, never by the literal digits.

An identity here is what GitLab answered, never a string someone typed. 404 means "not there": that
name stays unresolved (a user stays pseudonymised; a numeric project id stops the run). Any other
failure raises ResolutionFailed: without GitLab's answer the extract would name nobody it should.
Answers are cached per GitLab URL for the life of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError

from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds

T = TypeVar("T")
_cache: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


class ResolutionFailed(RuntimeError):
    """GitLab did not answer a look-up the extraction needs; the message names GITLAB_URL and the kind."""


def resolve_known_ids(gl: gitlab.Gitlab, request: LogDiveRequest) -> KnownIds:
    """The ids and canonical paths of the request's people, namespace, projects and groups."""
    users: dict[str, int] = {}
    for username in dict.fromkeys(u.lower() for u in (request.requester_username, *request.resources.users)):
        found = _cached(gl, "user", username, partial(_user_id, gl, username))
        if found is not None:
            users[username] = found
    projects: dict[int, str] = {}
    namespaces: dict[int, str] = {}
    paths: dict[str, str] = {}
    namespace = _cached(gl, "namespace", request.customer_namespace.lower(), lambda: _namespace(gl, request))
    if namespace is not None:
        namespaces[namespace[0]] = namespace[1]
    for kind, names in (("project", request.resources.projects), ("group", request.resources.groups)):
        for name in names:
            resolved = _cached(gl, kind, name.lower(), partial(_path_of, gl, kind, name))
            if resolved is None:
                continue
            number, full_path = resolved
            (projects if kind == "project" else namespaces)[number] = full_path
            paths[name.lower()] = full_path
    return KnownIds(users=users, projects=projects, namespaces=namespaces, paths=paths)


def _user_id(gl: gitlab.Gitlab, username: str) -> int | None:
    found = _ask("a user", lambda: gl.users.list(username=username, get_all=True))
    return next((u.id for u in found or [] if u.username.lower() == username), None)


def _namespace(gl: gitlab.Gitlab, request: LogDiveRequest) -> tuple[int, str] | None:
    found = _ask("the customer namespace", lambda: gl.namespaces.get(request.customer_namespace))
    return (found.id, found.full_path.lower()) if found is not None else None


def _path_of(gl: gitlab.Gitlab, kind: str, name: str) -> tuple[int, str] | None:
    ident: str | int = int(name) if name.strip().isdigit() else name
    if kind == "project":
        found = _ask("a project", lambda: gl.projects.get(ident))
        return (found.id, found.path_with_namespace.lower()) if found is not None else None
    group = _ask("a group", lambda: gl.groups.get(ident, with_projects="false"))
    return (group.id, group.full_path.lower()) if group is not None else None


def _cached(gl: gitlab.Gitlab, kind: str, key: str, fetch: Callable[[], T]) -> T:
    slot = (gl.url, kind, key)
    with _lock:
        if slot in _cache:
            return _cache[slot]
    value = fetch()
    with _lock:
        _cache[slot] = value
    return value


def _ask(what: str, call: Callable[[], T]) -> T | None:
    """`call()`; None on 404; ResolutionFailed (naming the kind of look-up, never its subject) otherwise."""
    try:
        return call()
    except GitlabError as exc:
        if exc.response_code == 404:
            return None
        code = f"answered {exc.response_code}" if exc.response_code else "failed"
        raise ResolutionFailed(f"GitLab (GITLAB_URL) {code} while looking up {what}") from None
    except requests.RequestException as exc:
        raise ResolutionFailed(
            f"GitLab (GITLAB_URL) could not be reached while looking up {what} ({type(exc).__name__})"
        ) from None
