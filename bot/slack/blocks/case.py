"""The case message (the root of the case's thread) and the thread replies that announce each change.

Buttons reflect the case's current state, and each carries `case_id:version`, so a click on an older
copy of the message is recognised as stale and refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.db.models import Case, CaseEvent
from bot.slack.blocks.gitlab_events import gitlab_event_line
from bot.slack.blocks.limits import FALLBACK_TEXT, HEADER_TEXT, SECTION_FIELD, SECTION_TEXT, clip
from bot.slack.blocks.text import DECISION_TITLES, link, user, when
from bot.slack.escape import escape_mrkdwn
from workflows.review import CUSTODY_STATES
from workflows.states import OPEN_STATES, CaseState, Role, needs

CLAIM = "case.claim"
REQUEST_EXCEPTION = "case.request_exception"
APPROVE_EXCEPTION = "case.approve_exception"
DENY_EXCEPTION = "case.deny_exception"
LOG_UPDATE = "case.log_update"
RUN_LOGDIVE = "case.run_logdive"
ERASE_CASE = "case.erase"
SET_NDA = "case.nda"
NDA_CHOICES = {"offered": "NDA offered", "signed": "NDA signed", "declined": "NDA declined"}
CANCEL = "case.cancel"
TRANSITION_PREFIX = "case.transition."

# Steps that have their own button (claim, exceptions, cancel) rather than a plain "move to" button.
_OWN_BUTTON = frozenset(
    {CaseState.TRIAGED, CaseState.AWAITING_EXCEPTION, CaseState.EXCEPTION_APPROVED, CaseState.CANCELLED}
)


def _exception_buttons(value: str) -> list[ButtonElement]:
    return [
        ButtonElement(text="Approve exception", action_id=APPROVE_EXCEPTION, value=value, style="primary"),
        ButtonElement(text="Deny exception", action_id=DENY_EXCEPTION, value=value, style="danger"),
    ]


STATE_LABELS = {
    CaseState.REQUESTED: "Requested",
    CaseState.AWAITING_EXCEPTION: "Awaiting Legal exception",
    CaseState.EXCEPTION_APPROVED: "Exception approved",
    CaseState.TRIAGED: "Triaged",
    CaseState.INVESTIGATING: "Investigating",
    CaseState.AWAITING_CUSTOMER: "Awaiting customer",
    CaseState.ARTEFACTS_IN_REVIEW: "Artefacts in review",
    CaseState.ARTEFACTS_APPROVED: "Artefacts approved",
    CaseState.SHARED: "Shared with customer",
    CaseState.CLOSED: "Closed",
    CaseState.CANCELLED: "Cancelled",
    CaseState.REJECTED: "Rejected",
}
MOVE_LABELS = {
    CaseState.INVESTIGATING: "Start investigating",
    CaseState.AWAITING_CUSTOMER: "Wait on customer",
    CaseState.ARTEFACTS_IN_REVIEW: "Submit for review",
    CaseState.ARTEFACTS_APPROVED: "Approve artefacts",
    CaseState.SHARED: "Mark shared",
    CaseState.CLOSED: "Close case",
    CaseState.REJECTED: "Reject",
}


def button_value(case: Case) -> str:
    return f"{case.id}:{case.version}"


def parse_button_value(value: str) -> tuple[int, int]:
    """`case_id:version` -> (case_id, version); ValueError when it is anything else."""
    case_id, version = value.split(":", 1)
    return int(case_id), int(version)


@dataclass(frozen=True)
class CaseView:
    """What the message shows beyond the case row itself."""

    label: str
    exception: str | None = None  # the latest Legal exception event: requested, approved or denied
    gitlab_url: str | None = None  # GITLAB_URL: only links into it are shown as links


# The decision at intake, as it stands once Legal has answered an exception.
EXCEPTION_DECISIONS = {
    "requested": "Legal exception requested",
    "approved": "Eligible after a Legal exception",
    "denied": "Legal exception denied",
}


def _buttons(case: Case, view: CaseView) -> list[InteractiveElement]:
    state = CaseState(case.state)
    # SIRT or Legal erase a case on request, open or ended (checked on the click, confirmed in a modal).
    erase = ButtonElement(text="Erase case", action_id=ERASE_CASE, value=button_value(case), style="danger")
    if state not in OPEN_STATES:
        return [erase]
    value = button_value(case)
    buttons: list[InteractiveElement] = []
    eligible = case.decision == "eligible"
    if (state is CaseState.REQUESTED and eligible) or state is CaseState.EXCEPTION_APPROVED:
        buttons.append(ButtonElement(text="Claim", action_id=CLAIM, value=value, style="primary"))
    if state is CaseState.REQUESTED and case.decision == "exception_required":
        buttons.append(
            ButtonElement(text="Request Legal exception", action_id=REQUEST_EXCEPTION, value=value)
        )
    if state is CaseState.AWAITING_EXCEPTION:
        buttons.extend(_exception_buttons(value))
    for target in CaseState:
        people = needs(state, target) - {Role.SYSTEM}  # review and hand-over move only by artefact keys
        if target in _OWN_BUTTON or not people or state is CaseState.AWAITING_EXCEPTION:
            continue
        buttons.append(
            ButtonElement(
                text=MOVE_LABELS.get(target, STATE_LABELS[target]),
                action_id=TRANSITION_PREFIX + target.value,
                value=value,
            )
        )
    if state in CUSTODY_STATES:  # the CSM records where the NDA stands; checked on the choice
        buttons.append(
            StaticSelectElement(
                action_id=SET_NDA,
                placeholder=NDA_CHOICES.get(case.nda_status or "", "NDA status…"),
                options=[
                    Option(value=f"{value}:{choice}", text=label) for choice, label in NDA_CHOICES.items()
                ],
            )
        )
    if state is CaseState.INVESTIGATING:  # the case owner's; checked on the click
        buttons.append(
            ButtonElement(text="Run log-dive", action_id=RUN_LOGDIVE, value=value, style="primary")
        )
    buttons.append(ButtonElement(text="Log customer update", action_id=LOG_UPDATE, value=value))
    buttons.append(
        ButtonElement(
            text="Cancel case",
            action_id=CANCEL,
            value=value,
            style="danger",
            confirm=ConfirmObject(
                title="Cancel this case?",
                text="The case closes and nobody works on it.",
                confirm="Cancel case",
                deny="Keep it",
            ),
        )
    )
    return [*buttons, erase]


def _decision(case: Case, view: CaseView) -> str:
    if case.decision == "exception_required" and view.exception in EXCEPTION_DECISIONS:
        return EXCEPTION_DECISIONS[view.exception]
    return DECISION_TITLES.get(case.decision, escape_mrkdwn(case.decision))


def case_message(case: Case, view: CaseView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the root message of a case's thread; an erased case's is a tombstone."""
    if case.erased_at is not None:
        return erased_message(view.label, case.erased_at)
    state = CaseState(case.state)
    route = {"support": "Support", "security": "SIRT"}.get(case.route or "", "—")
    window = (case.request or {}).get("window") or {}
    issue = (
        link(case.sirt_issue_url, f"#{case.sirt_issue_iid}", view.gitlab_url)
        if case.sirt_issue_url
        else "not yet"
    )
    fields = [
        f"*State*\n{STATE_LABELS[state]}",
        f"*Route*\n{route}",
        f"*Decision*\n{_decision(case, view)}",
        f"*Requested by*\n{user(case.created_by)}",
        f"*Customer contact*\n{escape_mrkdwn(case.requester_username, 300)}",
        f"*Owner*\n{user(case.owner) if case.owner else 'unclaimed'}",
        f"*Window*\n{_window(window)}",
        f"*Next customer update due*\n{when(case.next_update_due)}",
        f"*Ticket*\n{escape_mrkdwn(case.ticket_reference or '—', 300)}",
        f"*SIRT issue*\n{issue}",
    ]
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"{view.label} · {case.customer_namespace}", HEADER_TEXT)),
        SectionBlock(fields=[MarkdownTextObject(text=clip(f, SECTION_FIELD)) for f in fields]),
    ]
    accepted = accepted_scope(case)
    if accepted:
        text = ":heavy_plus_sign: *Wider scope accepted* — "
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=text + escape_mrkdwn(accepted, SECTION_TEXT - len(text)))
            )
        )
    if case.description:
        # The CSM's own words: plain text, so nothing in them is read as formatting, links or mentions.
        blocks.append(
            SectionBlock(text=PlainTextObject(text=clip(case.description, SECTION_TEXT), emoji=False))
        )
    buttons = _buttons(case, view)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"case:{case.id}", elements=buttons))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{escape_mrkdwn(view.label)} · version {case.version} · "
                    f"updated {when(case.updated_at)}"
                )
            ]
        )
    )
    text = clip(
        f"{view.label} ({STATE_LABELS[state]}): log-dive for {escape_mrkdwn(case.customer_namespace)}",
        FALLBACK_TEXT,
    )
    return text, blocks


def erased_message(
    label: str, erased_at: datetime, by: str | None = None, why: str | None = None
) -> tuple[str, list[Block]]:
    """What stays of Logdive's own messages in an erased case's thread: what, when, by whom, why."""
    who = f" by {user(by)}" if by else ""
    line = f":wastebasket: {escape_mrkdwn(label)} was erased on request{who} {when(erased_at)}."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(line, SECTION_TEXT)))]
    if why:
        blocks.append(SectionBlock(text=PlainTextObject(text=clip(f"Why: {why}", SECTION_TEXT), emoji=False)))
    return clip(f"{label} was erased", FALLBACK_TEXT), blocks


def accepted_scope(case: Case) -> str | None:
    """The scope rule's reason (what is wider, the hours) when the customer accepted a wider scope's cost:
    hours accepted, and enough of them that the rule passed."""
    assessment = case.assessment or {}
    accepted = (case.request or {}).get("scope_cost_accepted_hours")
    if accepted is None or assessment.get("extra_effort_hours") is None:
        return None
    rules = assessment.get("rules", [])
    return next(
        (r.get("reason") for r in rules if r.get("id") == "scope" and r.get("outcome") == "pass"), None
    )


def _window(window: dict[str, Any]) -> str:
    try:
        start = datetime.fromisoformat(window["start"])
        end = datetime.fromisoformat(window["end"])
    except (KeyError, TypeError, ValueError):
        return "—"
    return f"{when(start)} → {when(end)}"


def _state(value: str | None) -> str:
    try:
        return STATE_LABELS[CaseState(value)] if value else "?"
    except ValueError:
        return escape_mrkdwn(value or "?", 50)


def event_message(case: Case, event: CaseEvent, view: CaseView) -> tuple[str, list[Block]]:
    """A thread reply announcing one change; an exception request carries Legal's buttons. In an erased
    case, a reply delivered after the erasure is a tombstone too."""
    if case.erased_at is not None:
        return erased_message(view.label, case.erased_at)
    who = user(event.actor)
    data = event.data or {}
    free_text: str | None = None
    buttons: list[ButtonElement] = []
    frm, to = _state(event.from_state), _state(event.to_state)
    if event.kind == "claimed":
        line = f"{who} claimed {view.label}: *{to}*."
    elif event.kind == "customer_update":
        line = (
            f"{who} logged a customer update on {view.label}. Next update due {when(case.next_update_due)}."
        )
        free_text = data.get("summary")
    elif event.kind == "exception_requested":
        rules = ", ".join(escape_mrkdwn(r, 50) for r in data.get("rules") or []) or "—"
        line = f":scales: {who} asks Legal for an exception on {view.label} (rules: {rules}). Reason:"
        free_text = data.get("reason")
        if CaseState(case.state) is CaseState.AWAITING_EXCEPTION:
            buttons = _exception_buttons(button_value(case))
    elif event.kind in ("exception_approved", "exception_denied"):
        verdict = "approved" if event.kind == "exception_approved" else "denied"
        line = f":scales: {who} {verdict} the exception on {view.label}: *{to}*."
        free_text = data.get("reason")
    elif (gitlab_line := gitlab_event_line(event, view.label, view.gitlab_url)) is not None:
        line = gitlab_line
    elif event.to_state:
        line = f"{who} moved {view.label} from *{frm}* to *{to}*."
    else:
        line = f"{who}: {escape_mrkdwn(event.kind.replace('_', ' '), 100)} on {view.label}."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(line, SECTION_TEXT)))]
    if free_text:
        blocks.append(SectionBlock(text=PlainTextObject(text=clip(free_text, SECTION_TEXT), emoji=False)))
    if buttons:
        blocks.append(ActionsBlock(block_id=f"event:{event.id}", elements=buttons))
    return clip(f"{view.label}: {event.kind.replace('_', ' ')}", FALLBACK_TEXT), blocks
