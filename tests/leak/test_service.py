"""The leak service and the deletion checks, on a migrated database and a local S3 (moto server mode)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.cases import ActionRefused, case_events, get_case
from bot.db.engine import session_scope
from bot.db.models import CaseEvent, OutboxItem
from bot.leak import deletion, service
from bot.leak.models import LeakStorageLocation, LeakThirdParty
from tests.leak.conftest import CSM, LEGAL, SIRT, SUPPORT, T0, Clock, report_form, reported
from workflows import leak as L

A = "s3://telemetry/acme/2026-11/"
B = "s3://telemetry/acme/metrics/"


def _step(url: str, step: L.Step, roles: frozenset[Any], actor: str, clock: Clock) -> L.StepRecord:
    with session_scope(url) as session:
        return service.take_step(session, _CASE[url], step, actor=actor, roles=roles, now=clock())


_CASE: dict[str, int] = {}


def _identified(database_url: str, clock: Clock) -> int:
    case_id = reported(database_url)
    _CASE[database_url] = case_id
    _step(database_url, L.Triage(), SIRT, "U_SIRT", clock)
    _step(
        database_url,
        L.Identify(
            storage=(
                L.StorageLocation(url=A, holds="diagnostics"),
                L.StorageLocation(url=B, holds="metrics"),
            ),
            third_parties=(L.ThirdParty(name="Datadog", holds="log copies"),),
        ),
        SUPPORT,
        "U_SUP",
        clock,
    )
    return case_id


def test_report_opens_a_confidential_sirt_case_with_its_own_issue_owed(database_url: str) -> None:
    case_id = reported(database_url)
    with session_scope(database_url) as session:
        case = get_case(session, case_id)
        assert (case.type, case.state, case.route) == ("data_leak", "leak_reported", "security")
        owed = session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id)).all()
        assert [o.kind for o in owed] == ["gitlab.create_issue"]
        assert service.leak_case(session, case_id).category is L.DataCategory.CREDENTIALS
        again, created = service.report(
            session, report_form(), actor="U_CSM", roles=CSM,
            now=T0, idempotency_key="view:1",
        )  # fmt: skip
        assert (again.id, created) == (case_id, False)


def test_reporting_needs_a_case_handling_role_and_the_refusal_is_recorded(database_url: str) -> None:
    with pytest.raises(ActionRefused, match="needs one of the roles"), session_scope(database_url) as session:
        service.report(session, report_form(), actor="U_X", roles=frozenset(), now=T0, idempotency_key="v:2")
    with session_scope(database_url) as session:
        events = session.exec(select(CaseEvent)).all()
        assert [(e.kind, e.actor, e.case_id) for e in events] == [("unauthorised", "U_X", None)]


def test_delete_verified_against_local_s3_and_refused_without_confirmation(
    database_url: str, s3: Any, clock: Clock
) -> None:
    case_id = _identified(database_url, clock)
    for key in ("acme/2026-11/a.json", "acme/2026-11/deep/b.json", "acme/metrics/m.json", "acme/keep.json"):
        s3.pipe(f"telemetry/{key}", b"{}")

    record = deletion.delete_location(
        database_url, case_id, A, confirmed=A, actor="U_SUP", roles=SUPPORT, clock=clock
    )
    assert record.evidence["result"].startswith("verified empty at ")
    assert not s3.exists("telemetry/acme/2026-11/a.json") and s3.exists("telemetry/acme/keep.json")

    with pytest.raises(ActionRefused, match="did not name"):
        deletion.delete_location(
            database_url, case_id, B, confirmed=A, actor="U_SUP", roles=SUPPORT, clock=clock
        )
    assert s3.exists("telemetry/acme/metrics/m.json")  # nothing deleted without the confirmation
    with pytest.raises(ActionRefused, match="record_storage_deletion needs one of the roles"):
        deletion.delete_location(database_url, case_id, B, confirmed=B, actor="U_CSM", roles=CSM, clock=clock)
    assert s3.exists("telemetry/acme/metrics/m.json")

    checked = deletion.check_location(database_url, case_id, B, actor="U_SUP", roles=SUPPORT, clock=clock)
    assert checked.evidence["objects"] == ["s3://telemetry/acme/metrics/m.json"]
    # Logdive can look here, so a person's word is not taken: its own listing is recorded instead.
    reported_step = deletion.report_location_deleted(
        database_url, case_id, B, reference="OPS-1", actor="U_SUP", roles=SUPPORT, clock=clock
    )
    assert "still present" in str(reported_step.evidence["result"])

    with session_scope(database_url) as session:
        rows = {r.url: r for r in session.exec(select(LeakStorageLocation))}
        assert rows[A].evidence is not None and rows[A].evidence["kind"] == "verified_empty"
        assert rows[B].evidence is not None and rows[B].evidence["kind"] == "still_present"
        kinds = [e.kind for e in case_events(session, case_id)]
        assert kinds.count("refused") == 1 and kinds.count("unauthorised") == 1
        assert get_case(session, case_id).state == "leak_identified"


def test_unreachable_storage_is_reported_by_a_person(
    database_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _identified(database_url, clock)
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: Logdive cannot look
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    with pytest.raises(ActionRefused, match="cannot list"):
        deletion.check_location(database_url, case_id, A, actor="U_SUP", roles=SUPPORT, clock=clock)
    record = deletion.report_location_deleted(
        database_url,
        case_id,
        A,
        reference="OPS-1: bucket lifecycle rule",
        actor="U_SUP",
        roles=SUPPORT,
        clock=clock,
    )
    assert record.evidence["result"].startswith("reported by U_SUP at ")
    assert record.evidence["reference"] == "OPS-1: bucket lifecycle rule"
    s3fs.S3FileSystem.clear_instance_cache()


def test_the_whole_lifecycle_through_the_service_keeps_the_audit_trail(
    database_url: str, clock: Clock
) -> None:
    case_id = _identified(database_url, clock)
    for url in (A, B):
        evidence = L.StorageEvidence(kind="reported", at=clock(), reported_by="U_SIRT", reference="OPS-9")
        _step(database_url, L.RecordStorageDeletion(url=url, evidence=evidence), SIRT, "U_SIRT", clock)
    _step(database_url, L.RequestThirdPartyDeletion(name="Datadog", reference="DD-17"), LEGAL, "U_LEG", clock)
    with pytest.raises(ActionRefused, match="record_root_cause cannot be taken"):
        _step(database_url, L.RecordRootCause(root_cause="x"), SIRT, "U_SIRT", clock)
    _step(database_url, L.ConfirmThirdParty(name="Datadog", reference="DD-17 done"), LEGAL, "U_LEG", clock)
    _step(database_url, L.RecordRootCause(root_cause="debug headers exported"), SIRT, "U_SIRT", clock)
    _step(
        database_url,
        L.FileImprovement(issue_url="https://gitlab.example/p/-/issues/3"),
        SIRT,
        "U_SIRT",
        clock,
    )
    _step(database_url, L.TellCustomer(note="told via ZD-4711"), CSM, "U_CSM", clock)
    _step(database_url, L.Close(), SIRT, "U_SIRT", clock)
    with session_scope(database_url) as session:
        case = get_case(session, case_id)
        assert case.state == "leak_closed" and case.closed_at is not None
        party = session.exec(select(LeakThirdParty)).one()
        assert (party.requested_by, party.request_reference, party.confirmed_by) == (
            "U_LEG",
            "DD-17",
            "U_LEG",
        )
        steps = service.steps(session, case_id)
        assert [s.data["action"] for s in steps] == [
            "triage", "identify", "record_storage_deletion", "record_storage_deletion",
            "request_third_party_deletion", "confirm_third_party", "record_root_cause", "file_improvement",
            "tell_customer", "close",
        ]  # fmt: skip
        assert all(s.actor and s.actor_role and s.at for s in steps)
        assert steps[5].to_state == "leak_deleted" and steps[3].to_state is None
        notes = session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
        assert len(notes) == len(steps)
        summary = service.summary(session, case)
        assert summary["storage"][0]["status"].startswith("reported by U_SIRT")
        assert summary["root_cause"] == "debug headers exported"


def test_step_notes_are_neutralised(database_url: str, clock: Clock) -> None:
    case_id = _identified(database_url, clock)
    _step(
        database_url,
        L.RequestThirdPartyDeletion(name="Datadog", reference="/close @sirt-team"),
        SIRT,
        "U",
        clock,
    )
    with session_scope(database_url) as session:
        notes = session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
        body = notes[-1].payload["body"]
        assert "Datadog" in body
        assert "\n/close" not in body and " @sirt-team" not in body
        assert get_case(session, case_id).state == "leak_identified"


def test_metrics_count_open_cases_by_type(database_url: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from bot.metrics import exposition
    from tests.leak.conftest import T0 as now

    reported(database_url)
    text = exposition(database_url, lambda: now).decode()
    samples = [
        s for f in text_string_to_metric_families(text) for s in f.samples if s.name == "logdive_open_cases"
    ]
    by_label = {(s.labels["type"], s.labels["state"]): s.value for s in samples}
    assert by_label[("data_leak", "leak_reported")] == 1
    assert by_label[("log_dive", "requested")] == 0
