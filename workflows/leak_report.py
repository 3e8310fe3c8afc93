"""The data-leak report: the fields of the `/security leak` form.

What a customer found and where they saw it. None of the log-dive's eligibility rules apply: every
report becomes a confidential SIRT case.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from workflows.leak import DataCategory, StorageLocation
from workflows.request import NAMESPACE_PATTERN

__all__ = ["LeakReportForm", "split_locations"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LeakReportForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=255)
    contact: Name
    category: DataCategory
    storage_urls: tuple[str, ...] = ()
    third_parties: tuple[Name, ...] = ()
    first_exported: date | None = None
    ticket_reference: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=3000)

    @field_validator("storage_urls")
    @classmethod
    def _object_storage(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            StorageLocation(url=url, holds="-")  # the same rule identify applies
        if len(set(urls)) != len(urls):
            raise ValueError("each storage location once")
        return urls

    @field_validator("third_parties")
    @classmethod
    def _distinct(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if len({n.casefold() for n in names}) != len(names):
            raise ValueError("each third party once")
        return names


def split_locations(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A free-text list, one location a line: object-storage URLs apart from third-party names."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    storage = tuple(line for line in lines if "://" in line)
    return storage, tuple(line for line in lines if "://" not in line)
