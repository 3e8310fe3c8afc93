"""The data-leak case's values: its states and steps, the locations and evidence it records, the case.

The rules that move it (who may take which step in which state) are in workflows.leak.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from workflows.states import Role


class LeakState(StrEnum):
    REPORTED = "leak_reported"
    TRIAGED = "leak_triaged"
    IDENTIFIED = "leak_identified"
    DELETED = "leak_deleted"
    ROOT_CAUSE_RECORDED = "leak_root_cause_recorded"
    IMPROVEMENT_FILED = "leak_improvement_filed"
    CUSTOMER_TOLD = "leak_customer_told"
    CLOSED = "leak_closed"


LEAK_TERMINAL_STATES: frozenset[LeakState] = frozenset({LeakState.CLOSED})
LEAK_OPEN_STATES: frozenset[LeakState] = frozenset(LeakState) - LEAK_TERMINAL_STATES


class DataCategory(StrEnum):
    CREDENTIALS = "credentials"
    PERSONAL_DATA = "personal_data"
    CUSTOMER_CONTENT = "customer_content"
    OTHER = "other"


class LeakAction(StrEnum):
    TRIAGE = "triage"
    IDENTIFY = "identify"
    RECORD_STORAGE_DELETION = "record_storage_deletion"
    REQUEST_THIRD_PARTY_DELETION = "request_third_party_deletion"
    CONFIRM_THIRD_PARTY = "confirm_third_party"
    RECORD_ROOT_CAUSE = "record_root_cause"
    FILE_IMPROVEMENT = "file_improvement"
    TELL_CUSTOMER = "tell_customer"
    ACKNOWLEDGE_LEGAL = "acknowledge_legal"
    CLOSE = "close"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StorageEvidence(_Frozen):
    """What shows a storage location is gone: Logdive's own listing, or a person's word if it cannot look."""

    kind: Literal["verified_empty", "still_present", "reported"]
    at: datetime
    objects: tuple[str, ...] = ()  # what the listing still found (a sample), for still_present
    reported_by: str | None = None  # for reported: the person, from a signed request
    reference: str | None = None  # for reported: their confirmation reference or note

    @property
    def deleted(self) -> bool:
        return self.kind in ("verified_empty", "reported")

    def describe(self) -> str:
        when = self.at.isoformat(timespec="seconds")
        if self.kind == "verified_empty":
            return f"verified empty at {when}"
        if self.kind == "still_present":
            return f"{len(self.objects)} object(s) still present at {when}"
        return f"reported by {self.reported_by} at {when}"


class StorageLocation(_Frozen):
    url: Ref  # s3://bucket/prefix, gs://…, az://…
    holds: Text
    evidence: StorageEvidence | None = None

    @field_validator("url")
    @classmethod
    def _object_storage(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in {"s3", "gs", "gcs", "az", "abfs"} or not rest.split("/")[0]:
            raise ValueError("a storage location is an object-storage URL such as s3://bucket/prefix")
        return value

    @property
    def deleted(self) -> bool:
        return self.evidence is not None and self.evidence.deleted


class ThirdParty(_Frozen):
    name: Ref
    holds: Text
    requested_at: datetime | None = None
    requested_by: str | None = None
    request_reference: str | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    confirmation_reference: str | None = None

    @property
    def deleted(self) -> bool:
        return self.confirmed_at is not None


# ------------------------------------------------------------------------------------------------- steps


class Triage(_Frozen):
    action: Literal[LeakAction.TRIAGE] = LeakAction.TRIAGE
    note: str | None = None


class Identify(_Frozen):
    action: Literal[LeakAction.IDENTIFY] = LeakAction.IDENTIFY
    storage: tuple[StorageLocation, ...] = ()
    third_parties: tuple[ThirdParty, ...] = ()


class RecordStorageDeletion(_Frozen):
    action: Literal[LeakAction.RECORD_STORAGE_DELETION] = LeakAction.RECORD_STORAGE_DELETION
    url: str
    evidence: StorageEvidence


class RequestThirdPartyDeletion(_Frozen):
    action: Literal[LeakAction.REQUEST_THIRD_PARTY_DELETION] = LeakAction.REQUEST_THIRD_PARTY_DELETION
    name: str
    reference: Ref


class ConfirmThirdParty(_Frozen):
    action: Literal[LeakAction.CONFIRM_THIRD_PARTY] = LeakAction.CONFIRM_THIRD_PARTY
    name: str
    reference: Ref


class RecordRootCause(_Frozen):
    action: Literal[LeakAction.RECORD_ROOT_CAUSE] = LeakAction.RECORD_ROOT_CAUSE
    root_cause: Text


class FileImprovement(_Frozen):
    action: Literal[LeakAction.FILE_IMPROVEMENT] = LeakAction.FILE_IMPROVEMENT
    issue_url: Ref


class TellCustomer(_Frozen):
    action: Literal[LeakAction.TELL_CUSTOMER] = LeakAction.TELL_CUSTOMER
    note: Text


class AcknowledgeLegal(_Frozen):
    action: Literal[LeakAction.ACKNOWLEDGE_LEGAL] = LeakAction.ACKNOWLEDGE_LEGAL
    note: Text


class Close(_Frozen):
    action: Literal[LeakAction.CLOSE] = LeakAction.CLOSE


Step = (
    Triage
    | Identify
    | RecordStorageDeletion
    | RequestThirdPartyDeletion
    | ConfirmThirdParty
    | RecordRootCause
    | FileImprovement
    | TellCustomer
    | AcknowledgeLegal
    | Close
)


class StepRecord(_Frozen):
    """One step as the audit trail keeps it."""

    action: LeakAction
    actor: str
    role: Role
    at: datetime
    from_state: LeakState
    to_state: LeakState
    evidence: dict[str, str | list[str]] = Field(default_factory=dict)


class LeakCase(_Frozen):
    state: LeakState = LeakState.REPORTED
    category: DataCategory
    storage: tuple[StorageLocation, ...] = ()
    third_parties: tuple[ThirdParty, ...] = ()
    legal_signed_off_by: str | None = None
    root_cause: str | None = None
    improvement_url: str | None = None

    @property
    def legal_required(self) -> bool:
        return self.category is DataCategory.PERSONAL_DATA
