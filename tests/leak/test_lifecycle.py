"""The pure data-leak lifecycle: steps, who may take them, and what each records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from workflows import leak as L
from workflows.states import Role

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SIRT, SUPPORT, CSM, LEGAL = (frozenset({r}) for r in (Role.SIRT, Role.SUPPORT, Role.CSM, Role.LEGAL))


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _identified(category: L.DataCategory = L.DataCategory.CREDENTIALS) -> L.LeakCase:
    case = L.LeakCase(category=category)
    case, _ = L.apply(case, L.Triage(), actor="U_SIRT", roles=SIRT, at=_at(1))
    case, _ = L.apply(
        case,
        L.Identify(
            storage=(
                L.StorageLocation(url="s3://telemetry/acme/2026-11/", holds="diagnostics with tokens"),
                L.StorageLocation(url="s3://metrics/acme/", holds="metric labels"),
            ),
            third_parties=(L.ThirdParty(name="Datadog", holds="log copies"),),
        ),
        actor="U_SUP",
        roles=SUPPORT,
        at=_at(2),
    )
    return case


def _verified(minutes: int) -> L.StorageEvidence:
    return L.StorageEvidence(kind="verified_empty", at=_at(minutes))


def _to_deleted(case: L.LeakCase) -> L.LeakCase:
    case, _ = L.apply(
        case,
        L.RecordStorageDeletion(url="s3://telemetry/acme/2026-11/", evidence=_verified(3)),
        actor="U_SUP",
        roles=SUPPORT,
        at=_at(3),
    )
    case, _ = L.apply(
        case,
        L.RecordStorageDeletion(
            url="s3://metrics/acme/",
            evidence=L.StorageEvidence(kind="reported", at=_at(4), reported_by="U_SIRT", reference="OPS-77"),
        ),
        actor="U_SIRT",
        roles=SIRT,
        at=_at(4),
    )
    case, _ = L.apply(
        case,
        L.RequestThirdPartyDeletion(name="datadog", reference="DD-1"),
        actor="U_LEG",
        roles=LEGAL,
        at=_at(5),
    )
    case, _ = L.apply(
        case,
        L.ConfirmThirdParty(name="Datadog", reference="DD-1-done"),
        actor="U_LEG",
        roles=LEGAL,
        at=_at(6),
    )
    return case


def test_full_lifecycle_records_who_when_and_evidence_at_every_step() -> None:
    case = _to_deleted(_identified())
    assert case.state is L.LeakState.DELETED
    records = []
    for step, actor, roles in (
        (L.RecordRootCause(root_cause="debug flag exported request headers"), "U_SIRT", SIRT),
        (L.FileImprovement(issue_url="https://gitlab.example/p/-/issues/9"), "U_SIRT", SIRT),
        (L.TellCustomer(note="told on the ticket"), "U_CSM", CSM),
        (L.Close(), "U_SIRT", SIRT),
    ):
        case, record = L.apply(case, step, actor=actor, roles=roles, at=_at(10 + len(records)))
        records.append(record)
    assert [r.to_state for r in records] == [
        L.LeakState.ROOT_CAUSE_RECORDED,
        L.LeakState.IMPROVEMENT_FILED,
        L.LeakState.CUSTOMER_TOLD,
        L.LeakState.CLOSED,
    ]
    assert [(r.actor, r.role, r.at) for r in records] == [
        ("U_SIRT", Role.SIRT, _at(10)),
        ("U_SIRT", Role.SIRT, _at(11)),
        ("U_CSM", Role.CSM, _at(12)),
        ("U_SIRT", Role.SIRT, _at(13)),
    ]
    assert records[0].evidence == {"root_cause": "debug flag exported request headers"}
    assert case.improvement_url == "https://gitlab.example/p/-/issues/9"
    assert L.available_actions(case, frozenset(Role)) == ()


def test_deletion_evidence_is_recorded_and_still_present_keeps_the_location_open() -> None:
    case = _identified()
    still = L.StorageEvidence(kind="still_present", at=_at(3), objects=("acme/2026-11/a.json",))
    case, record = L.apply(
        case,
        L.RecordStorageDeletion(url="s3://telemetry/acme/2026-11/", evidence=still),
        actor="U_SUP",
        roles=SUPPORT,
        at=_at(3),
    )
    assert case.state is L.LeakState.IDENTIFIED
    assert record.evidence["objects"] == ["acme/2026-11/a.json"]
    assert "still present" in str(record.evidence["result"])
    assert "s3://telemetry/acme/2026-11/: not yet shown deleted" in L.outstanding(case)
    case, record = L.apply(
        case,
        L.RecordStorageDeletion(url="s3://telemetry/acme/2026-11/", evidence=_verified(5)),
        actor="U_SUP",
        roles=SUPPORT,
        at=_at(5),
    )
    assert record.evidence["result"] == f"verified empty at {_at(5).isoformat(timespec='seconds')}"
    with pytest.raises(L.LeakRefused, match="already shown deleted"):
        L.apply(
            case,
            L.RecordStorageDeletion(url="s3://telemetry/acme/2026-11/", evidence=_verified(6)),
            actor="U_SUP",
            roles=SUPPORT,
            at=_at(6),
        )


def test_a_reported_deletion_names_the_reporter_and_a_reference() -> None:
    case = _identified()
    for evidence in (
        L.StorageEvidence(kind="reported", at=_at(3), reported_by="U_OTHER", reference="X"),
        L.StorageEvidence(kind="reported", at=_at(3), reported_by="U_SUP"),
    ):
        with pytest.raises(L.LeakRefused, match="names the person"):
            L.apply(
                case,
                L.RecordStorageDeletion(url="s3://metrics/acme/", evidence=evidence),
                actor="U_SUP",
                roles=SUPPORT,
                at=_at(3),
            )


def test_deleted_needs_every_location_and_every_third_party_confirmed() -> None:
    case = _identified()
    with pytest.raises(L.LeakRefused, match="while the case is leak_identified"):
        L.apply(case, L.RecordRootCause(root_cause="x"), actor="U_SIRT", roles=SIRT, at=_at(3))
    with pytest.raises(L.LeakRefused, match="before recording its confirmation"):
        L.apply(
            case, L.ConfirmThirdParty(name="Datadog", reference="r"), actor="U_SIRT", roles=SIRT, at=_at(3)
        )
    assert L.outstanding(case) == [
        "s3://telemetry/acme/2026-11/: not yet shown deleted",
        "s3://metrics/acme/: not yet shown deleted",
        "Datadog: deletion not yet requested",
    ]
    case, _ = L.apply(
        case,
        L.RequestThirdPartyDeletion(name="Datadog", reference="DD-1"),
        actor="U_SIRT",
        roles=SIRT,
        at=_at(4),
    )
    assert L.outstanding(case)[-1] == "Datadog: deletion requested, not yet confirmed"
    party = case.third_parties[0]
    assert (party.requested_by, party.requested_at, party.request_reference) == ("U_SIRT", _at(4), "DD-1")


def test_personal_data_needs_legal_sign_off_before_closing() -> None:
    case = _to_deleted(_identified(L.DataCategory.PERSONAL_DATA))
    for step, actor, roles in (
        (L.RecordRootCause(root_cause="rc"), "U_SIRT", SIRT),
        (L.FileImprovement(issue_url="https://g/1"), "U_SIRT", SIRT),
        (L.TellCustomer(note="told"), "U_CSM", CSM),
    ):
        case, _ = L.apply(case, step, actor=actor, roles=roles, at=_at(20))
    assert L.LeakAction.ACKNOWLEDGE_LEGAL in L.available_actions(case, LEGAL)
    with pytest.raises(L.LeakRefused, match="Legal must sign it off"):
        L.apply(case, L.Close(), actor="U_SIRT", roles=SIRT, at=_at(21))
    with pytest.raises(L.LeakRefused, match="needs one of the roles legal"):
        L.apply(case, L.AcknowledgeLegal(note="ok"), actor="U_SIRT", roles=SIRT, at=_at(21))
    case, record = L.apply(
        case, L.AcknowledgeLegal(note="DPA reviewed"), actor="U_LEG", roles=LEGAL, at=_at(22)
    )
    assert case.legal_signed_off_by == "U_LEG" and record.role is Role.LEGAL
    assert L.LeakAction.ACKNOWLEDGE_LEGAL not in L.available_actions(case, LEGAL)
    case, _ = L.apply(case, L.Close(), actor="U_SIRT", roles=SIRT, at=_at(23))
    assert case.state is L.LeakState.CLOSED


def test_legal_sign_off_is_only_for_personal_data() -> None:
    case = _identified(L.DataCategory.CUSTOMER_CONTENT)
    assert L.LeakAction.ACKNOWLEDGE_LEGAL not in L.available_actions(case, LEGAL)
    with pytest.raises(L.LeakRefused, match="only asked for cases involving personal data"):
        L.apply(case, L.AcknowledgeLegal(note="n"), actor="U_LEG", roles=LEGAL, at=_at(3))


# The role matrix: every action, every single role, allowed exactly where LEAK_ROLES says.
EXPECTED = {
    L.LeakAction.TRIAGE: {Role.SIRT},
    L.LeakAction.IDENTIFY: {Role.SIRT, Role.SUPPORT},
    L.LeakAction.RECORD_STORAGE_DELETION: {Role.SIRT, Role.SUPPORT},
    L.LeakAction.REQUEST_THIRD_PARTY_DELETION: {Role.SIRT, Role.SUPPORT, Role.LEGAL},
    L.LeakAction.CONFIRM_THIRD_PARTY: {Role.SIRT, Role.SUPPORT, Role.LEGAL},
    L.LeakAction.RECORD_ROOT_CAUSE: {Role.SIRT, Role.SUPPORT},
    L.LeakAction.FILE_IMPROVEMENT: {Role.SIRT},
    L.LeakAction.TELL_CUSTOMER: {Role.SIRT, Role.CSM},
    L.LeakAction.ACKNOWLEDGE_LEGAL: {Role.LEGAL},
    L.LeakAction.CLOSE: {Role.SIRT},
}


def _case_ready_for(action: L.LeakAction) -> tuple[L.LeakCase, L.Step]:
    base = _identified(L.DataCategory.PERSONAL_DATA)
    if action is L.LeakAction.TRIAGE:
        return L.LeakCase(category=L.DataCategory.OTHER), L.Triage()
    if action is L.LeakAction.IDENTIFY:
        return base, L.Identify(third_parties=(L.ThirdParty(name="Sentry", holds="events"),))
    if action is L.LeakAction.RECORD_STORAGE_DELETION:
        return base, L.RecordStorageDeletion(url="s3://metrics/acme/", evidence=_verified(3))
    if action is L.LeakAction.REQUEST_THIRD_PARTY_DELETION:
        return base, L.RequestThirdPartyDeletion(name="Datadog", reference="r")
    if action is L.LeakAction.CONFIRM_THIRD_PARTY:
        requested, _ = L.apply(
            base, L.RequestThirdPartyDeletion(name="Datadog", reference="r"), actor="U", roles=SIRT, at=_at(3)
        )
        return requested, L.ConfirmThirdParty(name="Datadog", reference="c")
    if action is L.LeakAction.ACKNOWLEDGE_LEGAL:
        return base, L.AcknowledgeLegal(note="n")
    case = _to_deleted(base)
    later: list[tuple[L.LeakAction, L.Step]] = [
        (L.LeakAction.RECORD_ROOT_CAUSE, L.RecordRootCause(root_cause="rc")),
        (L.LeakAction.FILE_IMPROVEMENT, L.FileImprovement(issue_url="https://g/1")),
        (L.LeakAction.TELL_CUSTOMER, L.TellCustomer(note="t")),
    ]
    for kind, step in later:
        if kind is action:
            return case, step
        case, _ = L.apply(case, step, actor="U", roles=frozenset(Role), at=_at(30))
    case, _ = L.apply(case, L.AcknowledgeLegal(note="n"), actor="U_LEG", roles=LEGAL, at=_at(31))
    return case, L.Close()


@pytest.mark.parametrize("action", list(L.LeakAction))
@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(action: L.LeakAction, role: Role) -> None:
    case, step = _case_ready_for(action)
    assert L.may(action, frozenset({role})) is (role in EXPECTED[action])
    if role in EXPECTED[action]:
        changed, record = L.apply(case, step, actor="U_X", roles=frozenset({role}), at=_at(40))
        assert record.action is action and record.role is role and record.actor == "U_X"
        assert changed != case
    else:
        with pytest.raises(L.LeakRefused, match=f"{action} needs one of the roles"):
            L.apply(case, step, actor="U_X", roles=frozenset({role}), at=_at(40))


def test_identify_refuses_duplicates_empty_and_non_storage_urls() -> None:
    case = _identified()
    with pytest.raises(L.LeakRefused, match="already identified: s3://metrics/acme/, DATADOG"):
        L.apply(
            case,
            L.Identify(
                storage=(L.StorageLocation(url="s3://metrics/acme/", holds="x"),),
                third_parties=(L.ThirdParty(name="DATADOG", holds="y"),),
            ),
            actor="U",
            roles=SIRT,
            at=_at(9),
        )
    with pytest.raises(L.LeakRefused, match="at least one location"):
        L.apply(case, L.Identify(), actor="U", roles=SIRT, at=_at(9))
    for bad in ("https://example.com/x", "file:///etc/passwd", "s3://", "/tmp/x"):
        with pytest.raises(ValidationError, match="object-storage URL"):
            L.StorageLocation(url=bad, holds="x")


def test_identify_ignores_evidence_smuggled_in_with_a_new_location() -> None:
    case = L.apply(L.LeakCase(category=L.DataCategory.OTHER), L.Triage(), actor="U", roles=SIRT, at=_at(0))[0]
    case, _ = L.apply(
        case,
        L.Identify(storage=(L.StorageLocation(url="s3://b/p/", holds="h", evidence=_verified(0)),)),
        actor="U",
        roles=SIRT,
        at=_at(1),
    )
    assert case.state is L.LeakState.IDENTIFIED and not case.storage[0].deleted
