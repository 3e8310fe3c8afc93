"""The SIRT issue of a case: its labels, which case events become notes (and which are internal), what a
note written in GitLab means, and where a case goes when its issue is closed in GitLab.

Labels are derived from the case as it is *now*, never from one event: label updates delivered out of
order (a retry overtaking a later change) still converge on the case's current state.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

from workflows.assessment import Route
from workflows.states import OPEN_STATES, CaseState

__all__ = [
    "AUDIT_GAP_LABELS",
    "NOTE_EVENTS",
    "IssueLabels",
    "is_finding",
    "note_is_internal",
    "state_after_issue_closed",
]

# The labels every Audit Events gap issue carries (GitLab's product category and tier labels).
AUDIT_GAP_LABELS = ("Category:Audit Events", "Enterprise Edition")

# Case events that become a note on the SIRT issue, and whether the note is internal (Reporter and up
# only): anything a person wrote about the customer or their request is; bare state changes are not.
NOTE_EVENTS: dict[str, bool] = {
    "claimed": False,
    "transition": False,
    "customer_update": True,
    "exception_requested": True,
    "exception_approved": True,
    "exception_denied": True,
    "finding": True,
    "audit_gap_reported": True,
    "audit_gap_filed": False,
}

_LABEL = re.compile(r"[^,\n]{1,255}")
_FINDING = re.compile(r"^[\s>#*_~`|\-]*(?:\*\*|__)?finding\b", re.IGNORECASE)
_CUSTOMER_UPDATE = re.compile(r"^[\s>#*_~`|\-]*(?:\*\*|__)?customer update\b", re.IGNORECASE)


def note_is_internal(kind: str) -> bool:
    return NOTE_EVENTS.get(kind, True)


class IssueLabels(BaseModel):
    """Which labels a SIRT issue carries: fixed ones, the route, the case state."""

    model_config = ConfigDict(frozen=True)

    base: tuple[str, ...] = ("SIRT", "logdive")
    route_prefix: str = "route::"
    status_prefix: str = "status::"

    @field_validator("base", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):  # LOGDIVE_SIRT_LABELS="SIRT,logdive"
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("base")
    @classmethod
    def _valid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for label in value:
            if not _LABEL.fullmatch(label):
                raise ValueError(f"{label!r} is not a GitLab label (1 to 255 characters, no comma)")
        return value

    def route(self, route: Route | str | None) -> str | None:
        return f"{self.route_prefix}{Route(route).value}" if route else None

    def status(self, state: CaseState | str) -> str:
        return f"{self.status_prefix}{CaseState(state).value}"

    def for_case(self, state: CaseState | str, route: Route | str | None) -> tuple[str, ...]:
        """Every label the issue should carry for a case in `state` on `route`."""
        route_label = self.route(route)
        return (*self.base, *([route_label] if route_label else []), self.status(state))

    def changes(self, state: CaseState | str, route: Route | str | None) -> tuple[list[str], list[str]]:
        """(add, remove) that bring any earlier labelling to the one for `state` and `route`."""
        wanted = self.for_case(state, route)
        stale = [self.status(s) for s in CaseState] + [self.route(r) or "" for r in Route]
        return list(wanted), [label for label in stale if label and label not in wanted]


def is_finding(note: str) -> bool:
    """A note in GitLab reports a finding when its first line starts with "Finding" (Markdown
    emphasis, a heading or a quote marker before it allowed): `**Finding:** …`, `## Finding 2`."""
    first = next((line for line in note.splitlines() if line.strip()), "")
    return bool(_FINDING.match(first))


def is_customer_update(note: str) -> bool:
    """A note in GitLab records a status update sent to the customer when its first line starts with
    "Customer update" (same leniency as findings): `**Customer update:** sent the interim summary`."""
    first = next((line for line in note.splitlines() if line.strip()), "")
    return bool(_CUSTOMER_UPDATE.match(first))


def state_after_issue_closed(state: CaseState | str) -> CaseState | None:
    """Where a case goes when someone closes its SIRT issue in GitLab: a shared case is closed, a case
    still in progress is cancelled (the work stopped before anything reached the customer), and a case
    that is already over stays as it is (None)."""
    current = CaseState(state)
    if current not in OPEN_STATES:
        return None
    return CaseState.CLOSED if current is CaseState.SHARED else CaseState.CANCELLED
