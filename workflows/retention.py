"""How long an artefact is kept, and what is due for deletion at a given moment. Pure: `now` is passed in.

Raw diagnostic data is kept shortest, automated analysis outputs longest, manual analysis outputs a
day (config/policy.toml [retention]). An extension moves the expiry later, needs a reason, and means
the customer must be told.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workflows.policy import RetentionPolicy

__all__ = [
    "ArtefactKind",
    "Extension",
    "ExtensionRefused",
    "Retained",
    "due_for_deletion",
    "expiry_for",
    "extend",
    "is_expired",
    "kept_days",
]

MAX_REASON_LENGTH = 2000


class ArtefactKind(StrEnum):
    RAW = "raw"  # customer diagnostic data: uploaded files, raw log excerpts
    AUTOMATED_ANALYSIS = "automated_analysis"  # what `logdive extract` and summaries produce
    MANUAL_ANALYSIS = "manual_analysis"  # a person's working notes and hand-made outputs


def kept_days(kind: ArtefactKind, policy: RetentionPolicy) -> int:
    return {
        ArtefactKind.RAW: policy.raw_days,
        ArtefactKind.AUTOMATED_ANALYSIS: policy.automated_analysis_days,
        ArtefactKind.MANUAL_ANALYSIS: policy.manual_analysis_days,
    }[ArtefactKind(kind)]


def expiry_for(kind: ArtefactKind, created_at: datetime, policy: RetentionPolicy) -> datetime:
    """When an artefact of `kind` created at `created_at` must be gone."""
    _aware(created_at, "created_at")
    return created_at + timedelta(days=kept_days(kind, policy))


def is_expired(expires_at: datetime, now: datetime) -> bool:
    _aware(now, "now")
    return expires_at <= now


class ExtensionRefused(ValueError):
    """An extension that cannot be recorded; the message names the field and what is allowed."""


@dataclass(frozen=True)
class Extension:
    expires_at: datetime
    reason: str
    customer_must_be_told: bool = True  # keeping the customer's data longer is never silent


def extend(current_expiry: datetime, until: datetime, reason: str, now: datetime) -> Extension:
    """Keep an artefact until `until`: later than both its current expiry and now, with a reason."""
    _aware(until, "until")
    _aware(now, "now")
    text = (reason or "").strip()
    if not text:
        raise ExtensionRefused("reason: an extension needs a reason (why the data must be kept longer)")
    if len(text) > MAX_REASON_LENGTH:
        raise ExtensionRefused(f"reason: at most {MAX_REASON_LENGTH} characters, got {len(text)}")
    if until <= current_expiry:
        raise ExtensionRefused(
            f"until: {until.isoformat()} is not later than the current expiry {current_expiry.isoformat()}"
        )
    if until <= now:
        raise ExtensionRefused(f"until: {until.isoformat()} is in the past (now {now.isoformat()})")
    return Extension(expires_at=until, reason=text)


@dataclass(frozen=True)
class Retained:
    """What retention needs to know about an artefact."""

    id: int
    expires_at: datetime
    deleted: bool = False


def due_for_deletion(artefacts: Iterable[Retained], now: datetime) -> tuple[int, ...]:
    """The ids of live artefacts whose expiry has come, in expiry order."""
    _aware(now, "now")
    due = [a for a in artefacts if not a.deleted and is_expired(a.expires_at, now)]
    return tuple(a.id for a in sorted(due, key=lambda a: (a.expires_at, a.id)))


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{name}: a timezone-aware moment is required, got naive {moment.isoformat()}")
