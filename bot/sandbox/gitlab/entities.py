"""JSON shapes of GitLab's API entities (lib/api/entities), with the fields GitLab's docs show."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.sandbox.gitlab.state import CREATED_AT, GitLabState, Member, Namespace, Project, User


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def user_basic(state: GitLabState, user: User, origin: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": user.state,
        "locked": user.state == "blocked",
        "avatar_url": None,
        "web_url": f"{origin}/{user.username}",
    }


def user(state: GitLabState, user: User, origin: str) -> dict[str, Any]:
    return {**user_basic(state, user, origin), "bot": user.bot, "created_at": _iso(CREATED_AT)}


def member(state: GitLabState, member: Member, origin: str) -> dict[str, Any]:
    return {
        **user_basic(state, state.users[member.user_id], origin),
        "access_level": member.access_level,
        "created_at": _iso(member.created_at),
        "expires_at": _day(member.expires_at),
        "group_saml_identity": None,
        "membership_state": "active",
    }


def namespace_basic(state: GitLabState, namespace: Namespace, origin: str) -> dict[str, Any]:
    full_path = state.namespace_full_path(namespace)
    return {
        "id": namespace.id,
        "name": namespace.name,
        "path": namespace.path,
        "kind": namespace.kind,
        "full_path": full_path,
        "parent_id": namespace.parent_id,
        "avatar_url": None,
        "web_url": f"{origin}/{'groups/' if namespace.kind == 'group' else ''}{full_path}",
    }


def namespace(state: GitLabState, namespace: Namespace, origin: str) -> dict[str, Any]:
    """GET /namespaces/:id, with GitLab.com's subscription fields."""
    top = state.ancestors(namespace)[-1]
    billable = len(state.all_members(namespace)) if namespace.kind == "group" else 1
    return {
        **namespace_basic(state, namespace, origin),
        "members_count_with_descendants": billable if namespace.kind == "group" else None,
        "billable_members_count": billable,
        "max_seats_used": top.max_seats_used,
        "seats_in_use": billable,
        # the subscription belongs to the top-level namespace; subgroups report its plan
        "plan": top.plan,
        "end_date": _day(top.end_date),
        "trial_ends_on": _day(top.trial_ends_on),
        "trial": top.trial,
        "root_repository_size": 0,
        "projects_count": len(state.projects_in(namespace)),
    }


def group(state: GitLabState, group: Namespace, origin: str, *, with_projects: bool) -> dict[str, Any]:
    full_path = state.namespace_full_path(group)
    shown = {
        "id": group.id,
        "web_url": f"{origin}/groups/{full_path}",
        "name": group.name,
        "path": group.path,
        "description": group.description,
        "visibility": group.visibility,
        "full_name": state.namespace_full_name(group),
        "full_path": full_path,
        "created_at": _iso(CREATED_AT),
        "parent_id": group.parent_id,
        "avatar_url": None,
    }
    if with_projects:  # GitLab's deprecated default; clients pass with_projects=false to skip it
        shown["projects"] = [project(state, p, origin) for p in state.projects_in(group)]
        shown["shared_projects"] = []
    return shown


def project(state: GitLabState, project: Project, origin: str) -> dict[str, Any]:
    namespace = state.namespaces[project.namespace_id]
    full_path = state.project_full_path(project)
    return {
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": f"{state.namespace_full_name(namespace)} / {project.name}",
        "path": project.path,
        "path_with_namespace": full_path,
        "created_at": _iso(CREATED_AT),
        "default_branch": project.default_branch,
        "visibility": project.visibility,
        "archived": project.archived,
        "web_url": f"{origin}/{full_path}",
        "namespace": namespace_basic(state, namespace, origin),
    }
