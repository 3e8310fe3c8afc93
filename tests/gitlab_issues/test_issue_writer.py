"""The issue writer: python-gitlab's own HTTP client against the GitLab stand-in, faults included."""

from __future__ import annotations

import socket
import time

import pytest

from bot import outbox
from bot.gitlab.issues import IssueWriter
from tests.gitlab_issues.conftest import SIRT_PROJECT, World, writer_for

MARKER = "<!-- logdive-case:42 -->"


def _ensure(
    writer: IssueWriter, marker: str = MARKER, search: str = "logdive-case:42"
) -> tuple[object, bool]:
    return writer.ensure(
        SIRT_PROJECT,
        marker=marker,
        search=search,
        title="LD-42 · Log-dive for acme-corp",
        description=f"{marker}\nbody",
        labels=["SIRT", "status::requested"],
        confidential=True,
    )


def test_a_nested_project_path_is_url_encoded_and_the_issue_is_confidential(world: World) -> None:
    issue, created = _ensure(writer_for(world))
    assert created
    posts = world.standin.requests_to(r"/issues$", method="POST")
    assert [r.path for r in posts] == ["/api/v4/projects/gl-security%2Fsirt%2Foperations/issues"]
    [stored] = world.sirt_issues()
    assert (
        stored.confidential and stored.assignee_ids == [] and stored.labels == ["SIRT", "status::requested"]
    )
    assert issue.iid == stored.iid  # type: ignore[attr-defined]


def test_ensure_finds_the_issue_again_instead_of_creating_a_second(world: World) -> None:
    writer = writer_for(world)
    first, _ = _ensure(writer)
    again, created = _ensure(writer)
    assert not created and again == first
    assert len(world.sirt_issues()) == 1


def test_the_marker_is_matched_exactly_across_pages(world: World) -> None:
    writer = writer_for(world)
    # 130 issues whose text contains "logdive-case:42" as a substring (cases 420, 421, …, 42129).
    for n in range(130):
        _ensure(writer, marker=f"<!-- logdive-case:42{n} -->", search=f"logdive-case:42{n}")
    assert writer.find_by_marker(SIRT_PROJECT, MARKER, search="logdive-case:42") is None
    pages = [
        r.arg("page") or "1"
        for r in world.standin.requests_to(r"/issues$")
        if r.arg("search") == "logdive-case:42"
    ]
    assert pages == ["1", "2"]  # every page was read (100 per page) before saying "none"
    _issue, created = _ensure(writer)
    assert created and len(world.sirt_issues()) == 131


def test_a_create_whose_answer_is_lost_is_found_on_the_next_attempt(world: World) -> None:
    writer = writer_for(world)
    world.tracker.lose_answer_next("issue", status=502)
    with pytest.raises(RuntimeError, match="502"):
        _ensure(writer)
    assert len(world.standin.requests_to(r"/issues$", method="POST")) == 1  # python-gitlab did not retry it
    world.standin.disconnect_next(after_processing=True, path=r"/issues$", method="POST")
    _issue, created = _ensure(writer)  # found by its marker: no POST at all
    assert not created
    assert len(world.sirt_issues()) == 1


def test_a_dropped_connection_after_the_create_is_not_retried_blindly(world: World) -> None:
    writer = writer_for(world)
    world.standin.disconnect_next(after_processing=True, path=r"/issues$", method="POST")
    with pytest.raises(ConnectionError, match="unreachable"):
        _ensure(writer)
    _issue, created = _ensure(writer)
    assert not created and len(world.sirt_issues()) == 1


def test_reads_are_retried_on_5xx_but_creates_are_not(world: World) -> None:
    writer = writer_for(world, gitlab_max_retries=2)
    world.standin.fail_next(2, status=503, path=r"/issues$", method="GET")
    assert writer.find_by_marker(SIRT_PROJECT, MARKER, search="logdive-case:42") is None
    assert [r.status for r in world.standin.requests_to(r"/issues$")] == [503, 503, 200]
    world.standin.fail_next(1, status=500, path=r"/issues$", method="POST")
    with pytest.raises(RuntimeError, match="500"):
        writer.create(SIRT_PROJECT, title="t", description="d", labels=[], confidential=True)
    assert len(world.standin.requests_to(r"/issues$", method="POST")) == 1
    assert world.sirt_issues() == []


def test_a_short_retry_after_is_obeyed_in_place(world: World) -> None:
    writer = writer_for(world, gitlab_max_retries=2)
    world.standin.rate_limit_next(1, retry_after=1, path=r"/issues$", method="POST")
    started = time.monotonic()
    writer.create(SIRT_PROJECT, title="t", description="d", labels=[], confidential=True)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in world.standin.requests_to(r"/issues$", method="POST")] == [429, 201]
    assert len(world.sirt_issues()) == 1


def test_a_long_retry_after_becomes_the_outbox_s_wait(world: World) -> None:
    writer = writer_for(world, gitlab_max_retries=1, gitlab_rate_limit_wait_seconds=0)
    world.standin.rate_limit_next(5, retry_after=120, path=r"/issues$", method="POST")
    started = time.monotonic()
    with pytest.raises(outbox.RetryAfter) as waited:
        writer.create(SIRT_PROJECT, title="t", description="d", labels=[], confidential=True)
    assert waited.value.seconds == 120
    assert time.monotonic() - started < 60  # the worker was not held for the two minutes asked
    assert world.sirt_issues() == []


def test_connection_refused_and_slow_answers_are_transient(world: World) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    writer = writer_for(world, gitlab_url=f"http://127.0.0.1:{port}", gitlab_max_retries=0)
    with pytest.raises(ConnectionError, match="unreachable"):
        _ensure(writer)
    slow = writer_for(world, gitlab_timeout_seconds=0.3, gitlab_max_retries=0)
    world.standin.delay_next(1, seconds=1.0, path=r"/issues$", method="GET")
    with pytest.raises(ConnectionError, match=r"Timeout|unreachable"):
        _ensure(slow)


def test_refusals_that_retrying_cannot_fix_are_permanent(world: World) -> None:
    writer = writer_for(world)
    with pytest.raises(outbox.PermanentError, match="404"):
        writer.create("no/such-project", title="t", description="d", labels=[], confidential=True)
    bad_token = writer_for(world, gitlab_token="wrong")
    with pytest.raises(outbox.PermanentError, match="401"):
        _ensure(bad_token)


def test_notes_are_added_once_and_labels_change_by_put(world: World) -> None:
    writer = writer_for(world)
    issue, _ = _ensure(writer)
    iid = issue.iid  # type: ignore[attr-defined]
    note, created = writer.note(
        SIRT_PROJECT,
        iid,
        body="<!-- logdive-event:7 -->\nx",
        internal=True,
        marker="<!-- logdive-event:7 -->",
    )
    again, created_again = writer.note(
        SIRT_PROJECT,
        iid,
        body="<!-- logdive-event:7 -->\nx",
        internal=True,
        marker="<!-- logdive-event:7 -->",
    )
    assert created and not created_again and again.id == note.id
    [stored] = world.sirt_issues()
    assert [n.internal for n in stored.notes] == [True]
    ref = writer.update(
        SIRT_PROJECT, iid, add_labels=["status::triaged"], remove_labels=["status::requested"]
    )
    assert ref.labels == ("SIRT", "status::triaged")
    closed = writer.update(SIRT_PROJECT, iid, state_event="close")
    assert closed.state == "closed"
    assert writer.update(SIRT_PROJECT, iid, state_event="close").state == "closed"  # repeatable


def test_the_bot_knows_its_own_user(world: World) -> None:
    assert writer_for(world).user_id() == world.standin.bot.id
