"""The bot served for real (uvicorn) with Slack's and GitLab's stand-ins: GitLab's webhooks come back to
POST /gitlab/webhook, and closing a case through Slack files the Audit Events gap issue."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot import cases, outbox
from bot.cli.main import build_app
from bot.db.engine import session_scope
from bot.db.models import Case, IdempotencyKey, OutboxItem
from bot.gitlab.outbox_handlers import GitLabDelivery
from bot.sandbox.gitlab.issues import Issue
from bot.sandbox.slack import SlackStandIn
from bot.settings import get_settings
from bot.slack.actions.close import CLOSE_ACTION
from bot.slack.blocks.audit_gap import DETAILS, MISSING, NOTHING, NOTHING_VALUE, USED_LOGS
from bot.slack.intake_form import EVENT_TYPES
from tests.gitlab_issues.conftest import (
    GAP_MARKER_SECRET,
    SIRT_HANDLE,
    SIRT_PROJECT,
    WEBHOOK_SECRET,
    World,
    settings_for,
)
from tests.services.conftest import make_assessment, make_request
from tests.slack.harness import (
    CASE_CHANNEL,
    CSM,
    GROUPS,
    NOBODY,
    SIRT,
    USERS,
    Bot,
    FactsDirectory,
    start_bot,
    stop_bot,
)
from workflows.audit_gap import GapReport
from workflows.states import CaseState, Role


@dataclass
class Live:
    bot: Bot
    world: World

    def new_case(self, *, state: CaseState = CaseState.INVESTIGATING, **request: Any) -> tuple[int, Issue]:
        """A case with its thread and its SIRT issue, moved on to `state` through the case service."""
        now = datetime.now(UTC)
        with session_scope(self.bot.database_url) as session:
            case, _ = cases.record_intake(
                session,
                request=make_request(**request),
                assessment=make_assessment(),
                actor=CSM,
                now=now,
                idempotency_key=f"live:{uuid.uuid4()}",
                channel=CASE_CHANNEL,
            )
            case_id = case.id
        assert case_id is not None
        path = [CaseState.TRIAGED, CaseState.INVESTIGATING, CaseState.ARTEFACTS_IN_REVIEW]
        path += [CaseState.ARTEFACTS_APPROVED, CaseState.SHARED]
        for step in path[: path.index(state) + 1]:
            with session_scope(self.bot.database_url) as session:
                if step is CaseState.TRIAGED:
                    cases.claim(session, case_id, actor=SIRT, roles={Role.SIRT}, now=now)
                else:  # into and through review only Logdive moves a case (its artefacts' keys)
                    roles = {Role.SIRT, Role.SYSTEM}
                    cases.apply_transition(session, case_id, step, actor=SIRT, roles=roles, now=now)
        self.bot.runtime.kick()
        self.settle()
        issue = next(i for i in self.world.sirt_issues() if f"logdive-case:{case_id} " in i.description)
        return case_id, issue

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the outbox owes nothing that is due (parked items stay)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with session_scope(self.bot.database_url) as session:
                due = session.exec(select(OutboxItem).where(OutboxItem.status == outbox.PENDING)).all()
            if not due and not self.bot.runtime.work.pending:
                self.world.tracker.wait_for_deliveries()
                with session_scope(self.bot.database_url) as session:
                    if not session.exec(select(OutboxItem).where(OutboxItem.status == outbox.PENDING)).all():
                        return
            self.bot.runtime.kick()
            time.sleep(0.05)
        raise AssertionError("the outbox did not settle")

    def thread_lines(self, case_id: int) -> list[str]:
        ts = self.bot.case(case_id).slack_thread_ts
        return [
            json.dumps(c.args.get("blocks"))
            for c in self.bot.slack.calls_to("chat.postMessage", ok=True)
            if c.args.get("thread_ts") == ts
        ]

    def as_sirt(self) -> Any:
        """python-gitlab acting as a SIRT member (not the bot), as a person in GitLab's UI would."""
        return self.world.standin.gitlab(private_token=self.world.sirt_token).projects.get(SIRT_PROJECT)


@pytest.fixture
def live(world: World, database_url: str) -> Iterator[Live]:
    slack = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    world.standin.state.add_token("glpat-standin", world.standin.bot)  # the harness's GitLab token
    settings = settings_for(world, database_url).model_dump(
        include={
            "gitlab_url",
            "gitlab_timeout_seconds",
            "gitlab_max_retries",
            "sirt_project",
            "audit_gap_project",
            "sirt_group_handle",
            "gitlab_webhook_secret",
            "outbox_concurrency",
        }
    )
    settings["gitlab_webhook_secret"] = WEBHOOK_SECRET
    settings["gap_marker_secret"] = GAP_MARKER_SECRET
    bot, server, thread = start_bot(database_url, slack, FactsDirectory(), **settings)
    world.tracker.add_hook(world.sirt, f"{bot.url}/gitlab/webhook", WEBHOOK_SECRET)
    try:
        yield Live(bot, world)
    finally:
        stop_bot(bot, server, thread)
        slack.stop()


def _post_hook(
    live: Live, *, token: str | None, uuid_: str = "u-1", event: str = "Note Hook"
) -> httpx.Response:
    headers = {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": uuid_, "Content-Type": "application/json"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    body = {"object_kind": "note", "object_attributes": {"noteable_type": "Issue", "note": "Finding: x"}}
    return live.bot.http.post(
        f"{live.bot.url}/gitlab/webhook", json=body | {"issue": {"iid": 1}}, headers=headers
    )


def _recorded(live: Live) -> tuple[int, int]:
    with session_scope(live.bot.database_url) as session:
        keys = session.exec(
            select(IdempotencyKey).where(IdempotencyKey.key.startswith("gitlab-webhook:"))
        ).all()  # type: ignore[union-attr]
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.webhook")).all()
    return len(keys), len(items)


def test_a_wrong_or_missing_token_is_refused_and_nothing_is_recorded(live: Live) -> None:
    assert _post_hook(live, token="wrong").status_code == 401
    assert _post_hook(live, token=None).status_code == 401
    assert _post_hook(live, token=WEBHOOK_SECRET[:-1]).status_code == 401
    assert _recorded(live) == (0, 0)
    assert _post_hook(live, token=WEBHOOK_SECRET).status_code == 202
    assert _recorded(live) == (1, 1)
    replay = _post_hook(live, token=WEBHOOK_SECRET)
    assert replay.status_code == 200 and replay.json() == {"ignored": "already received"}
    assert _recorded(live) == (1, 1)
    assert _post_hook(live, token=WEBHOOK_SECRET, uuid_="u-2", event="Push Hook").json()["ignored"]


def test_a_finding_noted_in_gitlab_is_told_in_the_thread_as_one_line_and_a_link(live: Live) -> None:
    case_id, issue = live.new_case()
    hooks_before = len(live.world.tracker.deliveries)
    note = (
        live.as_sirt()
        .issues.get(issue.iid)
        .notes.create(
            {"body": "**Finding:** the token was made from 198.51.100.23 by a former admin", "internal": True}
        )
    )
    live.as_sirt().issues.get(issue.iid).notes.create({"body": "Looking at the logs now"})
    live.settle()
    deliveries = live.world.tracker.deliveries[hooks_before:]
    assert [d.event for d in deliveries] == ["Confidential Note Hook"] * 2
    # Answered (the stand-in, as GitLab, gives up on a hook after 10 s): the work is queued, not done in
    # the request. How fast is benchmarks' business, not this test's.
    assert [d.status for d in deliveries] == [202, 202]
    findings = [e for e in live.bot.events(case_id) if e.kind == "finding"]
    assert len(findings) == 1 and findings[0].actor == "gitlab:sirt-sam"
    line = next(t for t in live.thread_lines(case_id) if "noted a finding" in t)
    assert f"#note_{note.id}" in line
    assert "198.51.100.23" not in json.dumps(live.thread_lines(case_id))  # the note's text stays in GitLab
    # Told once: the finding is not echoed back to the issue as a note of Logdive's own.
    assert len([n for n in live.world.sirt_issues()[0].notes if "Finding" in n.body]) == 1


def test_logdives_own_notes_and_replays_are_ignored(live: Live) -> None:
    case_id, issue = live.new_case()
    # Logdive's own notes came back as hooks while the case was set up: answered, never recorded.
    own = [d for d in live.world.tracker.deliveries if "logdive-event" in json.dumps(d.payload)]
    assert own and all(d.status == 200 for d in own)
    # A note by the bot's user without a marker is still recognised (by its GitLab user) and ignored.
    bot_project = live.world.standin.gitlab().projects.get(SIRT_PROJECT)
    bot_project.issues.get(issue.iid).notes.create({"body": "Finding: written by the bot user by hand"})
    live.settle()
    assert [e for e in live.bot.events(case_id) if e.kind == "finding"] == []
    live.as_sirt().issues.get(issue.iid).notes.create({"body": "Finding: one"})
    live.settle()
    finding_hook = live.world.tracker.deliveries[-1]
    again = live.world.tracker.resend(finding_hook)
    live.world.tracker.wait_for_deliveries()
    assert again.status == 200
    live.settle()
    assert len([e for e in live.bot.events(case_id) if e.kind == "finding"]) == 1


def test_closing_the_issue_in_gitlab_moves_the_case(live: Live) -> None:
    investigating, issue = live.new_case(state=CaseState.INVESTIGATING)
    shared, shared_issue = live.new_case(state=CaseState.SHARED)
    live.as_sirt().issues.update(issue.iid, {"state_event": "close"})
    live.as_sirt().issues.update(shared_issue.iid, {"state_event": "close"})
    live.settle()
    assert live.bot.case(investigating).state == CaseState.CANCELLED
    assert live.bot.case(shared).state == CaseState.CLOSED
    assert any(":lock:" in t and "Cancelled" in t for t in live.thread_lines(investigating))
    issues = {i.iid: i for i in live.world.sirt_issues()}
    assert issues[issue.iid].labels[-1] == "status::cancelled" and issues[issue.iid].state == "closed"
    live.as_sirt().issues.update(issue.iid, {"state_event": "reopen"})
    live.settle()
    assert live.bot.case(investigating).state == CaseState.CANCELLED  # a finished case stays finished
    assert any(":unlock:" in t for t in live.thread_lines(investigating))


def _close_through_slack(
    live: Live, case_id: int, values: dict[str, Any], user: str = SIRT
) -> httpx.Response:
    case = live.bot.case(case_id)
    live.bot.click(CLOSE_ACTION, f"{case.id}:{case.version}", user=user, message_ts=case.slack_thread_ts)
    opened = live.bot.slack.wait_for_call(
        "views.open",
        lambda c: (
            c.args["view"]["callback_id"] == "audit_gap"
            and json.loads(c.args["view"]["private_metadata"])["case_id"] == case_id
        ),
    )
    return live.bot.submit(
        values,
        view_id=opened.response["view"]["id"],
        user=user,
        callback_id="audit_gap",
        private_metadata=opened.args["view"]["private_metadata"],
    )


def _gap_values(
    missing: tuple[str, ...] = (), logs: tuple[str, ...] = (), details: str = "", nothing: bool = False
) -> dict:
    return {
        MISSING: {
            EVENT_TYPES: {
                "type": "multi_external_select",
                "selected_options": [{"value": v} for v in missing],
            }
        },
        USED_LOGS: {USED_LOGS: {"type": "checkboxes", "selected_options": [{"value": v} for v in logs]}},
        DETAILS: {DETAILS: {"type": "plain_text_input", "value": details or None}},
        NOTHING: {
            NOTHING: {"type": "checkboxes", "selected_options": [{"value": NOTHING_VALUE}] if nothing else []}
        },
    }


def test_closing_files_one_gap_issue_without_the_customer_and_later_cases_add_to_it(live: Live) -> None:
    first, first_issue = live.new_case(state=CaseState.SHARED, ticket_reference="ZD-1")
    answer = _close_through_slack(
        live,
        first,
        _gap_values(
            missing=("project_export_created", "api_access"),
            logs=("production_json", "api_json"),
            details="Seen on acme-corp/api by @bob-acme from 203.0.113.9 (ZD-1); bob-acme@acme-corp.com; "
            "Acme Corporation, acme.com, carol-outside, IP 81.2.69.142.",
        ),
    )
    assert answer.status_code == 200 and answer.json() == {"response_action": "clear"}
    live.bot.wait(lambda: live.bot.case(first).audit_gap_issue_url)
    live.settle()
    assert live.bot.case(first).state == CaseState.CLOSED
    [gap] = live.world.gap_issues()
    assert gap.labels == ["Category:Audit Events", "Enterprise Edition"] and not gap.confidential
    text = f"{gap.title}\n{gap.description}".lower()
    assert "project\\_export\\_created" in text and "api\\_access" in text and "production\\_json.log" in text
    for identity in (
        "acme",
        "alice",
        "bob",
        "carol",
        "81.2.69",
        "203.0.113.9",
        "zd-1",
        "logdive-case",
        "ld-",
    ):
        assert identity not in text, identity
    assert live.world.tracker.executed == []
    sirt_notes = "\n".join(
        n.body for n in next(i for i in live.world.sirt_issues() if i.iid == first_issue.iid).notes
    )
    assert f"/-/issues/{gap.iid})" in sirt_notes  # linked from the SIRT issue
    assert any(":memo:" in t and "filed" in t for t in live.thread_lines(first))
    assert any(m.name == SIRT_HANDLE[1:] for m in live.world.tracker.mentions)
    assert {m.name for m in live.world.tracker.mentions} == {SIRT_HANDLE[1:]}

    second, _issue = live.new_case(state=CaseState.SHARED, customer_namespace="globex")
    _close_through_slack(
        live,
        second,
        _gap_values(missing=("api_access", "project_export_created"), logs=("auth_json",)),
    )
    live.bot.wait(lambda: live.bot.case(second).audit_gap_issue_url)
    live.settle()
    assert [g.iid for g in live.world.gap_issues()] == [gap.iid]  # no duplicate: a note instead
    [note] = live.world.gap_issues()[0].notes
    assert "auth\\_json.log" in note.body and "globex" not in note.body.lower()
    assert live.bot.case(second).audit_gap_issue_url == live.bot.case(first).audit_gap_issue_url


def test_the_closing_modal_says_what_is_missing_and_nothing_missing_files_nothing(live: Live) -> None:
    case_id, _issue = live.new_case(state=CaseState.SHARED)
    refused = _close_through_slack(live, case_id, _gap_values())
    assert refused.json()["response_action"] == "errors" and MISSING in refused.json()["errors"]
    both = _close_through_slack(live, case_id, _gap_values(missing=("sign_ins",), nothing=True))
    assert NOTHING in both.json()["errors"]
    typed = _close_through_slack(live, case_id, _gap_values(missing=("Acme Corporation exports",)))
    assert "not in the event catalog" in typed.json()["errors"][MISSING]
    assert live.bot.case(case_id).state == CaseState.SHARED
    _close_through_slack(live, case_id, _gap_values(nothing=True))
    live.bot.wait(lambda: live.bot.case(case_id).state == CaseState.CLOSED)
    live.settle()
    assert live.world.gap_issues() == []
    assert live.bot.case(case_id).audit_gap_issue_url is None


def test_someone_without_the_role_cannot_close_and_gets_no_modal(live: Live) -> None:
    case_id, _issue = live.new_case(state=CaseState.SHARED)
    case = live.bot.case(case_id)
    opened = len(live.bot.slack.calls_to("views.open"))
    live.bot.click(CLOSE_ACTION, f"{case.id}:{case.version}", user=NOBODY, message_ts=case.slack_thread_ts)
    live.bot.wait(lambda: [e for e in live.bot.events(case_id) if e.kind == "unauthorised"])
    assert len(live.bot.slack.calls_to("views.open")) == opened
    assert live.bot.case(case_id).state == CaseState.SHARED


def test_a_gap_issue_that_would_name_the_customer_is_refused(world: World, database_url: str) -> None:
    """Checked, not hoped: a namespace called like the template's own words cannot be scrubbed away."""
    delivery = GitLabDelivery(settings_for(world, database_url), database_url)
    with session_scope(database_url) as session:
        case, _ = cases.record_intake(
            session,
            request=make_request(
                customer_namespace="audit-events", resources={"projects": ["audit-events/x"]}
            ),
            assessment=make_assessment(),
            actor=CSM,
            now=datetime.now(UTC),
            idempotency_key="leak",
        )
        event = cases.record_event(
            session,
            case,
            actor=SIRT,
            now=datetime.now(UTC),
            kind="audit_gap_reported",
            data={"report": GapReport(missing=["project_export_created"]).model_dump(mode="json")},
        )
        item = OutboxItem(
            case_id=case.id,
            kind="gitlab.audit_gap",
            payload={"case_id": case.id, "event_id": event.id},
            idempotency_key="x",
        )
    with pytest.raises(outbox.PermanentError, match="would name the customer"):
        delivery.audit_gap(item)
    assert world.gap_issues() == []


def test_a_parked_item_shows_in_the_thread_in_metrics_and_in_cases_show(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.world.standin.fail_always(status=403, path=r"/issues$", method="GET")  # the bot lost its access
    now = datetime.now(UTC)
    with session_scope(live.bot.database_url) as session:
        case, _ = cases.record_intake(
            session,
            request=make_request(),
            assessment=make_assessment(),
            actor=CSM,
            now=now,
            idempotency_key="parked",
            channel=CASE_CHANNEL,
        )
        case_id = case.id
    assert case_id is not None
    live.bot.runtime.kick()
    live.bot.wait(lambda: any("logdive outbox retry --case LD-" in t for t in live.thread_lines(case_id)))
    line = next(t for t in live.thread_lines(case_id) if ":warning:" in t)
    assert "gitlab.create_issue" in line and "403" in line
    metrics = live.bot.http.get(f"{live.bot.url}/metrics").text
    assert 'logdive_outbox_backlog{kind="gitlab.create_issue",status="parked"} 1.0' in metrics

    monkeypatch.setenv("DATABASE_URL", live.bot.database_url)
    get_settings.cache_clear()
    shown = CliRunner().invoke(build_app("cases"), ["cases", "show", f"LD-{case_id}", "--json"])
    owed_items = json.loads(shown.stdout)["owed"]
    assert {"kind": "gitlab.create_issue", "status": "parked"}.items() <= owed_items[0].items()

    live.world.standin.clear_faults()
    retried = CliRunner().invoke(build_app("outbox"), ["outbox", "retry", "--json"])
    assert json.loads(retried.stdout) == {"retried": 1}
    live.bot.runtime.kick()
    live.settle()
    assert live.bot.case(case_id).sirt_issue_iid is not None
    live.bot.runtime.tick()
    assert (
        'logdive_outbox_backlog{kind="gitlab.create_issue",status="parked"} 0.0'
        in live.bot.http.get(f"{live.bot.url}/metrics").text
    )


def test_a_customer_update_noted_in_gitlab_restarts_the_update_clock(live: Live) -> None:
    case_id, issue = live.new_case()
    with session_scope(live.bot.database_url) as session:
        before = session.get(Case, case_id)
        assert before is not None
        due_before = before.next_update_due
    live.as_sirt().issues.get(issue.iid).notes.create(
        {"body": "**Customer update:** sent the customer the interim summary", "internal": True}
    )
    live.settle()
    updates = [e for e in live.bot.events(case_id) if e.kind == "customer_update"]
    assert len(updates) == 1 and updates[0].actor == "gitlab:sirt-sam"
    assert updates[0].data["source"] == "gitlab"
    with session_scope(live.bot.database_url) as session:
        after = session.get(Case, case_id)
        assert after is not None and after.last_customer_update_at is not None
        assert due_before is None or after.next_update_due is None or after.next_update_due >= due_before
