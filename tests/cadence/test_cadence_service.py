"""The case row's clock fields through the case service: updates out of order, updates while paused."""

from __future__ import annotations

from bot import cases
from bot.db.engine import session_scope
from tests.cadence.conftest import World, at
from workflows.states import CaseState, Role


def test_an_update_recorded_out_of_order_never_moves_the_clock_back(world: World) -> None:
    case_id = world.open_case(channel=None)
    world.claim(case_id, at(23, 10))
    world.update(case_id, at(24, 12))
    world.update(case_id, at(24, 11))  # arrives late, e.g. a webhook retried
    case = world.case(case_id)
    assert (case.last_customer_update_at, case.next_update_due) == (at(24, 12), at(25, 16))
    assert len(world.events(case_id, "customer_update")) == 2  # both are on record


def test_an_update_while_waiting_on_the_customer_restarts_the_paused_clock(world: World) -> None:
    case_id = world.open_case(channel=None)
    world.claim(case_id, at(23, 10))
    world.move(case_id, CaseState.INVESTIGATING, at(23, 11))
    world.move(case_id, CaseState.AWAITING_CUSTOMER, at(23, 12))
    world.update(case_id, at(24, 10))  # told the customer while waiting on them
    paused = world.case(case_id)
    assert (paused.paused_at, paused.paused_business_hours, paused.next_update_due) == (at(24, 10), 0.0, None)
    # Resumed Tuesday 15:00: 5 business hours waited since the update; due 12 + 5 hours after it.
    world.move(case_id, CaseState.INVESTIGATING, at(24, 15))
    resumed = world.case(case_id)
    assert resumed.paused_business_hours == 5.0
    # Tue 10→17 (7), Wed 8, Thanksgiving (Support's calendar keeps US holidays), Fri 9→11 (2): 17 hours
    assert resumed.next_update_due == at(27, 11)


def test_triage_by_logdive_itself_starts_the_clock_and_reminds_the_team(world: World) -> None:
    case_id = world.open_case()
    with session_scope(world.database_url) as session:
        cases.apply_transition(
            session, case_id, CaseState.TRIAGED, actor="system", roles={Role.SYSTEM}, now=at(23, 10)
        )
    case = world.case(case_id)
    assert case.owner is None and case.next_update_due == at(24, 14)
    world.tick(at(24, 14))
    [post] = world.thread_posts(case_id)
    assert "<!subteam^S0SUPPORT>" in str(post.args["blocks"])
