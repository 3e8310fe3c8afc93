"""The improvement a data leak leads to, as a GitLab issue in a product project that may be public.

Built fail-closed: the title and body are fixed sentences chosen by an improvement area and the data
category, both from closed lists, and counts. Nothing a person typed and no location is in it. The
finished text is then checked against every name the case knows the customer by (`check_clean`), as
a last line of defence, not as the mechanism.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from workflows.audit_gap import CustomerIdentity, keyed_digest
from workflows.leak import DataCategory

__all__ = ["AREAS", "ImprovementArea", "PublicImprovement", "leak_identity", "public_improvement"]


class ImprovementArea(StrEnum):
    EXPORT_FILTER = "export_filter"
    REDACTION = "redaction"
    RETENTION = "retention"
    THIRD_PARTY_SHARING = "third_party_sharing"
    ACCESS = "access"


AREAS: dict[ImprovementArea, tuple[str, str]] = {
    ImprovementArea.EXPORT_FILTER: (
        "Exports include data they should not",
        "Restrict what telemetry, diagnostics and metrics exports collect to what they need.",
    ),
    ImprovementArea.REDACTION: (
        "Exported data is not redacted",
        "Redact secrets and personal data before data leaves the instance.",
    ),
    ImprovementArea.RETENTION: (
        "Exported data is kept too long",
        "Shorten the retention of exported data in the vendor's storage.",
    ),
    ImprovementArea.THIRD_PARTY_SHARING: (
        "Exported data reaches third-party tools",
        "Limit what exported data is forwarded to third-party tools.",
    ),
    ImprovementArea.ACCESS: (
        "Exported data is too widely accessible",
        "Restrict who and what can read exported data.",
    ),
}
_CATEGORY_WORDS = {
    DataCategory.CREDENTIALS: "credentials",
    DataCategory.PERSONAL_DATA: "personal data",
    DataCategory.CUSTOMER_CONTENT: "customer content",
    DataCategory.OTHER: "data that should not have been exported",
}


class PublicImprovement(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    summary: str
    change: str
    marker: str  # a keyed digest of the case: finds an earlier attempt's issue, names no case


def public_improvement(
    area: ImprovementArea,
    category: DataCategory,
    *,
    storage: int,
    third_parties: int,
    case_id: int,
    secret: bytes,
) -> PublicImprovement:
    headline, change = AREAS[area]
    places = []
    if storage:
        places.append(f"{storage} object-storage location(s)")
    if third_parties:
        places.append(f"{third_parties} third-party system(s)")
    reached = " and ".join(places) or "vendor systems"
    summary = (
        f"Exported data contained {_CATEGORY_WORDS[category]} and reached {reached}. "
        "Every copy has been deleted; this issue tracks the change that prevents a repeat."
    )
    return PublicImprovement(
        title=f"{headline} ({_CATEGORY_WORDS[category]})",
        summary=summary,
        change=change,
        marker=keyed_digest(secret, "logdive-leak-improvement", str(case_id)),
    )


def leak_identity(namespace: str, contact: str, ticket: str | None) -> CustomerIdentity:
    """Every name a leak case knows the customer by: theirs, their contact's and the ticket's. The
    storage paths are not here: the text names no location at all, and vendor bucket names are not the
    customer's."""
    names = {
        namespace,
        contact,
        ticket or "",
        *namespace.split("/"),
        *(w for w in contact.split() if len(w) >= 3),
    }
    return CustomerIdentity(names=frozenset(n for n in names if any(c.isalnum() for c in n)))
