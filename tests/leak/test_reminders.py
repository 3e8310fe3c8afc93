"""An unconfirmed third-party deletion reminds the person who requested it, once, after the policy's
business days; a confirmed one never does."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.db.engine import session_scope
from bot.leak import service
from bot.leak.reminders import ThirdPartyReminders
from bot.sandbox.slack import SlackStandIn
from bot.settings import Settings
from tests.leak.conftest import LEGAL, SIRT, SUPPORT, T0, reported
from workflows import leak as L
from workflows.business_calendar import BusinessCalendar


def _requested(database_url: str) -> int:
    case_id = reported(database_url)
    with session_scope(database_url) as session:
        service.take_step(session, case_id, L.Triage(), actor="U_SIRT", roles=SIRT, now=T0)
        parties = (L.ThirdParty(name="Datadog", holds="logs"), L.ThirdParty(name="Sentry", holds="events"))
        service.take_step(
            session, case_id, L.Identify(third_parties=parties), actor="U_SUP", roles=SUPPORT, now=T0
        )
        for name in ("Datadog", "Sentry"):
            step = L.RequestThirdPartyDeletion(name=name, reference=f"{name}-1")
            service.take_step(
                session, case_id, step, actor="U0LEG0001", roles=LEGAL, now=T0 + timedelta(hours=1)
            )
    return case_id


def test_reminded_once_after_the_business_days_and_never_once_confirmed(
    database_url: str, slack_standin: SlackStandIn
) -> None:
    case_id = _requested(database_url)
    with session_scope(database_url) as session:
        step = L.ConfirmThirdParty(name="Sentry", reference="done")
        service.take_step(session, case_id, step, actor="U0LEG0001", roles=LEGAL, now=T0 + timedelta(days=1))
    web = WebClient(token="xoxb-standin-token", base_url=slack_standin.base_url)
    reminders = ThirdPartyReminders(database_url, web, Settings(database_url=database_url))

    # Requested Monday 30 Nov; five business days later is Monday 7 Dec.
    assert reminders(T0 + timedelta(days=4)) == {"planned": 0, "sent": 0}
    assert reminders(T0 + timedelta(days=8)) == {"planned": 1, "sent": 1}
    assert reminders(T0 + timedelta(days=9)) == {"planned": 0, "sent": 0}
    [dm] = slack_standin.calls_to("chat.postMessage")
    assert dm.args["channel"] == "U0LEG0001"
    assert "Datadog has not confirmed" in dm.args["text"] and "Sentry" not in dm.args["text"]


def test_the_due_day_counts_working_days_only() -> None:
    party = L.ThirdParty(
        name="X", holds="h", requested_at=T0 + timedelta(days=4), requested_by="U", request_reference="r"
    )
    case = L.LeakCase(state=L.LeakState.IDENTIFIED, category=L.DataCategory.OTHER, third_parties=(party,))
    calendar = BusinessCalendar(timezone="UTC")
    [(found, due)] = L.third_party_reminders(case, calendar, 2)  # Friday + 2 working days: Tuesday
    assert found.name == "X" and due == T0 + timedelta(days=8)
    closed = case.model_copy(update={"state": L.LeakState.DELETED})
    assert L.third_party_reminders(closed, calendar, 2) == []
