"""Issues, notes, labels and project webhooks in the GitLab stand-in, kept beside `GitLabState`.

What GitLab does with the text it is given happens here too: quick actions in a new description or
note are executed for their author (assign, label, close, confidential, …) and removed from the stored
text; every mention, reference and piece of raw HTML is recorded (see bot.sandbox.gitlab.markdown),
so a test can count what a customer's words would have done. Project webhooks are delivered the way
GitLab delivers them (X-Gitlab-Event, X-Gitlab-Token, X-Gitlab-Event-UUID), from a thread of their
own, after the API call that caused them has answered.

`tracker(state)` returns the one tracker of a state; tests reach it as `issues_of(gitlab_standin)`.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.sandbox.gitlab.markdown import QuickAction, extract_quick_actions, read
from bot.sandbox.gitlab.state import GitLabState, Project, User

IssueState = Literal["opened", "closed"]


@dataclass
class Note:
    id: int
    project_id: int
    issue_iid: int
    issue_id: int
    body: str
    author_id: int
    internal: bool
    created_at: datetime
    system: bool = False


@dataclass
class Issue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    author_id: int
    confidential: bool
    labels: list[str]
    created_at: datetime
    updated_at: datetime
    state: IssueState = "opened"
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    assignee_ids: list[int] = field(default_factory=list)
    subscriber_ids: list[int] = field(default_factory=list)
    due_date: str | None = None
    discussion_locked: bool = False
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Executed:
    """A quick action GitLab would have run, where, and for whom."""

    action: QuickAction
    where: str  # "issue 3 description" | "note 12"
    project_id: int
    issue_iid: int
    author_id: int


@dataclass(frozen=True)
class Mentioned:
    name: str  # a user or group path, without '@'
    where: str
    project_id: int
    issue_iid: int
    notified_user_id: int | None  # the user it resolves to, if one exists


@dataclass
class Hook:
    id: int
    project_id: int
    url: str
    token: str | None
    issues_events: bool = True
    confidential_issues_events: bool = True
    note_events: bool = True
    confidential_note_events: bool = True


@dataclass
class Delivery:
    hook_id: int
    event: str  # X-Gitlab-Event
    uuid: str
    payload: dict[str, Any]
    status: int | None = None  # the receiver's answer; None until sent or when it could not be reached
    error: str | None = None
    seconds: float | None = None


@dataclass
class LostAnswer:
    """Perform the write, then answer `status` instead of its result (a proxy timing out after Rails
    committed): what an idempotent writer must survive. `what`: "issue" or "note"."""

    what: str
    times: int
    status: int = 502


class IssueTracker:
    def __init__(self, state: GitLabState) -> None:
        self.state = state
        self.issues: dict[int, Issue] = {}  # by global id
        self.labels: dict[int, set[str]] = {}  # project id -> label names that exist
        self.executed: list[Executed] = []
        self.mentions: list[Mentioned] = []
        self.references: list[tuple[str, str]] = []  # (where, reference)
        self.html: list[tuple[str, str]] = []  # (where, raw HTML)
        self.hooks: list[Hook] = []
        self.deliveries: list[Delivery] = []
        self.lost_answers: list[LostAnswer] = []
        self._note_ids = itertools.count(1)
        self._outgoing: queue.Queue[Delivery] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._sender_lock = threading.Lock()
        self._sent = threading.Condition()

    # --- reading -------------------------------------------------------------------------------

    def in_project(self, project: Project) -> list[Issue]:
        with self.state.lock:
            return sorted(
                (i for i in self.issues.values() if i.project_id == project.id), key=lambda i: i.iid
            )

    def issue(self, project: Project, iid: int) -> Issue | None:
        with self.state.lock:
            return next(
                (i for i in self.issues.values() if i.project_id == project.id and i.iid == iid), None
            )

    def next_iid(self, project: Project) -> int:
        return max((i.iid for i in self.issues.values() if i.project_id == project.id), default=0) + 1

    # --- what GitLab does with text ------------------------------------------------------------

    def interpret(self, text: str, *, issue: Issue, author: User, where: str) -> str:
        """Execute the quick actions in `text` for `author`, record mentions, references and HTML;
        return the text as GitLab stores it (commands removed). Called with the state lock held."""
        remaining, actions = extract_quick_actions(text)
        for action in actions:
            self.executed.append(Executed(action, where, issue.project_id, issue.iid, author.id))
            self._apply(action, issue, author, where)
        reading = read(remaining)
        for name in reading.mentions:
            self._mention(name, issue, where)
        self.references.extend((where, ref) for ref in reading.references)
        self.html.extend((where, html) for html in reading.html)
        return remaining

    def _mention(self, name: str, issue: Issue, where: str) -> None:
        user = self.state.user_by_username(name)
        self.mentions.append(Mentioned(name, where, issue.project_id, issue.iid, user.id if user else None))

    def _apply(self, action: QuickAction, issue: Issue, author: User, where: str) -> None:
        """The quick actions that change an issue, as GitLab's interpreter applies them."""
        name, arg = action.name, action.argument
        users = [self.state.user_by_username(u.lstrip("@")) for u in arg.split() if u.startswith("@")]
        if arg.strip() == "me":
            users = [author]
        found = [u for u in users if u is not None]
        now = datetime.now(UTC)
        if name in ("assign", "reassign"):
            issue.assignee_ids = ([] if name == "reassign" else issue.assignee_ids) + [
                u.id for u in found if u.id not in issue.assignee_ids
            ]
        elif name == "unassign":
            removing = {u.id for u in found} if found else set(issue.assignee_ids)
            issue.assignee_ids = [i for i in issue.assignee_ids if i not in removing]
        elif name in ("label", "labels", "relabel"):
            labels = _label_names(arg)
            issue.labels = _merge_labels([] if name == "relabel" else issue.labels, labels)
            self.labels.setdefault(issue.project_id, set()).update(labels)
        elif name in ("unlabel", "remove_label"):
            unlabelled = set(_label_names(arg)) if arg else set(issue.labels)
            issue.labels = [label for label in issue.labels if label not in unlabelled]
        elif name == "close":
            issue.state, issue.closed_at, issue.closed_by_id = "closed", now, author.id
        elif name == "reopen":
            issue.state, issue.closed_at = "opened", None
        elif name == "confidential":
            issue.confidential = True
        elif name == "title" and arg:
            issue.title = arg
        elif name == "cc":
            for username in (u.lstrip("@") for u in arg.split() if u.startswith("@")):
                self._mention(username, issue, where)
        elif name == "subscribe":
            issue.subscriber_ids.append(author.id)
        elif name == "due":
            issue.due_date = arg
        elif name in ("lock", "unlock"):
            issue.discussion_locked = name == "lock"

    # --- lost answers --------------------------------------------------------------------------

    def lose_answer_next(self, what: str, times: int = 1, *, status: int = 502) -> LostAnswer:
        """The next `times` creates of `what` ("issue" or "note") happen, then answer `status`."""
        lost = LostAnswer(what, times, status)
        with self.state.lock:
            self.lost_answers.append(lost)
        return lost

    def take_lost_answer(self, what: str) -> LostAnswer | None:
        with self.state.lock:
            for lost in self.lost_answers:
                if lost.what == what and lost.times > 0:
                    lost.times -= 1
                    return lost
        return None

    # --- webhooks ------------------------------------------------------------------------------

    def add_hook(self, project: Project, url: str, token: str | None = None, **events: bool) -> Hook:
        with self.state.lock:
            hook = Hook(self.state.next_id("hooks"), project.id, url, token, **events)
            self.hooks.append(hook)
            return hook

    def fire(
        self, project_id: int, kind: Literal["issue", "note"], confidential: bool, payload: dict
    ) -> None:
        """Queue one delivery per matching hook; GitLab sends them from Sidekiq, after the request."""
        event = {
            ("issue", False): ("Issue Hook", "issues_events"),
            ("issue", True): ("Confidential Issue Hook", "confidential_issues_events"),
            ("note", False): ("Note Hook", "note_events"),
            ("note", True): ("Confidential Note Hook", "confidential_note_events"),
        }[(kind, confidential)]
        for hook in [h for h in self.hooks if h.project_id == project_id and getattr(h, event[1])]:
            delivery = Delivery(hook.id, event[0], str(uuid.uuid4()), payload)
            self.deliveries.append(delivery)
            self._send(delivery)

    def resend(self, delivery: Delivery) -> Delivery:
        """GitLab's "Resend request": the same event, the same UUID, delivered again."""
        again = Delivery(delivery.hook_id, delivery.event, delivery.uuid, delivery.payload)
        with self.state.lock:
            self.deliveries.append(again)
        self._send(again)
        return again

    def wait_for_deliveries(self, timeout: float = 5.0) -> list[Delivery]:
        """Every queued delivery has been sent (or failed); returns them all."""
        with self._sent:
            self._sent.wait_for(lambda: self._outgoing.unfinished_tasks == 0, timeout=timeout)
        with self.state.lock:
            return list(self.deliveries)

    def _send(self, delivery: Delivery) -> None:
        self._outgoing.put(delivery)
        with self._sender_lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._drain, name="gitlab-standin-hooks", daemon=True)
                self._sender.start()

    def _drain(self) -> None:
        while True:
            try:
                delivery = self._outgoing.get(timeout=2.0)  # idle: the thread ends, restarted on demand
            except queue.Empty:
                return
            try:
                self._post(delivery)
            finally:
                self._outgoing.task_done()
                with self._sent:
                    self._sent.notify_all()

    def _post(self, delivery: Delivery) -> None:
        hook = next(h for h in self.hooks if h.id == delivery.hook_id)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/17.6.0",
            "X-Gitlab-Event": delivery.event,
            "X-Gitlab-Event-UUID": delivery.uuid,
            "X-Gitlab-Webhook-UUID": f"hook-{hook.id}",
            "X-Gitlab-Instance": "http://gitlab.standin",
        }
        if hook.token:
            headers["X-Gitlab-Token"] = hook.token
        request = urllib.request.Request(
            hook.url, data=json.dumps(delivery.payload).encode(), headers=headers, method="POST"
        )
        started = datetime.now(UTC)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                delivery.status = answer.status
        except urllib.error.HTTPError as error:
            delivery.status = error.code
        except OSError as error:
            delivery.error = type(error).__name__
        delivery.seconds = (datetime.now(UTC) - started).total_seconds()


def tracker(state: GitLabState) -> IssueTracker:
    """The issue tracker of `state`, made on first use (GitLabState knows nothing of issues)."""
    with state.lock:
        found = vars(state).get("_issue_tracker")
        if found is None:
            found = IssueTracker(state)
            vars(state)["_issue_tracker"] = found
        return found


def issues_of(standin: Any) -> IssueTracker:
    """The tracker of a running `GitLabStandIn`."""
    return tracker(standin.state)


def _label_names(arg: str) -> list[str]:
    """`~foo ~"bar baz" qux` -> ["foo", "bar baz", "qux"], as GitLab's label quick actions read them."""
    names: list[str] = []
    rest = arg.strip()
    while rest:
        rest = rest.lstrip()
        if rest.startswith('~"') or rest.startswith('"'):
            start = rest.index('"') + 1
            end = rest.find('"', start)
            end = len(rest) if end == -1 else end
            names.append(rest[start:end])
            rest = rest[end + 1 :]
        else:
            word, _, rest = rest.partition(" ")
            if word.lstrip("~"):
                names.append(word.lstrip("~"))
    return names


def _merge_labels(current: list[str], adding: list[str]) -> list[str]:
    """Add labels; a scoped label (`scope::value`) replaces another of the same scope, as in GitLab."""
    result = list(current)
    for label in adding:
        if "::" in label:
            scope = label.rsplit("::", 1)[0]
            result = [lbl for lbl in result if "::" not in lbl or lbl.rsplit("::", 1)[0] != scope]
        if label not in result:
            result.append(label)
    return result
