"""The data-leak views: the report form, the case message with a button per step, and the step modals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from sqlmodel import Session

from bot.cases import case_label
from bot.db.models import Case
from bot.leak import service
from bot.slack.blocks.limits import clip
from bot.slack.escape import escape_mrkdwn
from workflows import leak as L
from workflows.leak_improvement import AREAS, ImprovementArea
from workflows.states import Role

REPORT_CALLBACK = "leak_report"
STEP_CALLBACK = "leak_step"
ACTION_PREFIX = "leak:"  # leak:<LeakAction> on the case message; leak:delete / leak:check per location
DELETE, CHECK, REPORTED = "delete", "check", "reported"

NAMESPACE, CONTACT, CATEGORY, LOCATIONS, FIRST_EXPORTED, TICKET, DESCRIPTION = (
    "customer_namespace",
    "contact",
    "category",
    "locations",
    "first_exported",
    "ticket_reference",
    "description",
)
REPORT_BLOCKS = (NAMESPACE, CONTACT, CATEGORY, LOCATIONS, FIRST_EXPORTED, TICKET, DESCRIPTION)
TEXT_BLOCK, STORAGE_BLOCK, PARTIES_BLOCK, CONFIRM_BLOCK = "text", "storage", "third_parties", "confirm"
AREA_BLOCK = "area"

CATEGORY_TITLES = {
    L.DataCategory.CREDENTIALS: "Credentials",
    L.DataCategory.PERSONAL_DATA: "Personal data",
    L.DataCategory.CUSTOMER_CONTENT: "Customer content",
    L.DataCategory.OTHER: "Other",
}
STEP_TITLES = {
    L.LeakAction.TRIAGE: "Triage",
    L.LeakAction.IDENTIFY: "Identify locations",
    L.LeakAction.RECORD_STORAGE_DELETION: "Storage deletion",
    L.LeakAction.REQUEST_THIRD_PARTY_DELETION: "Deletion requested",
    L.LeakAction.CONFIRM_THIRD_PARTY: "Deletion confirmed",
    L.LeakAction.RECORD_ROOT_CAUSE: "Root cause",
    L.LeakAction.FILE_IMPROVEMENT: "File improvement",
    L.LeakAction.TELL_CUSTOMER: "Customer told",
    L.LeakAction.ACKNOWLEDGE_LEGAL: "Legal sign-off",
    L.LeakAction.CLOSE: "Close",
}
# What the step modal asks for; steps absent here are taken with one click.
STEP_PROMPTS = {
    L.LeakAction.REQUEST_THIRD_PARTY_DELETION: "Third party, then ` | ` and the request's reference",
    L.LeakAction.CONFIRM_THIRD_PARTY: "Third party, then ` | ` and the confirmation's reference",
    L.LeakAction.RECORD_ROOT_CAUSE: "What caused the export?",
    L.LeakAction.TELL_CUSTOMER: "What was the customer told, and how?",
    L.LeakAction.ACKNOWLEDGE_LEGAL: "Legal's note",
}


def _input(
    block_id: str, label: str, *, multiline: bool = False, optional: bool = False, hint: str = ""
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint or None,
        element=PlainTextInputElement(action_id=block_id, multiline=multiline, max_length=3000),
    )


def report_modal() -> View:
    return View(
        type="modal",
        callback_id=REPORT_CALLBACK,
        title="Report a data leak",
        submit="Report",
        close="Cancel",
        blocks=[
            _input(NAMESPACE, "Customer namespace"),
            _input(CONTACT, "Customer contact"),
            InputBlock(
                block_id=CATEGORY,
                label="What was found",
                element=StaticSelectElement(
                    action_id=CATEGORY,
                    options=[Option(value=c.value, label=title) for c, title in CATEGORY_TITLES.items()],
                ),
            ),
            _input(
                LOCATIONS,
                "Where it was seen",
                multiline=True,
                hint="One a line: object-storage URLs (s3://bucket/prefix) and third-party systems by name.",
            ),
            InputBlock(
                block_id=FIRST_EXPORTED,
                label="First exported (if known)",
                optional=True,
                element=DatePickerElement(action_id=FIRST_EXPORTED),
            ),
            _input(TICKET, "Account manager's ticket", optional=True),
            _input(DESCRIPTION, "What the customer told us", multiline=True, optional=True),
        ],
    )


def case_message(
    label: str,
    case_id: int,
    version: int,
    summary: Mapping[str, Any],
    state: str,
    actions: tuple[L.LeakAction, ...],
) -> list[Block]:
    """The case's thread message: where the leak is, what shows each copy gone, a button per step."""
    lines = [f"*{escape_mrkdwn(label)}* · data leak · *{escape_mrkdwn(state.removeprefix('leak_'))}*"]
    lines.append(
        f"Category: {escape_mrkdwn(summary['category'])}" + (" · Legal required" * summary["legal_required"])
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), 3000)))]
    value = f"{case_id}:{version}"
    for index, location in enumerate(summary["storage"]):
        text = f"`{escape_mrkdwn(location['url'], 300)}`: {escape_mrkdwn(location['status'])}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))))
        if not location["deleted"] and L.LeakAction.RECORD_STORAGE_DELETION in actions:
            blocks.append(
                ActionsBlock(
                    block_id=f"storage-{index}",
                    elements=[
                        ButtonElement(
                            text="Delete…",
                            action_id=f"{ACTION_PREFIX}{DELETE}",
                            value=f"{value}:{index}",
                            style="danger",
                        ),
                        ButtonElement(
                            text="Check", action_id=f"{ACTION_PREFIX}{CHECK}", value=f"{value}:{index}"
                        ),
                        ButtonElement(
                            text="Report deleted…",
                            action_id=f"{ACTION_PREFIX}{REPORTED}",
                            value=f"{value}:{index}",
                        ),
                    ],
                )
            )
    for party in summary["third_parties"]:
        status = (
            f"confirmed ({party['confirmation_reference']})"
            if party["confirmed_at"]
            else f"requested ({party['request_reference']})"
            if party["requested_at"]
            else "not yet requested"
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=clip(f"{escape_mrkdwn(party['name'])}: {escape_mrkdwn(status)}", 3000)
                )
            )
        )
    buttons = [
        ButtonElement(text=STEP_TITLES[a], action_id=f"{ACTION_PREFIX}{a.value}", value=value)
        for a in actions
        if a is not L.LeakAction.RECORD_STORAGE_DELETION
    ]
    if buttons:
        blocks.append(ActionsBlock(block_id="steps", elements=buttons[:25]))
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Every step is recorded with who, when and the evidence.")]
        )
    )
    return blocks


def step_metadata(case_id: int, version: int, action: str, index: int | None = None) -> str:
    return json.dumps({"case": case_id, "version": version, "action": action, "index": index})


def step_modal(action: L.LeakAction, *, label: str, metadata: str) -> View:
    if action is L.LeakAction.IDENTIFY:
        blocks: list[Block] = [
            _input(
                STORAGE_BLOCK,
                "Object storage: URL | what it holds",
                multiline=True,
                optional=True,
                hint="One a line, e.g. s3://telemetry/acme/2026-11/ | diagnostics with tokens",
            ),
            _input(PARTIES_BLOCK, "Third parties: name | what it holds", multiline=True, optional=True),
        ]
    elif action is L.LeakAction.FILE_IMPROVEMENT:
        blocks = [
            InputBlock(
                block_id=AREA_BLOCK,
                label="What the improvement changes",
                hint="Logdive files it in fixed wording: no customer, no location.",
                element=StaticSelectElement(
                    action_id=AREA_BLOCK,
                    options=[Option(value=a.value, label=AREAS[a][0][:75]) for a in ImprovementArea],
                ),
            )
        ]
    else:
        blocks = [
            _input(TEXT_BLOCK, STEP_PROMPTS[action], multiline=action is not L.LeakAction.CONFIRM_THIRD_PARTY)
        ]
    return View(
        type="modal",
        callback_id=STEP_CALLBACK,
        title=STEP_TITLES[action],
        submit="Record",
        close="Back",
        private_metadata=metadata,
        blocks=[SectionBlock(text=clip(f"Case {label}", 3000)), *blocks],
    )


def storage_modal(kind: str, url: str, *, label: str, metadata: str) -> View:
    """Delete (type the location to confirm) or report deleted (a reference): the location named."""
    named = f"Case {label}: `{escape_mrkdwn(url, 500)}`"
    if kind == DELETE:
        title, submit = "Delete location", "Delete"
        ask = _input(CONFIRM_BLOCK, "Type the location to confirm deleting everything under it")
        named += "\nLogdive deletes every object under this prefix, then lists it to show it is empty."
    else:
        title, submit = "Report deleted", "Report"
        ask = _input(CONFIRM_BLOCK, "Who deleted it, how, and the reference")
        named += "\nTaken only where Logdive cannot look; where it can, its own listing is recorded."
    return View(
        type="modal",
        callback_id=STEP_CALLBACK,
        title=title,
        submit=submit,
        close="Back",
        private_metadata=metadata,
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(named, 3000))), ask],
    )


def recorded_modal(message: str) -> View:
    return View(
        type="modal",
        callback_id="leak_recorded",
        title="Data leak",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(escape_mrkdwn(message), 3000)))],
    )


def message_for(session: Session, case: Case) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of a leak case's message as the case is now; every step a role could take
    has its button (the click checks the clicker's roles)."""
    assert case.id is not None
    label = case_label(case.id)
    actions = L.available_actions(service.leak_case(session, case.id), frozenset(Role) - {Role.SYSTEM})
    summary = service.summary(session, case)
    return f"{label} · data leak", case_message(label, case.id, case.version, summary, case.state, actions)
