"""Read-only directory endpoints: users, namespaces, groups, projects and their members.

Who may see what (GitLab hides what a token may not read behind a 404, never a 403): an admin token
sees everything; any other token sees public groups and projects, its own personal namespace, and
groups and projects it is a (possibly inherited) member of.
"""

from __future__ import annotations

import re

from bot.sandbox.gitlab import entities
from bot.sandbox.gitlab.pagination import paginate
from bot.sandbox.gitlab.router import RequestContext, Response, Router, not_found, record_not_found
from bot.sandbox.gitlab.state import Member, Namespace, Project, Source

ROUTER = Router()
INTEGER_ID = re.compile(r"-?\d+")  # GitLab's INTEGER_ID_REGEX: anything else is a full path


def can_read(ctx: RequestContext, source: Source) -> bool:
    user = ctx.current_user
    if user is None:
        return False
    if user.admin or source.visibility == "public":
        return True
    if isinstance(source, Namespace) and source.kind == "user":
        return source.owner_id == user.id
    return user.id in ctx.state.all_members(source)


def find_namespace(ctx: RequestContext, kind: str | None = None) -> Namespace:
    ident, state = ctx.params["id"], ctx.state
    found = (
        state.namespaces.get(int(ident))
        if INTEGER_ID.fullmatch(ident)
        else state.namespace_by_full_path(ident)
    )
    if found is None or (kind and found.kind != kind) or not can_read(ctx, found):
        raise not_found("Group" if kind == "group" else "Namespace")
    return found


def find_project(ctx: RequestContext) -> Project:
    ident, state = ctx.params["id"], ctx.state
    found = (
        state.projects.get(int(ident))
        if INTEGER_ID.fullmatch(ident)
        else state.project_by_full_path(ident, follow_redirects=True)
    )
    if found is None or not can_read(ctx, found):
        raise not_found("Project")
    return found


# --- users -------------------------------------------------------------------------------------


@ROUTER.get("/user")
def current_user(ctx: RequestContext) -> Response:
    assert ctx.current_user is not None
    return Response(body=entities.user(ctx.state, ctx.current_user, ctx.origin))


@ROUTER.get("/users")
def list_users(ctx: RequestContext) -> Response:
    users = sorted(ctx.state.users.values(), key=lambda u: u.id, reverse=True)  # GitLab: id desc
    username = ctx.arg("username")
    if username is not None:
        users = [u for u in users if u.username.casefold() == username.casefold()]
    return paginate(ctx, users, lambda u: entities.user_basic(ctx.state, u, ctx.origin))


@ROUTER.get("/users/:id")
def get_user(ctx: RequestContext) -> Response:
    user = ctx.state.users.get(ctx.int_param("id"))
    if user is None:
        raise not_found("User")
    return Response(body=entities.user(ctx.state, user, ctx.origin))


# --- namespaces, groups, projects ---------------------------------------------------------------


@ROUTER.get("/namespaces/:id")
def get_namespace(ctx: RequestContext) -> Response:
    return Response(body=entities.namespace(ctx.state, find_namespace(ctx), ctx.origin))


@ROUTER.get("/groups/:id")
def get_group(ctx: RequestContext) -> Response:
    group = find_namespace(ctx, "group")
    with_projects = ctx.bool_arg("with_projects", True)
    return Response(body=entities.group(ctx.state, group, ctx.origin, with_projects=with_projects))


@ROUTER.get("/projects/:id")
def get_project(ctx: RequestContext) -> Response:
    return Response(body=entities.project(ctx.state, find_project(ctx), ctx.origin))


# --- members: routes in Grape's order, so members/all is never read as a user id ---------------


def _list(ctx: RequestContext, members: dict[int, Member]) -> Response:
    chosen = sorted(members.values(), key=lambda m: m.user_id)
    user_ids = ctx.int_list_arg("user_ids")
    if user_ids is not None:
        chosen = [m for m in chosen if m.user_id in set(user_ids)]
    query = (ctx.arg("query") or "").casefold()
    if query:
        users = ctx.state.users
        chosen = [
            m
            for m in chosen
            if query in users[m.user_id].username.casefold() or query in users[m.user_id].name.casefold()
        ]
    return paginate(ctx, chosen, lambda m: entities.member(ctx.state, m, ctx.origin))


def _one(ctx: RequestContext, members: dict[int, Member]) -> Response:
    found = members.get(ctx.int_param("user_id"))
    if found is None:
        raise record_not_found()
    return Response(body=entities.member(ctx.state, found, ctx.origin))


def _member_routes(kind: str) -> None:
    def members(ctx: RequestContext, *, inherited: bool) -> dict[int, Member]:
        source = find_project(ctx) if kind == "projects" else find_namespace(ctx, "group")
        return ctx.state.all_members(source) if inherited else ctx.state.direct_members(source)

    ROUTER.add("GET", f"/{kind}/:id/members", lambda ctx: _list(ctx, members(ctx, inherited=False)))
    ROUTER.add("GET", f"/{kind}/:id/members/all", lambda ctx: _list(ctx, members(ctx, inherited=True)))
    ROUTER.add("GET", f"/{kind}/:id/members/:user_id", lambda ctx: _one(ctx, members(ctx, inherited=False)))
    ROUTER.add(
        "GET", f"/{kind}/:id/members/all/:user_id", lambda ctx: _one(ctx, members(ctx, inherited=True))
    )


_member_routes("groups")
_member_routes("projects")
