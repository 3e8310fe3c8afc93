"""Reminders, escalations and retention warnings by time travel: every tick is given its moment."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import delete
from sqlmodel import select

from bot import cases
from bot.db.engine import session_scope
from bot.db.models import OutboxItem, ScheduledWork
from bot.scheduler import TimedWorkSender
from bot.settings import Settings
from tests.cadence.conftest import MONDAY, OWNER, SIRT_GROUP, SUPPORT_GROUP, World, at, message_text
from workflows.assessment import Route
from workflows.states import CaseState, Role

# A support-route case claimed Monday 10:00 owes its first update 12 business hours later, Tuesday
# 14:00 (7 hours on Monday, 5 on Tuesday), and is escalated 4 business hours after that, Wednesday 10:00.
CLAIMED, DUE, ESCALATES = at(23, 10), at(24, 14), at(25, 10)


def _claimed_case(world: World, **kw: object) -> int:
    case_id = world.open_case(**kw)  # type: ignore[arg-type]
    world.claim(case_id, CLAIMED)
    return case_id


def test_a_reminder_goes_to_the_owner_in_the_thread_when_due_and_only_once(world: World) -> None:
    case_id = _claimed_case(world)
    case = world.case(case_id)
    assert case.next_update_due == DUE

    assert world.tick(DUE - timedelta(minutes=1)).claimed == 0
    report = world.tick(DUE)
    assert report.sent_by_kind == {"update_reminder": 1}
    [post] = world.thread_posts(case_id)
    assert (post.args["channel"], post.args["thread_ts"]) == (case.slack_channel, case.slack_thread_ts)
    text = message_text(post)
    assert f"<@{OWNER}>" in text and f"LD-{case_id}" in text
    assert "|2026-11-24 14:00 UTC>" in text  # the due time, as a Slack date with its UTC fallback

    # Again at the same moment, by another replica, and later on: the slot is done.
    assert world.tick(DUE, "replica-2").claimed == 0
    assert world.tick(DUE + timedelta(hours=2)).claimed == 0
    assert len(world.thread_posts(case_id)) == 1
    [event] = world.events(case_id, "update_reminder")
    assert event.data["update_due_at"] == DUE.isoformat() and event.data["reminded"] == OWNER
    assert [(w.kind, w.status) for w in world.work(case_id)] == [
        ("update_reminder", "done"),
        ("escalation", "pending"),
        ("retention_warning", "pending"),  # the window's start ages out of the application logs in December
    ]


def test_an_update_restarts_the_clock_and_the_old_slot_is_never_sent(world: World) -> None:
    case_id = _claimed_case(world)
    world.update(case_id, at(24, 12))  # Tuesday 12:00: next due 12 business hours on, Wednesday 16:00
    assert world.case(case_id).next_update_due == at(25, 16)

    for moment in (DUE, ESCALATES, at(25, 15, 59)):
        assert world.tick(moment).claimed == 0
    assert world.tick(at(25, 16)).sent_by_kind == {"update_reminder": 1}
    [post] = world.thread_posts(case_id)
    assert "|2026-11-25 16:00 UTC>" in message_text(post)
    statuses = {(w.kind, w.due_at): w.status for w in world.work(case_id)}
    assert statuses[("update_reminder", DUE)] == "cancelled"
    assert statuses[("escalation", ESCALATES)] == "cancelled"


def test_a_customer_update_noted_on_the_sirt_issue_restarts_the_clock(world: World) -> None:
    """The GitLab webhook's entry point: no Slack role asked, no note written back to the issue."""
    case_id = _claimed_case(world)
    with session_scope(world.database_url) as session:
        cases.log_customer_update(
            session,
            case_id,
            actor="gitlab:sirt-analyst",
            roles=(),
            now=at(24, 12),
            summary="Customer update noted on the SIRT issue",
            url="https://gitlab.example/sirt/issues/7#note_1",
            from_gitlab=True,
        )
    assert world.case(case_id).next_update_due == at(25, 16)
    [event] = world.events(case_id, "customer_update")
    assert event.data["source"] == "gitlab"
    with session_scope(world.database_url) as session:
        owed = session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id)).all()
    assert [i.kind for i in owed if i.payload.get("event_id") == event.id] == ["slack.thread_post"]
    assert world.tick(DUE).claimed == 0


def test_the_clock_pauses_while_the_case_waits_on_the_customer(world: World) -> None:
    case_id = _claimed_case(world)
    world.move(case_id, CaseState.INVESTIGATING, at(23, 11))
    world.move(case_id, CaseState.AWAITING_CUSTOMER, at(23, 12))  # 2 business hours used
    paused = world.case(case_id)
    assert (paused.paused_at, paused.next_update_due) == (at(23, 12), None)
    for moment in (DUE, ESCALATES):
        assert world.tick(moment).claimed == 0

    # Resumed Wednesday 12:00 after 16 business hours waiting (Mon 5 + Tue 8 + Wed 3): the update is
    # due 28 business hours after the claim: Friday 14:00, Thursday being Thanksgiving (Support's
    # calendar keeps US public holidays).
    world.move(case_id, CaseState.INVESTIGATING, at(25, 12))
    resumed = world.case(case_id)
    assert (resumed.paused_at, resumed.paused_business_hours) == (None, 16.0)
    assert resumed.next_update_due == at(27, 14)
    assert world.tick(at(27, 13, 59)).claimed == 0
    assert world.tick(at(27, 14)).sent_by_kind == {"update_reminder": 1}
    assert len(world.thread_posts(case_id)) == 1


def test_a_pause_spanning_no_business_time_keeps_the_due_slot(world: World) -> None:
    case_id = _claimed_case(world)
    world.move(case_id, CaseState.INVESTIGATING, at(23, 11))
    world.move(case_id, CaseState.AWAITING_CUSTOMER, at(23, 17, 30))  # after closing time
    assert {w.status for w in world.work(case_id) if w.kind == "update_reminder"} == {"cancelled"}
    world.move(case_id, CaseState.INVESTIGATING, at(24, 8, 30))  # before opening
    assert world.case(case_id).next_update_due == DUE
    assert world.tick(DUE).sent_by_kind == {"update_reminder": 1}
    assert world.tick(DUE + timedelta(minutes=5)).claimed == 0
    assert len(world.thread_posts(case_id)) == 1


def test_a_missing_update_is_escalated_to_the_route_group_as_an_sla_breach(world: World) -> None:
    case_id = _claimed_case(world)
    world.tick(DUE)
    assert world.tick(ESCALATES - timedelta(minutes=1)).claimed == 0
    assert world.tick(ESCALATES).sent_by_kind == {"escalation": 1}
    for moment in (ESCALATES + timedelta(hours=1), at(26, 12), at(30, 12)):
        assert world.tick(moment).claimed == 0  # never repeated for the same due slot

    _reminder, escalation = world.thread_posts(case_id)
    text = message_text(escalation)
    assert f"<!subteam^{SUPPORT_GROUP}>" in text and f"<@{OWNER}>" in text
    assert "4 business hours" in text
    [breach] = world.events(case_id, "sla_breach")
    assert breach.data["escalated_to"] == SUPPORT_GROUP
    assert breach.data["update_due_at"] == DUE.isoformat()
    assert breach.at == ESCALATES


def test_a_late_sweep_sends_the_reminder_then_the_escalation(world: World) -> None:
    """A security-route case runs on SIRT's calendar (every weekday hour): due Monday 22:00, escalated
    Tuesday 02:00; the only sweep comes at 03:00."""
    case_id = _claimed_case(world, route=Route.SECURITY)
    assert world.case(case_id).next_update_due == at(23, 22)
    report = world.tick(at(24, 3))
    assert report.sent_by_kind == {"update_reminder": 1, "escalation": 1}
    reminder, escalation = world.thread_posts(case_id)
    assert "customer update due" in reminder.args["text"]
    assert f"<!subteam^{SIRT_GROUP}>" in message_text(escalation)


def test_closing_the_case_stops_the_clock(world: World) -> None:
    case_id = _claimed_case(world)
    with session_scope(world.database_url) as session:
        cases.apply_transition(
            session, case_id, CaseState.CANCELLED, actor=OWNER, roles={Role.SUPPORT}, now=at(23, 12)
        )
    assert world.case(case_id).next_update_due is None
    assert {w.status for w in world.work(case_id)} == {"cancelled"}
    assert world.tick(at(30, 12)).claimed == 0
    assert world.thread_posts(case_id) == []


def test_a_slot_the_plan_no_longer_owes_is_cancelled_not_sent(world: World) -> None:
    """Rows written under an 8-hour cadence (due Tuesday 10:00) meet today's 12-hour policy: the tick
    checks the plan before sending, cancels the old slot, and schedules the one now owed."""
    case_id = _claimed_case(world)
    with session_scope(world.database_url) as session:
        session.execute(delete(ScheduledWork).where(ScheduledWork.case_id == case_id))
        session.add(ScheduledWork(case_id=case_id, kind="update_reminder", due_at=at(24, 10)))
    report = world.tick(at(24, 10))
    assert (report.claimed, len(report.stale), report.sent) == (1, 1, [])
    assert world.thread_posts(case_id) == []
    pending = [(w.kind, w.due_at) for w in world.work(case_id) if w.status == "pending"]
    assert ("update_reminder", DUE) in pending and ("escalation", ESCALATES) in pending
    assert world.tick(DUE).sent_by_kind == {"update_reminder": 1}


def test_a_window_near_its_log_retention_is_warned_in_the_thread_and_on_the_issue(world: World) -> None:
    # The window starts 27 October: its oldest application logs (30 days) age out on 26 November,
    # within the 5-day warning period from intake on Monday 23 November.
    window = {"start": "2026-10-27T00:00:00Z", "end": "2026-10-30T00:00:00Z"}
    case_id = world.open_case(window=window)
    assert world.tick(MONDAY).sent_by_kind == {"retention_warning": 1}
    assert world.tick(MONDAY + timedelta(days=1)).claimed == 0
    [post] = world.thread_posts(case_id)
    text = message_text(post)
    assert "2026-11-26" in text and "application" in text and "finish the log-dive" in text
    [event] = world.events(case_id, "retention_warning")
    assert event.data["source"] == "application" and event.data["aged_out"] is False
    with session_scope(world.database_url) as session:
        note = session.exec(
            select(OutboxItem).where(OutboxItem.idempotency_key == f"event:{event.id}:gitlab.note")
        ).one()
    assert note.kind == "gitlab.note" and note.payload["event_id"] == event.id
    assert "**2026-11-26**" in note.payload["body"] and f"LD-{case_id}" in note.payload["body"]


def test_a_window_already_past_retention_says_its_oldest_entries_are_gone(world: World) -> None:
    case_id = world.open_case(window={"start": "2026-10-20T00:00:00Z", "end": "2026-10-25T00:00:00Z"})
    world.tick(MONDAY)
    [post] = world.thread_posts(case_id)
    assert "aged out of the application logs on 2026-11-19" in message_text(post)


def test_no_retention_warning_once_the_log_dive_is_done(world: World) -> None:
    # Ages out 1 December, warned from 26 November; by then the case is in review.
    case_id = world.open_case(window={"start": "2026-11-01T00:00:00Z", "end": "2026-11-05T00:00:00Z"})
    world.claim(case_id, CLAIMED)
    world.update(case_id, at(24, 9))
    world.move(case_id, CaseState.INVESTIGATING, at(24, 10))
    world.move(case_id, CaseState.ARTEFACTS_IN_REVIEW, at(25, 9))
    world.tick(at(26, 0))
    assert world.events(case_id, "retention_warning") == []
    assert {w.status for w in world.work(case_id) if w.kind == "retention_warning"} == {"cancelled"}


def test_a_thread_not_posted_yet_is_retried_not_lost(world: World) -> None:
    case_id = world.open_case(channel=None)
    with session_scope(world.database_url) as session:
        case = cases.get_case(session, case_id)
        case.slack_channel = "C0CASES01"  # the case message is owed but not delivered yet
        session.add(case)
    world.claim(case_id, CLAIMED)
    report = world.tick(DUE)
    assert (report.retrying, report.sent) == ([report.retrying[0]], [])
    [row] = [w for w in world.work(case_id) if w.kind == "update_reminder"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "not posted yet" in (row.last_error or "")
    assert world.tick(DUE + timedelta(seconds=5)).claimed == 0  # backing off

    root = world.client.chat_postMessage(channel="C0CASES01", text="the case message")
    with session_scope(world.database_url) as session:
        case = cases.get_case(session, case_id)
        case.slack_thread_ts = root["ts"]
        session.add(case)
    assert world.tick(DUE + timedelta(minutes=1)).sent_by_kind == {"update_reminder": 1}
    assert len(world.thread_posts(case_id)) == 1


def test_slack_refusing_for_good_parks_the_slot(world: World) -> None:
    case_id = _claimed_case(world)
    revoked = WebClient(token="xoxb-revoked", base_url=world.slack.base_url)
    sender = TimedWorkSender(world.database_url, revoked, settings=world.settings, worker_id="revoked")
    report = sender.send_timed_work(DUE)
    assert len(report.parked) == 1 and report.sent == []
    [row] = [w for w in world.work(case_id) if w.kind == "update_reminder"]
    assert row.status == "parked" and "invalid_auth" in (row.last_error or "")
    assert world.events(case_id, "update_reminder") == []
    assert world.tick(DUE + timedelta(hours=1)).sent_by_kind == {}  # parked waits for a person


def test_a_case_without_a_thread_records_its_reminder(world: World) -> None:
    case_id = world.open_case(channel=None)  # opened from the CLI: no Slack thread
    world.claim(case_id, CLAIMED)
    assert world.tick(DUE).sent_by_kind == {"update_reminder": 1}
    [event] = world.events(case_id, "update_reminder")
    assert event.data["slack"] == "no case thread"
    assert world.slack.calls_to("chat.postMessage") == []


def test_only_recorded_ids_become_mentions(world: World) -> None:
    case_id = world.open_case()
    world.claim(case_id, CLAIMED, owner="cli:alice<!channel>")
    hostile = Settings(support_group="<!here>", sirt_group=None)
    sender = TimedWorkSender(world.database_url, world.client, settings=hostile, worker_id="w")
    sender.send_timed_work(DUE)
    sender.send_timed_work(ESCALATES)
    reminder, escalation = world.thread_posts(case_id)
    for post in (reminder, escalation):
        text = message_text(post)
        assert "<!channel>" not in text and "<!here>" not in text and "<@" not in text
        assert "cli:alice&lt;!channel&gt;" in text
    assert "the Support team" in message_text(escalation)  # a group id that is no group id: named


def test_a_case_the_tick_cannot_read_is_parked_without_holding_back_the_others(world: World) -> None:
    broken = _claimed_case(world)
    healthy = _claimed_case(world)
    with session_scope(world.database_url) as session:
        case = cases.get_case(session, broken)
        case.state = "no-such-state"  # e.g. written by a newer version of Logdive
        session.add(case)
    report = world.tick(DUE)
    assert report.sent_by_kind == {"update_reminder": 1} and len(report.parked) == 1
    assert len(world.thread_posts(healthy)) == 1 and world.thread_posts(broken) == []
    [row] = [w for w in world.work(broken) if w.kind == "update_reminder"]
    assert row.status == "parked" and "no-such-state" in (row.last_error or "")
