"""The data-leak tables: the report's own facts, its storage locations and its third parties.

The case itself is a row of `cases` with `type = "data_leak"`; its steps are `case_events` like any
case's, so the audit trail is the same as a log-dive's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import JSONType, UTCDateTime


class LeakReport(SQLModel, table=True):
    __tablename__ = "leak_reports"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    category: str  # workflows.leak.DataCategory
    contact: str
    first_exported: str | None = None  # an ISO date, when known
    legal_signed_off_by: str | None = None
    legal_signed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    root_cause: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    improvement_url: str | None = None


class LeakStorageLocation(SQLModel, table=True):
    __tablename__ = "leak_storage_locations"
    __table_args__ = (UniqueConstraint("case_id", "url", name="uq_leak_storage_location"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    url: str
    holds: str
    identified_by: str
    identified_at: datetime = Field(sa_type=UTCDateTime)
    evidence: dict[str, Any] | None = Field(default=None, sa_type=JSONType)  # StorageEvidence


class LeakThirdParty(SQLModel, table=True):
    __tablename__ = "leak_third_parties"
    __table_args__ = (UniqueConstraint("case_id", "name", name="uq_leak_third_party"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    name: str
    holds: str
    identified_by: str
    identified_at: datetime = Field(sa_type=UTCDateTime)
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requested_by: str | None = None
    request_reference: str | None = None
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: str | None = None
    confirmation_reference: str | None = None
