"""Erasure on the SIRT issue: its title and description, and every note Logdive wrote, become tombstones
(what was erased, when, by whom, why); the notes people wrote are listed for them to remove, since
Logdive must not edit other people's notes. One outbox item per erasure, safe to repeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import cases, outbox
from bot.artefacts.events import GITLAB_TOMBSTONE
from bot.db.engine import session_scope
from bot.db.models import OutboxItem
from bot.gitlab.issue_content import case_marker
from bot.gitlab.outbox_handlers import GitLabDelivery
from bot.gitlab.templates import render, render_title
from workflows.gitlab_text import marker


class IssueTombstone:
    def __init__(self, delivery: GitLabDelivery) -> None:
        self.delivery = delivery

    def handlers(self) -> dict[str, outbox.Handler]:
        return {GITLAB_TOMBSTONE: self.replace}

    def replace(self, item: OutboxItem) -> dict[str, Any]:
        project_name = self.delivery.settings.sirt_project
        with session_scope(self.delivery.database_url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            iid, label = case.sirt_issue_iid, cases.case_label(case.id or 0)
        if not project_name or iid is None:
            return {"skipped": "no SIRT issue"}
        writer = self.delivery.writer
        at = datetime.fromisoformat(str(item.payload["at"]))
        context = {"label": label, "by": str(item.payload["by"]), "why": str(item.payload["why"]), "at": at}
        listing = marker("erasure", int(item.payload["case_id"]))
        project = writer._project(project_name)
        issue = project.issues.get(iid)
        issue.title = render_title("erasure_tombstone", what="title", **context)
        issue.description = render(
            "erasure_tombstone", what="description", marker=case_marker(case.id or 0), **context
        )
        issue.save()
        mine, others = 0, []
        note_text = render("erasure_tombstone", what="note", **context)
        for note in issue.notes.list(iterator=True, per_page=100):
            if note.system:
                continue
            if int(note.author["id"]) != writer.user_id():
                others.append({"id": note.id, "author": f"@{note.author['username']}", "at": note.created_at})
            elif str(listing) not in note.body and note.body != note_text:
                note.body = note_text
                note.save()
                mine += 1
        body = render("erasure_tombstone", what="listing", marker=listing, others=others, **context)
        writer.note(project_name, iid, body=body, internal=True, marker=str(listing))
        return {"notes_replaced": mine, "notes_listed": len(others)}
