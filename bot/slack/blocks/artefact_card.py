"""The artefact card: one message per artefact in the case thread, redrawn on every change.

It shows what the artefact is (name, kind, version, size, entries kept, redactions by kind), how long
it is kept, the case's NDA status, its full SHA-256 and each key given. Its buttons follow the
artefact's state; who may press them is decided on the click (the message is the same for everyone).
Each button carries `artefact_id:version:sha256`, the subject the person was shown: a key given from
an older card is for an older subject and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.report.extract_record import is_report_source
from bot.slack.blocks.limits import FALLBACK_TEXT, HEADER_TEXT, SECTION_FIELD, SECTION_TEXT, clip
from bot.slack.blocks.text import user, when
from bot.slack.escape import escape_mrkdwn
from workflows.review import ReviewState
from workflows.states import Role

PREFIX = "artefact."
SUBMIT = PREFIX + "submit"
APPROVE_SIRT = PREFIX + "approve.sirt"
APPROVE_LEGAL = PREFIX + "approve.legal"
DENY = PREFIX + "deny"
SHARE = PREFIX + "share"
EXTEND = PREFIX + "extend"
ERASE = PREFIX + "erase"
TOLD = PREFIX + "customer_told"
REPORT = PREFIX + "report"
ACTIONS = (SUBMIT, APPROVE_SIRT, APPROVE_LEGAL, DENY, SHARE, EXTEND, TOLD, ERASE, REPORT)
_VALUE = re.compile(r"([0-9]{1,18}):([0-9]{1,9}):([0-9a-f]{64})")

REVIEW_LABELS = {
    ReviewState.NOT_SUBMITTED: "Not submitted for review",
    ReviewState.CHANGED: "New version: submit it for review",
    ReviewState.PENDING: "In review",
    ReviewState.DENIED: "Denied",
    ReviewState.APPROVED: "Approved: both keys on this version",
}
KIND_LABELS = {
    "raw": "Raw log entries",
    "automated_analysis": "Automated analysis",
    "manual_analysis": "Manual",
}


@dataclass(frozen=True)
class KeyGiven:
    role: Role
    by: str
    at: datetime | None


@dataclass(frozen=True)
class CardFacts:
    artefact_id: int
    case_label: str
    name: str
    kind: str
    version: int
    size: int
    sha256: str
    expires_at: datetime
    nda_status: str | None
    review: ReviewState
    keys: tuple[KeyGiven, ...] = ()
    missing: tuple[Role, ...] = ()
    denied_by: str | None = None
    denial_reason: str | None = None
    submitted_by: str | None = None
    customer_must_be_told: bool = False
    deleted_at: datetime | None = None
    case_open: bool = True  # accepted and open: buttons only then
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> str:
        return button_value(self.artefact_id, self.version, self.sha256)


def button_value(artefact_id: int, version: int, sha256: str) -> str:
    return f"{artefact_id}:{version}:{sha256}"


def parse_value(value: object) -> tuple[int, int, str] | None:
    """(artefact id, version, sha256) from a button, or None when it is not a value Logdive wrote."""
    found = _VALUE.fullmatch(value) if isinstance(value, str) else None
    return (int(found[1]), int(found[2]), found[3]) if found else None


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _redactions(details: dict[str, Any]) -> str:
    counts = details.get("redactions") or {}
    if not isinstance(counts, dict) or not counts:
        return "—"
    parts = [
        f"{escape_mrkdwn(str(k), 40)}: {int(v)}" for k, v in sorted(counts.items()) if isinstance(v, int)
    ]
    return ", ".join(parts) or "—"


def _buttons(facts: CardFacts) -> list[ButtonElement]:
    if facts.deleted_at is not None or not facts.case_open:
        return []
    value = facts.value
    buttons: list[ButtonElement] = []
    if facts.review in (ReviewState.NOT_SUBMITTED, ReviewState.CHANGED):
        buttons.append(
            ButtonElement(text="Submit for review", action_id=SUBMIT, value=value, style="primary")
        )
    if facts.review is ReviewState.PENDING:
        if Role.SIRT in facts.missing:
            buttons.append(ButtonElement(text="Approve as Security", action_id=APPROVE_SIRT, value=value))
        if Role.LEGAL in facts.missing:
            buttons.append(ButtonElement(text="Approve as Legal", action_id=APPROVE_LEGAL, value=value))
    if facts.review in (ReviewState.PENDING, ReviewState.APPROVED):
        buttons.append(ButtonElement(text="Deny", action_id=DENY, value=value, style="danger"))
    if facts.review is ReviewState.APPROVED:
        buttons.append(
            ButtonElement(text="Share with customer", action_id=SHARE, value=value, style="primary")
        )
    if is_report_source(facts.name):
        buttons.append(ButtonElement(text="Build findings report", action_id=REPORT, value=value))
    buttons.append(ButtonElement(text="Extend retention", action_id=EXTEND, value=value))
    if facts.customer_must_be_told:
        buttons.append(ButtonElement(text="Customer told of extension", action_id=TOLD, value=value))
    buttons.append(ButtonElement(text="Erase", action_id=ERASE, value=value, style="danger"))
    return buttons


def artefact_card(facts: CardFacts) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the card."""
    title = f"{facts.case_label} · artefact {facts.artefact_id} · {facts.name}"
    if facts.deleted_at is not None:
        line = (
            f":wastebasket: Artefact {facts.artefact_id} of {escape_mrkdwn(facts.case_label)} was deleted "
            f"{when(facts.deleted_at)}; only its record remains."
        )
        return clip(f"{facts.case_label}: artefact {facts.artefact_id} deleted", FALLBACK_TEXT), [
            SectionBlock(text=MarkdownTextObject(text=line))
        ]
    told = " — *extended: tell the customer*" if facts.customer_must_be_told else ""
    fields = [
        f"*Kind*\n{KIND_LABELS.get(facts.kind, escape_mrkdwn(facts.kind, 40))}",
        f"*Version*\n{facts.version}",
        f"*Size*\n{_size(facts.size)}",
        f"*Entries kept*\n{facts.details.get('entries_kept', '—')}",
        f"*Redactions*\n{_redactions(facts.details)}",
        f"*Kept until*\n{when(facts.expires_at)}{told}",
        f"*NDA*\n{escape_mrkdwn(facts.nda_status or 'not set', 20)}",
        f"*Review*\n{REVIEW_LABELS[facts.review]}",
    ]
    keys = [
        f"*{'Security' if k.role is Role.SIRT else 'Legal'} key*: {user(k.by)}, {when(k.at)}"
        for k in facts.keys
    ]
    keys += [f"*{'Security' if r is Role.SIRT else 'Legal'} key*: not given" for r in facts.missing]
    if facts.submitted_by:
        keys.insert(0, f"*Submitted by* {user(facts.submitted_by)}")
    blocks: list[Block] = [
        HeaderBlock(text=clip(title, HEADER_TEXT)),
        SectionBlock(fields=[MarkdownTextObject(text=clip(f, SECTION_FIELD)) for f in fields]),
        SectionBlock(text=MarkdownTextObject(text=f"*SHA-256* `{facts.sha256}`")),
    ]
    if keys and facts.review is not ReviewState.NOT_SUBMITTED:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(keys), SECTION_TEXT))))
    if facts.review is ReviewState.DENIED:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f":no_entry: Denied by {user(facts.denied_by)}. Reason:")
            )
        )
        blocks.append(
            SectionBlock(
                text=PlainTextObject(text=clip(facts.denial_reason or "—", SECTION_TEXT), emoji=False)
            )
        )
    buttons = _buttons(facts)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"artefact:{facts.artefact_id}", elements=buttons))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(text="Nothing leaves Logdive without both keys on this exact version.")
            ]
        )
    )
    text = f"{facts.case_label}: artefact {facts.artefact_id} ({facts.name}), {REVIEW_LABELS[facts.review]}"
    return clip(text, FALLBACK_TEXT), blocks
