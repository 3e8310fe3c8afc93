"""Project issues, their notes and project webhooks (doc/api/issues.md, notes.md, project_webhooks.md).

Who may do what, as GitLab decides it: a confidential issue is seen by the project's Reporters and up,
its author and its assignees (else 404, never 403); internal notes need Reporter or up; closing,
relabelling or editing needs Reporter or up, or being the author. An admin token may do everything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.sandbox.gitlab import entities
from bot.sandbox.gitlab.issues import Issue, IssueTracker, Note, _merge_labels, tracker
from bot.sandbox.gitlab.pagination import paginate
from bot.sandbox.gitlab.router import ApiError, RequestContext, Response, Router, bad_request, not_found
from bot.sandbox.gitlab.routes.directory import find_project
from bot.sandbox.gitlab.state import REPORTER, GitLabState, Project, User

ROUTER = Router()
MIN_SEARCH = 3  # GitLab ignores search terms shorter than three characters


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _access(ctx: RequestContext, project: Project) -> int:
    user = ctx.current_user
    assert user is not None
    if user.admin:
        return 50
    member = ctx.state.all_members(project).get(user.id)
    return member.access_level if member else 0


def _can_see(ctx: RequestContext, project: Project, issue: Issue) -> bool:
    user = ctx.current_user
    assert user is not None
    if not issue.confidential:
        return True
    return _access(ctx, project) >= REPORTER or user.id == issue.author_id or user.id in issue.assignee_ids


def _can_edit(ctx: RequestContext, project: Project, issue: Issue) -> bool:
    assert ctx.current_user is not None
    return _access(ctx, project) >= REPORTER or ctx.current_user.id == issue.author_id


def _find_issue(ctx: RequestContext, issues: IssueTracker, project: Project) -> Issue:
    issue = issues.issue(project, ctx.int_param("issue_iid"))
    if issue is None or not _can_see(ctx, project, issue):
        raise not_found("Issue")
    return issue


def _labels_arg(ctx: RequestContext, name: str) -> list[str] | None:
    raw = ctx.arg(name)
    form = ctx.form()
    if isinstance(form.get(name), list):  # a JSON array
        return [str(v).strip() for v in form[name] if str(v).strip()]
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _bool(ctx: RequestContext, name: str, default: bool) -> bool:
    value = ctx.form().get(name)
    if isinstance(value, bool):
        return value
    return ctx.bool_arg(name, default)


# --- entities ----------------------------------------------------------------------------------


def issue_entity(state: GitLabState, issue: Issue, origin: str) -> dict[str, Any]:
    project = state.projects[issue.project_id]
    full_path = state.project_full_path(project)
    web_url = f"{origin}/{full_path}/-/issues/{issue.iid}"
    author = state.users[issue.author_id]
    assignees = [entities.user_basic(state, state.users[i], origin) for i in issue.assignee_ids]
    return {
        "id": issue.id,
        "iid": issue.iid,
        "project_id": issue.project_id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "created_at": _iso(issue.created_at),
        "updated_at": _iso(issue.updated_at),
        "closed_at": _iso(issue.closed_at),
        "closed_by": entities.user_basic(state, state.users[issue.closed_by_id], origin)
        if issue.closed_by_id
        else None,
        "labels": list(issue.labels),
        "milestone": None,
        "assignees": assignees,
        "assignee": assignees[0] if assignees else None,
        "author": entities.user_basic(state, author, origin),
        "type": "ISSUE",
        "issue_type": "issue",
        "user_notes_count": sum(1 for n in issue.notes if not n.system),
        "merge_requests_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": issue.due_date,
        "confidential": issue.confidential,
        "discussion_locked": issue.discussion_locked,
        "web_url": web_url,
        "references": {
            "short": f"#{issue.iid}",
            "relative": f"#{issue.iid}",
            "full": f"{full_path}#{issue.iid}",
        },
        "_links": {
            "self": f"{origin}/api/v4/projects/{project.id}/issues/{issue.iid}",
            "notes": f"{origin}/api/v4/projects/{project.id}/issues/{issue.iid}/notes",
            "project": f"{origin}/api/v4/projects/{project.id}",
        },
    }


def note_entity(state: GitLabState, note: Note, origin: str) -> dict[str, Any]:
    return {
        "id": note.id,
        "type": None,
        "body": note.body,
        "attachment": None,
        "author": entities.user_basic(state, state.users[note.author_id], origin),
        "created_at": _iso(note.created_at),
        "updated_at": _iso(note.created_at),
        "system": note.system,
        "noteable_id": note.issue_id,
        "noteable_type": "Issue",
        "project_id": note.project_id,
        "noteable_iid": note.issue_iid,
        "resolvable": False,
        "confidential": note.internal,
        "internal": note.internal,
        "imported": False,
    }


def _hook_user(state: GitLabState, user: User, origin: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "avatar_url": None,
        "email": "[REDACTED]",
    }


def _hook_project(state: GitLabState, project: Project, origin: str) -> dict[str, Any]:
    full_path = state.project_full_path(project)
    return {
        "id": project.id,
        "name": project.name,
        "web_url": f"{origin}/{full_path}",
        "path_with_namespace": full_path,
        "namespace": state.namespace_full_name(state.namespaces[project.namespace_id]),
        "visibility_level": {"private": 0, "internal": 10, "public": 20}[project.visibility],
    }


def _issue_attributes(state: GitLabState, issue: Issue, origin: str, action: str) -> dict[str, Any]:
    shown = issue_entity(state, issue, origin)
    return {
        "id": issue.id,
        "iid": issue.iid,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "action": action,
        "confidential": issue.confidential,
        "project_id": issue.project_id,
        "author_id": issue.author_id,
        "assignee_ids": list(issue.assignee_ids),
        "labels": [{"title": label} for label in issue.labels],
        "created_at": shown["created_at"],
        "updated_at": shown["updated_at"],
        "closed_at": shown["closed_at"],
        "url": shown["web_url"],
    }


def _fire_issue(ctx: RequestContext, issues: IssueTracker, issue: Issue, action: str, changes: dict) -> None:
    project = ctx.state.projects[issue.project_id]
    assert ctx.current_user is not None
    payload = {
        "object_kind": "issue",
        "event_type": "confidential_issue" if issue.confidential else "issue",
        "user": _hook_user(ctx.state, ctx.current_user, ctx.origin),
        "project": _hook_project(ctx.state, project, ctx.origin),
        "object_attributes": _issue_attributes(ctx.state, issue, ctx.origin, action),
        "labels": [{"title": label} for label in issue.labels],
        "changes": changes,
    }
    issues.fire(project.id, "issue", issue.confidential, payload)


def _fire_note(ctx: RequestContext, issues: IssueTracker, issue: Issue, note: Note) -> None:
    project = ctx.state.projects[issue.project_id]
    assert ctx.current_user is not None
    shown = note_entity(ctx.state, note, ctx.origin)
    issue_url = issue_entity(ctx.state, issue, ctx.origin)["web_url"]
    payload = {
        "object_kind": "note",
        "event_type": "confidential_note" if (note.internal or issue.confidential) else "note",
        "user": _hook_user(ctx.state, ctx.current_user, ctx.origin),
        "project_id": project.id,
        "project": _hook_project(ctx.state, project, ctx.origin),
        "object_attributes": {
            "id": note.id,
            "note": note.body,
            "noteable_type": "Issue",
            "author_id": note.author_id,
            "created_at": shown["created_at"],
            "updated_at": shown["updated_at"],
            "project_id": project.id,
            "noteable_id": issue.id,
            "system": note.system,
            "internal": note.internal,
            "confidential": note.internal,
            "action": "create",
            "url": f"{issue_url}#note_{note.id}",
        },
        "issue": _issue_attributes(ctx.state, issue, ctx.origin, "update"),
    }
    issues.fire(project.id, "note", note.internal or issue.confidential, payload)


# --- issues ------------------------------------------------------------------------------------


@ROUTER.post("/projects/:id/issues")
def create_issue(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issues = tracker(ctx.state)
    author = ctx.current_user
    assert author is not None
    title = (ctx.arg("title") or "").strip()
    if not title:
        raise bad_request("title is missing")
    if len(title) > 255:
        raise ApiError(400, {"message": {"title": ["is too long (maximum is 255 characters)"]}})
    now = datetime.now(UTC)
    issue = Issue(
        id=ctx.state.next_id("issues"),
        iid=issues.next_iid(project),
        project_id=project.id,
        title=title,
        description="",
        author_id=author.id,
        confidential=_bool(ctx, "confidential", False),
        labels=[],
        created_at=now,
        updated_at=now,
    )
    labels = _labels_arg(ctx, "labels") or []
    issue.labels = _merge_labels([], labels)
    issues.labels.setdefault(project.id, set()).update(labels)
    assignees = ctx.int_list_arg("assignee_ids") or []
    issue.assignee_ids = [i for i in assignees if i in ctx.state.users]
    issues.issues[issue.id] = issue
    issue.description = issues.interpret(
        ctx.arg("description") or "", issue=issue, author=author, where=f"issue {issue.iid} description"
    )
    _fire_issue(ctx, issues, issue, "open", {})
    lost = issues.take_lost_answer("issue")
    if lost:
        raise ApiError(lost.status, {"message": f"{lost.status} answer lost after the issue was created"})
    return Response(201, issue_entity(ctx.state, issue, ctx.origin))


@ROUTER.get("/projects/:id/issues")
def list_issues(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issues = tracker(ctx.state)
    found = [i for i in issues.in_project(project) if _can_see(ctx, project, i)]
    state = ctx.arg("state", "all")
    if state not in ("opened", "closed", "all"):
        raise bad_request("state does not have a valid value")
    if state != "all":
        found = [i for i in found if i.state == state]
    labels = _labels_arg(ctx, "labels")
    if labels:
        found = [i for i in found if all(label in i.labels for label in labels)]
    iids = ctx.int_list_arg("iids")
    if iids is not None:
        found = [i for i in found if i.iid in set(iids)]
    search = ctx.arg("search")
    if search:
        scope = [part.strip() for part in (ctx.arg("in") or "title,description").split(",")]
        terms = [t.casefold() for t in search.split() if len(t) >= MIN_SEARCH]
        found = [
            i
            for i in found
            if terms
            and all(
                any(t in (i.title if s == "title" else i.description).casefold() for s in scope)
                for t in terms
            )
        ]
    order = ctx.arg("order_by", "created_at")
    if order not in ("created_at", "updated_at"):
        raise bad_request("order_by does not have a valid value")
    descending = ctx.arg("sort", "desc") == "desc"
    found.sort(key=lambda i: (getattr(i, order), i.id), reverse=descending)
    return paginate(ctx, found, lambda i: issue_entity(ctx.state, i, ctx.origin))


@ROUTER.get("/projects/:id/issues/:issue_iid")
def get_issue(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issue = _find_issue(ctx, tracker(ctx.state), project)
    return Response(body=issue_entity(ctx.state, issue, ctx.origin))


@ROUTER.put("/projects/:id/issues/:issue_iid")
def update_issue(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issues = tracker(ctx.state)
    issue = _find_issue(ctx, issues, project)
    author = ctx.current_user
    assert author is not None
    if not _can_edit(ctx, project, issue):
        raise ApiError(403, {"message": "403 Forbidden"})
    before = (list(issue.labels), issue.state, issue.title, issue.description)
    labels = _labels_arg(ctx, "labels")
    if labels is not None:
        issue.labels = _merge_labels([], labels)
    for label in _labels_arg(ctx, "add_labels") or []:
        issue.labels = _merge_labels(issue.labels, [label])
    removing = set(_labels_arg(ctx, "remove_labels") or [])
    issue.labels = [label for label in issue.labels if label not in removing]
    issues.labels.setdefault(project.id, set()).update(issue.labels)
    if ctx.arg("title"):
        issue.title = str(ctx.arg("title"))
    if ctx.arg("description") is not None and ctx.arg("description") != issue.description:
        issue.description = issues.interpret(
            str(ctx.arg("description")), issue=issue, author=author, where=f"issue {issue.iid} description"
        )
    if ctx.arg("confidential") is not None:
        issue.confidential = _bool(ctx, "confidential", issue.confidential)
    event = ctx.arg("state_event")
    if event not in (None, "close", "reopen"):
        raise bad_request("state_event does not have a valid value")
    now = datetime.now(UTC)
    if event == "close" and issue.state == "opened":
        issue.state, issue.closed_at, issue.closed_by_id = "closed", now, author.id
    elif event == "reopen" and issue.state == "closed":
        issue.state, issue.closed_at, issue.closed_by_id = "opened", None, None
    after = (list(issue.labels), issue.state, issue.title, issue.description)
    if after != before:
        issue.updated_at = now
        changes: dict[str, Any] = {}
        if before[0] != after[0]:
            changes["labels"] = {
                "previous": [{"title": t} for t in before[0]],
                "current": [{"title": t} for t in after[0]],
            }
        action = {("opened", "closed"): "close", ("closed", "opened"): "reopen"}.get(
            (before[1], after[1]), "update"
        )
        _fire_issue(ctx, issues, issue, action, changes)
    return Response(body=issue_entity(ctx.state, issue, ctx.origin))


# --- notes -------------------------------------------------------------------------------------


@ROUTER.get("/projects/:id/issues/:issue_iid/notes")
def list_notes(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issue = _find_issue(ctx, tracker(ctx.state), project)
    notes = [n for n in issue.notes if not n.internal or _access(ctx, project) >= REPORTER]
    order = ctx.arg("order_by", "created_at")
    if order not in ("created_at", "updated_at"):
        raise bad_request("order_by does not have a valid value")
    notes.sort(key=lambda n: (n.created_at, n.id), reverse=ctx.arg("sort", "desc") == "desc")
    return paginate(ctx, notes, lambda n: note_entity(ctx.state, n, ctx.origin))


@ROUTER.post("/projects/:id/issues/:issue_iid/notes")
def create_note(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    issues = tracker(ctx.state)
    issue = _find_issue(ctx, issues, project)
    author = ctx.current_user
    assert author is not None
    body = ctx.arg("body")
    if not body or not body.strip():
        raise bad_request("body is missing")
    if len(body) > 1_000_000:
        raise ApiError(400, {"message": 'Note {:note=>["is too long (maximum is 1000000 characters)"]}'})
    internal = _bool(ctx, "internal", _bool(ctx, "confidential", False))
    if internal and _access(ctx, project) < REPORTER:
        raise ApiError(403, {"message": "403 Forbidden"})
    note = Note(
        id=ctx.state.next_id("notes"),
        project_id=project.id,
        issue_iid=issue.iid,
        issue_id=issue.id,
        body="",
        author_id=author.id,
        internal=internal,
        created_at=datetime.now(UTC),
    )
    remaining = issues.interpret(body, issue=issue, author=author, where=f"note {note.id}")
    if not remaining.strip():  # only commands: GitLab runs them and keeps no note
        return Response(202, {"commands_changes": {}, "summary": ["Commands applied"]})
    note.body = remaining
    issue.notes.append(note)
    issue.updated_at = note.created_at
    _fire_note(ctx, issues, issue, note)
    lost = issues.take_lost_answer("note")
    if lost:
        raise ApiError(lost.status, {"message": f"{lost.status} answer lost after the note was created"})
    return Response(201, note_entity(ctx.state, note, ctx.origin))


@ROUTER.put("/projects/:id/issues/:issue_iid/notes/:note_id")
def update_note(ctx: RequestContext) -> Response:
    """Edit a note's body. As on GitLab, only its author may; quick actions are not run on an edit."""
    project = find_project(ctx)
    issue = _find_issue(ctx, tracker(ctx.state), project)
    author = ctx.current_user
    assert author is not None
    note = next((n for n in issue.notes if n.id == ctx.int_param("note_id")), None)
    if note is None or (note.internal and _access(ctx, project) < REPORTER):
        raise not_found("Note")
    if note.author_id != author.id:
        raise ApiError(403, {"message": "403 Forbidden"})
    body = ctx.arg("body")
    if not body or not body.strip():
        raise bad_request("body is missing")
    note.body = str(body)
    issue.updated_at = datetime.now(UTC)
    return Response(200, note_entity(ctx.state, note, ctx.origin))


# --- project webhooks --------------------------------------------------------------------------


@ROUTER.post("/projects/:id/hooks")
def add_hook(ctx: RequestContext) -> Response:
    project = find_project(ctx)
    if _access(ctx, project) < 40:
        raise ApiError(403, {"message": "403 Forbidden"})
    url = ctx.arg("url")
    if not url:
        raise bad_request("url is missing")
    events = {
        name: _bool(ctx, name, default)
        for name, default in (
            ("issues_events", False),
            ("confidential_issues_events", False),
            ("note_events", False),
            ("confidential_note_events", False),
        )
    }
    hook = tracker(ctx.state).add_hook(project, url, ctx.arg("token"), **events)
    return Response(
        201,
        {
            "id": hook.id,
            "url": hook.url,
            "project_id": project.id,
            **events,
            "created_at": _iso(datetime.now(UTC)),
        },
    )
