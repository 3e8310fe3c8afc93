"""What the GitLab stand-in knows: users, namespaces (groups and personal), projects, memberships, tokens.

Shaped like GitLab's own tables so later features (issues, notes, labels) slot in beside them: every
kind of record has its own id sequence, namespaces and projects are found by full path without regard
to case (as GitLab's routes are), and a renamed project's old path redirects to it.

Seed it from Python (`add_user`, `add_group`, `add_project`, `add_member`, `add_token`) or from a dict
(`seed`, for the stand-in run as its own process). Every method takes the state's lock, so tests may
seed while the server is answering.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
ACCESS_LEVELS = {0, 5, GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER}  # GitLab's Gitlab::Access
DEFAULT_TOKEN = "standin-token"
CREATED_AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
Visibility = Literal["private", "internal", "public"]


@dataclass
class User:
    id: int
    username: str
    name: str
    state: Literal["active", "blocked", "deactivated"] = "active"
    bot: bool = False
    admin: bool = False
    namespace_id: int = 0  # the personal namespace


@dataclass
class Namespace:
    """A group (kind "group") or a user's personal namespace (kind "user"), as in GitLab's namespaces."""

    id: int
    name: str
    path: str
    kind: Literal["group", "user"]
    parent_id: int | None = None
    owner_id: int | None = None  # personal namespaces
    visibility: Visibility = "private"
    description: str = ""
    # GitLab.com subscription facts, exposed on GET /namespaces/:id
    plan: str | None = "free"
    trial: bool = False
    trial_ends_on: date | None = None
    end_date: date | None = None
    max_seats_used: int = 0


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_id: int
    visibility: Visibility = "private"
    description: str = ""
    archived: bool = False
    default_branch: str = "main"


@dataclass
class Member:
    user_id: int
    access_level: int
    expires_at: date | None = None
    created_at: datetime = CREATED_AT


Source = Namespace | Project  # what members belong to


@dataclass
class GitLabState:
    users: dict[int, User] = field(default_factory=dict)
    namespaces: dict[int, Namespace] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    # ("namespace" | "project", id) -> user id -> membership
    members: dict[tuple[str, int], dict[int, Member]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # token -> user id
    project_redirects: dict[str, int] = field(default_factory=dict)  # old full path (casefolded) -> id
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)

    def next_id(self, table: str) -> int:
        """Each table has its own id sequence, as in GitLab (a user and a group may share an id)."""
        with self.lock:
            return next(self._ids.setdefault(table, itertools.count(1)))

    # --- seeding -------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        state: Literal["active", "blocked", "deactivated"] = "active",
        admin: bool = False,
    ) -> User:
        with self.lock:
            if self.user_by_username(username):
                raise ValueError(f"user {username!r} exists already")
            self._check_free_top_level_path(username)
            user = User(self.next_id("users"), username, name or username.title(), state, admin=admin)
            personal = Namespace(self.next_id("namespaces"), user.name, username, "user", owner_id=user.id)
            user.namespace_id = personal.id
            self.users[user.id] = user
            self.namespaces[personal.id] = personal
            return user

    def add_group(
        self,
        full_path: str,
        *,
        name: str | None = None,
        plan: str | None = "free",
        trial: bool = False,
        trial_ends_on: date | None = None,
        end_date: date | None = None,
        visibility: Visibility = "private",
    ) -> Namespace:
        """A group at `full_path`; its parent (everything before the last '/') must exist already."""
        with self.lock:
            parent_path, _, path = full_path.rpartition("/")
            parent = self.namespace_by_full_path(parent_path) if parent_path else None
            if parent_path and (parent is None or parent.kind != "group"):
                raise ValueError(f"no parent group {parent_path!r} for {full_path!r}")
            if self.namespace_by_full_path(full_path) or self.project_by_full_path(full_path):
                raise ValueError(f"{full_path!r} is taken")
            if parent is None:
                self._check_free_top_level_path(path)
            group = Namespace(
                self.next_id("namespaces"),
                name or path,
                path,
                "group",
                parent_id=parent.id if parent else None,
                visibility=visibility,
                plan=plan,
                trial=trial,
                trial_ends_on=trial_ends_on,
                end_date=end_date,
            )
            self.namespaces[group.id] = group
            return group

    def add_project(
        self, full_path: str, *, name: str | None = None, visibility: Visibility = "private"
    ) -> Project:
        """A project at `full_path` in an existing group or personal namespace."""
        with self.lock:
            parent_path, _, path = full_path.rpartition("/")
            parent = self.namespace_by_full_path(parent_path)
            if parent is None:
                raise ValueError(f"no namespace {parent_path!r} for project {full_path!r}")
            if self.project_by_full_path(full_path) or self.namespace_by_full_path(full_path):
                raise ValueError(f"{full_path!r} is taken")
            project = Project(self.next_id("projects"), name or path, path, parent.id, visibility)
            self.projects[project.id] = project
            return project

    def add_member(
        self, source: Source, user: User, access_level: int, *, expires_at: date | None = None
    ) -> Member:
        """A direct membership of `user` in a group or project (replacing an earlier one)."""
        if access_level not in ACCESS_LEVELS:
            raise ValueError(f"access_level {access_level} is not one of {sorted(ACCESS_LEVELS)}")
        with self.lock:
            member = Member(user.id, access_level, expires_at)
            self.members.setdefault(self._source_key(source), {})[user.id] = member
            return member

    def remove_member(self, source: Source, user: User) -> None:
        with self.lock:
            self.members.get(self._source_key(source), {}).pop(user.id, None)

    def set_subscription(self, namespace: Namespace, **facts: Any) -> None:
        """Change plan, trial, trial_ends_on, end_date or max_seats_used of a namespace."""
        with self.lock:
            for key, value in facts.items():
                if key not in {"plan", "trial", "trial_ends_on", "end_date", "max_seats_used"}:
                    raise ValueError(f"{key!r} is not a subscription fact")
                setattr(namespace, key, value)

    def rename_project(self, project: Project, new_path: str) -> None:
        """Change a project's path; the old full path keeps redirecting to it, as GitLab's routes do."""
        with self.lock:
            self.project_redirects[self.project_full_path(project).casefold()] = project.id
            project.path = new_path

    def add_token(self, token: str, user: User) -> None:
        """A personal access token acting as `user`."""
        with self.lock:
            self.tokens[token] = user.id

    def seed(self, data: dict[str, Any]) -> None:
        """Seed from plain data (JSON), in the order users, groups, projects, members, tokens.

        {"users": [{"username": "alice", "name": "Alice", "admin": false}],
         "groups": [{"full_path": "acme", "plan": "ultimate", "end_date": "2027-01-31"}],
         "projects": [{"full_path": "acme/api"}],
         "members": [{"source": "acme", "username": "alice", "access_level": 50}],
         "tokens": [{"token": "t0ken", "username": "alice"}]}
        """
        for user in data.get("users", []):
            self.add_user(user["username"], name=user.get("name"), admin=user.get("admin", False))
        for group in data.get("groups", []):
            dates: dict[str, Any] = {
                k: date.fromisoformat(group[k]) for k in ("trial_ends_on", "end_date") if group.get(k)
            }
            self.add_group(
                group["full_path"],
                name=group.get("name"),
                plan=group.get("plan", "free"),
                trial=group.get("trial", False),
                **dates,
            )
        for project in data.get("projects", []):
            self.add_project(project["full_path"], name=project.get("name"))
        for member in data.get("members", []):
            source = self.project_by_full_path(member["source"]) or self.namespace_by_full_path(
                member["source"]
            )
            user = self.user_by_username(member["username"])
            if source is None or user is None:
                raise ValueError(f"seed member {member!r}: unknown source or user")
            self.add_member(source, user, int(member["access_level"]))
        for token in data.get("tokens", []):
            user = self.user_by_username(token["username"])
            if user is None:
                raise ValueError(f"seed token for unknown user {token['username']!r}")
            self.add_token(token["token"], user)

    # --- look-ups, as GitLab's finders do them ------------------------------------------------

    def user_by_username(self, username: str) -> User | None:
        """Usernames are unique without regard to case."""
        with self.lock:
            wanted = username.casefold()
            return next((u for u in self.users.values() if u.username.casefold() == wanted), None)

    def user_for_token(self, token: str) -> User | None:
        with self.lock:
            user_id = self.tokens.get(token)
            return self.users.get(user_id) if user_id is not None else None

    def namespace_full_path(self, namespace: Namespace) -> str:
        with self.lock:
            parts = [namespace.path]
            while namespace.parent_id is not None:
                namespace = self.namespaces[namespace.parent_id]
                parts.append(namespace.path)
            return "/".join(reversed(parts))

    def namespace_full_name(self, namespace: Namespace) -> str:
        with self.lock:
            names = [namespace.name]
            while namespace.parent_id is not None:
                namespace = self.namespaces[namespace.parent_id]
                names.append(namespace.name)
            return " / ".join(reversed(names))

    def project_full_path(self, project: Project) -> str:
        return f"{self.namespace_full_path(self.namespaces[project.namespace_id])}/{project.path}"

    def namespace_by_full_path(self, full_path: str) -> Namespace | None:
        with self.lock:
            wanted = full_path.casefold()
            return next(
                (n for n in self.namespaces.values() if self.namespace_full_path(n).casefold() == wanted),
                None,
            )

    def project_by_full_path(self, full_path: str, *, follow_redirects: bool = False) -> Project | None:
        with self.lock:
            wanted = full_path.casefold()
            found = next(
                (p for p in self.projects.values() if self.project_full_path(p).casefold() == wanted), None
            )
            if found is None and follow_redirects and wanted in self.project_redirects:
                found = self.projects.get(self.project_redirects[wanted])
            return found

    def ancestors(self, namespace: Namespace) -> list[Namespace]:
        """The namespace itself, then its parent, up to the top-level namespace."""
        with self.lock:
            chain = [namespace]
            while chain[-1].parent_id is not None:
                chain.append(self.namespaces[chain[-1].parent_id])
            return chain

    def direct_members(self, source: Source) -> dict[int, Member]:
        with self.lock:
            return dict(self.members.get(self._source_key(source), {}))

    def all_members(self, source: Source) -> dict[int, Member]:
        """GitLab's members/all: direct members plus those inherited from ancestor groups (a project's
        namespace and its ancestors); members of subgroups are not included. Where a user is a member at
        several levels, only the membership with the highest access level counts."""
        with self.lock:
            if isinstance(source, Project):
                levels: list[Source] = [source, *self.ancestors(self.namespaces[source.namespace_id])]
            else:
                levels = list(self.ancestors(source))
            best: dict[int, Member] = {}
            for level in levels:
                if isinstance(level, Namespace) and level.kind == "user":
                    continue  # a personal namespace has an owner, not members
                for user_id, member in self.direct_members(level).items():
                    if user_id not in best or member.access_level > best[user_id].access_level:
                        best[user_id] = member
            return best

    def projects_in(self, namespace: Namespace) -> list[Project]:
        with self.lock:
            return [p for p in self.projects.values() if p.namespace_id == namespace.id]

    # --- internals -----------------------------------------------------------------------------

    @staticmethod
    def _source_key(source: Source) -> tuple[str, int]:
        return ("project", source.id) if isinstance(source, Project) else ("namespace", source.id)

    def _check_free_top_level_path(self, path: str) -> None:
        # Users and top-level groups share one path space in GitLab.
        if self.namespace_by_full_path(path):
            raise ValueError(f"top-level path {path!r} is taken")
