"""Erasure reaches every row that refers to the case, however it is linked (issue 11, item 7).

GitLab's webhook deliveries about the SIRT issue are queued without a case id and carry who wrote a
note, its link and its first line. After `erase_case`, planted strings (a username, a note's URL, a
note's first line, the request's text) appear nowhere in any column of any table of the database
(read generically from the database's own catalogue, on SQLite and PostgreSQL), nor in the SQLite file.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import MetaData, Table, inspect, select

from bot import cases
from bot.artefacts import erasure
from bot.artefacts.store import LocalDirectoryStore
from bot.db.engine import get_engine, session_scope
from bot.gitlab.webhook import WEBHOOK, is_own, record_delivery, summarise
from bot.sandbox.gitlab import REPORTER
from tests.artefacts.conftest import planted_request
from tests.gitlab_issues.conftest import (
    SIRT_PROJECT,
    World,
    case_row,
    drain,
    now,
    open_case,
    owed,
    runtime_for,
    settings_for,
    world,  # noqa: F401 -- the fixture, for pytest
)
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from workflows.audit_gap import GapReport
from workflows.review import Person
from workflows.states import CaseState, Role

CANARY = "zqxcanary"
USERNAME = f"{CANARY}-gitlab-user"
FINDING = f"Finding: {CANARY} token minted from a laptop"
UPDATE = f"Customer update: {CANARY} was told"
LATE = f"Finding: {CANARY} still queued"
DETAILS = f"seen by {CANARY}-outside from 81.2.69.142"


def database_dump(url: str) -> str:
    """Every value of every row of every table the database has (not only those the models know)."""
    engine = get_engine(url)
    inspector = inspect(engine)
    lines = []
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            table = Table(name, MetaData(), autoload_with=connection)
            for row in connection.execute(select(table)):
                lines.append(f"{name}: " + json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(lines)


def _deliver_hooks(gitlab: World, database_url: str, seen: set[str]) -> list[str]:
    """Record GitLab's deliveries as `POST /gitlab/webhook` does; the notes' URLs."""
    urls = []
    for delivery in gitlab.tracker.wait_for_deliveries():
        if delivery.uuid in seen:
            continue
        seen.add(delivery.uuid)
        hook = summarise(delivery.event, delivery.payload)
        if hook is None or is_own(delivery.event, delivery.payload):
            continue
        record_delivery(database_url, delivery.uuid, hook, now())
        if hook.url and hook.kind == "note":
            urls.append(hook.url)
    return urls


def test_erasure_leaves_no_trace_in_any_table(world: World, database_url: str, tmp_path: Path) -> None:  # noqa: F811
    state = world.standin.state
    person = state.add_user(USERNAME)
    state.add_member(state.namespace_by_full_path("gl-security"), person, REPORTER)  # type: ignore[arg-type]
    state.add_token("canary-token", person)
    world.tracker.add_hook(world.sirt, "http://127.0.0.1:9/gitlab/webhook", "t")  # recorded, then fed in
    runtime = runtime_for(settings_for(world, database_url))
    case_id = open_case(database_url, request=planted_request(CANARY.upper()))
    drain(runtime)
    iid = case_row(database_url, case_id).sirt_issue_iid
    assert iid is not None
    issue = world.standin.gitlab(private_token="canary-token").projects.get(SIRT_PROJECT).issues.get(iid)
    seen: set[str] = set()
    issue.notes.create({"body": f"{FINDING}\nthe rest of the note"})
    issue.notes.create({"body": UPDATE})
    urls = _deliver_hooks(world, database_url, seen)
    drain(runtime)
    with session_scope(database_url) as session:  # closed with a gap report whose details name people
        case = cases.get_case(session, case_id)
        case.state = CaseState.SHARED.value
        session.add(case)
    with session_scope(database_url) as session:
        report = GapReport(missing=["git_operations", DETAILS], details=DETAILS)
        cases.close_case(session, case_id, actor="U0SIR0001", roles={Role.SIRT}, now=now(), gap=report)
    drain(runtime, until=lambda: bool(case_row(database_url, case_id).audit_gap_issue_url))
    issue.notes.create({"body": LATE})  # delivered, queued, not yet handled when the case is erased
    urls += _deliver_hooks(world, database_url, seen)
    assert len(urls) == 3
    webhooks = [i for i in owed(database_url) if i.kind == WEBHOOK]
    assert webhooks and all(i.case_id is None for i in webhooks)
    canaries = [USERNAME, FINDING, UPDATE, LATE, DETAILS, CANARY, *urls]
    before = database_dump(database_url).lower()
    assert all(c.lower() in before for c in canaries)  # the test would see a leak

    get_engine(database_url).dispose()
    with session_scope(database_url) as session:
        erasure.erase_case(
            session,
            LocalDirectoryStore(tmp_path / "artefacts"),
            case_id,
            reason="customer request",
            actor=Person("U0LEGAL1"),  # a person a signed Slack request authenticated
            roles={Role.LEGAL},
            now=now(),
        )
    drain(runtime)  # what was owed still goes out (the erasure note, the queued delivery), text-free
    assert [i for i in owed(database_url) if i.status == "parked"] == []

    after = database_dump(database_url).lower()
    for canary in canaries:
        assert canary.lower() not in after, canary
    if database_url.startswith("sqlite"):
        get_engine(database_url).dispose()
        path = Path(database_url.removeprefix("sqlite:///"))
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).lower()
        for canary in canaries:
            assert canary.lower().encode() not in on_disk, canary
