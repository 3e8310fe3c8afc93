"""The issue writer: create an issue once, find it again by its marker, add notes, change labels, close.

Every write is safe to repeat. A create is never retried blindly: python-gitlab's own transient
retries are off for POSTs (a 502 or a dropped connection may come *after* GitLab created the issue),
and the next attempt first looks for the marker the body carries. Idempotent calls (GET, PUT) keep
python-gitlab's retries. 429s are obeyed: short Retry-After waits are slept through by python-gitlab,
longer ones come back as `outbox.RetryAfter`, so a worker is never held for minutes.

GitLab's answers become the outbox's vocabulary: 401/403/404/400/422 are `PermanentError` (retrying
cannot help; the item is parked for a person), 429 is `RetryAfter`, anything else is transient.

Only what Logdive wrote is ever taken for its own: an issue or note found by its marker is adopted
only when its author is Logdive's GitLab user (`GET /user`, asked once and remembered), the marker is
the whole of the line where Logdive writes it, and, where asked, the issue is confidential. Markers
are predictable and anyone who can open an issue can type one; nobody else can be Logdive's user.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gitlab
import requests
from gitlab.v4.objects import Project, ProjectIssue
from requests.adapters import HTTPAdapter

from bot import outbox
from bot.logs import get_logger

log = get_logger(__name__)

PER_PAGE = 100  # GitLab's maximum page size
DEFAULT_RETRY_AFTER = 60.0
_PERMANENT = {400, 401, 403, 404, 405, 409, 410, 413, 422}


@dataclass(frozen=True)
class IssueRef:
    project: str
    iid: int
    web_url: str
    state: str
    labels: tuple[str, ...]

    @classmethod
    def of(cls, project: str, issue: Any) -> IssueRef:
        return cls(project, int(issue.iid), str(issue.web_url), str(issue.state), tuple(issue.labels or ()))


@dataclass(frozen=True)
class NoteRef:
    id: int
    url: str | None


class _RateLimits(threading.local):
    """The last Retry-After GitLab asked of this thread, before it was capped for python-gitlab."""

    retry_after: float | None = None


def cap_rate_limit_waits(client: gitlab.Gitlab, cap_seconds: float, pool_size: int = 16) -> _RateLimits:
    """Let python-gitlab sleep at most `cap_seconds` on a 429 and remember what GitLab asked for;
    and give the client a connection pool as large as the number of threads that share it."""
    memo = _RateLimits()

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
        if response.status_code == 429:
            asked = _seconds(response.headers.get("Retry-After"))
            memo.retry_after = asked
            if asked is not None and asked > cap_seconds:
                response.headers["Retry-After"] = str(int(cap_seconds))
        return response

    session = client.session
    session.hooks.setdefault("response", []).append(hook)
    for scheme in ("http://", "https://"):
        session.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 10)))
    return memo


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class IssueWriter:
    def __init__(self, client: gitlab.Gitlab, *, rate_limits: _RateLimits | None = None) -> None:
        self._gl = client
        self._rate_limits = rate_limits or _RateLimits()
        self._user_id: int | None = None
        self._user_lock = threading.Lock()

    # --- errors --------------------------------------------------------------------------------

    @contextmanager
    def _answers(self, doing: str) -> Iterator[None]:
        """GitLab's failures in the outbox's terms; the message names what was being done."""
        self._rate_limits.retry_after = None
        try:
            yield
        except gitlab.exceptions.GitlabError as exc:
            code = exc.response_code
            if code == 429:
                wait = self._rate_limits.retry_after or DEFAULT_RETRY_AFTER
                raise outbox.RetryAfter(
                    wait, f"{doing}: GitLab rate limit (429), retry in {wait:.0f} s"
                ) from None
            if code in _PERMANENT:
                raise outbox.PermanentError(f"{doing}: GitLab answered {code}: {exc.error_message}") from None
            raise RuntimeError(f"{doing}: GitLab answered {code or 'no status'}") from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise ConnectionError(f"{doing}: GitLab unreachable ({type(exc).__name__})") from None

    def _project(self, project: str | int) -> Project:
        return self._gl.projects.get(project, lazy=True)  # no request: python-gitlab URL-encodes paths

    # --- who am I ------------------------------------------------------------------------------

    def user_id(self) -> int:
        """The bot's own GitLab user id (`GET /user`, once): the author of every issue and note it may
        adopt, and whose changes it ignores when they come back by webhook."""
        with self._user_lock:
            if self._user_id is None:
                with self._answers("reading the bot user"):
                    self._gl.auth()
                assert self._gl.user is not None
                self._user_id = int(self._gl.user.id)
            return self._user_id

    def _written_by_us(self, what: str, item: Any, text: str | None, marker: str, line: int) -> bool:
        """Is `item` (an issue or a note) Logdive's own, with `marker` as line `line` of `text`?"""
        lines = (text or "").splitlines()
        if len(lines) <= line or lines[line].strip() != marker:
            return False
        author = (getattr(item, "author", None) or {}).get("id")
        if author != self.user_id():
            log.warning("gitlab.marker_not_ours", what=what, id=int(item.id), author_id=author)
            return False
        return True

    # --- issues --------------------------------------------------------------------------------

    def find_by_marker(
        self,
        project: str | int,
        marker: str,
        *,
        search: str,
        state: str = "all",
        labels: list[str] | None = None,
        line: int = 0,
        confidential: bool | None = None,
    ) -> IssueRef | None:
        """Logdive's own issue whose description has `marker` as line `line`, searched for by `search`
        (a word in it); with `confidential` set, the issue must be (or not be) confidential too.

        GitLab's search matches substrings (`logdive-case:4` also finds case 42) and finds anyone's
        issues, so every candidate is checked (see the module docstring); all pages are read."""
        # python-gitlab sends only `query_parameters` once given (and `in` is a Python keyword).
        query: dict[str, Any] = {"search": search, "in": "description", "state": state}
        query["order_by"] = "created_at"
        if labels:
            query["labels"] = ",".join(labels)
        with self._answers(f"searching {project} for {search}"):
            candidates = self._project(project).issues.list(
                iterator=True, per_page=PER_PAGE, query_parameters=query
            )
            for issue in candidates:
                if not self._written_by_us("issue", issue, issue.description, marker, line):
                    continue
                if confidential is not None and bool(issue.confidential) != confidential:
                    shown = not confidential  # what the issue is instead
                    log.warning("gitlab.marker_not_ours", what="issue", id=int(issue.id), confidential=shown)
                    continue
                return IssueRef.of(str(project), issue)
        return None

    def create(
        self,
        project: str | int,
        *,
        title: str,
        description: str,
        labels: list[str],
        confidential: bool,
    ) -> IssueRef:
        """One POST, never retried here on a 5xx or a lost connection (see the module docstring);
        assignees are never set."""
        with self._answers(f"creating an issue in {project}"):
            issue = self._project(project).issues.create(
                {"title": title, "description": description, "labels": labels, "confidential": confidential},
                retry_transient_errors=False,
            )
        log.info("gitlab.issue_created", project=str(project), iid=issue.iid)
        return IssueRef.of(str(project), issue)

    def ensure(
        self,
        project: str | int,
        *,
        marker: str,
        search: str,
        title: str,
        description: str,
        labels: list[str],
        confidential: bool,
    ) -> tuple[IssueRef, bool]:
        """Logdive's issue carrying `marker` on its first line, created if there is none yet.
        (issue, created)"""
        found = self.find_by_marker(project, marker, search=search, confidential=confidential or None)
        if found is not None:
            log.info("gitlab.issue_found", project=str(project), iid=found.iid)
            return found, False
        return (
            self.create(
                project, title=title, description=description, labels=labels, confidential=confidential
            ),
            True,
        )

    def update(
        self,
        project: str | int,
        iid: int,
        *,
        add_labels: list[str] | None = None,
        remove_labels: list[str] | None = None,
        state_event: str | None = None,
    ) -> IssueRef:
        """Label changes and close/reopen in one PUT (idempotent: safe to repeat)."""
        data: dict[str, Any] = {}
        if add_labels:
            data["add_labels"] = ",".join(add_labels)
        if remove_labels:
            data["remove_labels"] = ",".join(remove_labels)
        if state_event:
            data["state_event"] = state_event
        with self._answers(f"updating {project}#{iid}"):
            answer = self._project(project).issues.update(iid, data)
        issue = ProjectIssue(self._project(project).issues, answer)
        return IssueRef.of(str(project), issue)

    def get(self, project: str | int, iid: int) -> IssueRef:
        with self._answers(f"reading {project}#{iid}"):
            return IssueRef.of(str(project), self._project(project).issues.get(iid))

    # --- notes ---------------------------------------------------------------------------------

    def find_note(self, project: str | int, iid: int, marker: str) -> NoteRef | None:
        """Logdive's own note on the issue whose first line is `marker`, newest first, all pages read."""
        with self._answers(f"reading the notes of {project}#{iid}"):
            notes = (
                self._project(project)
                .issues.get(iid, lazy=True)
                .notes.list(iterator=True, sort="desc", order_by="created_at", per_page=PER_PAGE)
            )
            for note in notes:
                if self._written_by_us("note", note, note.body, marker, 0):
                    return NoteRef(int(note.id), None)
        return None

    def note(
        self,
        project: str | int,
        iid: int,
        *,
        body: str,
        internal: bool,
        marker: str | None = None,
        look_first: bool = True,
    ) -> tuple[NoteRef, bool]:
        """Add a note unless one with `marker` exists (looked for when `look_first`). (note, created)."""
        if marker and look_first:
            found = self.find_note(project, iid, marker)
            if found is not None:
                return found, False
        with self._answers(f"adding a note to {project}#{iid}"):
            note = (
                self._project(project)
                .issues.get(iid, lazy=True)
                .notes.create({"body": body, "internal": internal}, retry_transient_errors=False)
            )
        return NoteRef(int(note.id), None), True
