"""The modals behind three artefact-card buttons: Deny (a reason), Extend retention (until, reason,
whether the customer was told) and Erase (a reason; submitting is the confirmation)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.blocks.limits import clip

DENY_CALLBACK = "artefact_deny"
EXTEND_CALLBACK = "artefact_extend"
ERASE_CALLBACK = "artefact_erase"
ERASE_CASE_CALLBACK = "case_erase"
CALLBACKS = (DENY_CALLBACK, EXTEND_CALLBACK, ERASE_CALLBACK)
REASON, UNTIL, TOLD = "reason", "until", "customer_told"


def _reason(label: str) -> InputBlock:
    return InputBlock(
        block_id=REASON,
        label=label,
        element=PlainTextInputElement(action_id=REASON, multiline=True, min_length=1, max_length=2000),
    )


def custody_modal(callback_id: str, *, title_line: str, metadata: str) -> View:
    intro = SectionBlock(text=clip(title_line, 3000))
    if callback_id == DENY_CALLBACK:
        title, submit = "Deny artefact", "Deny"
        blocks = [intro, _reason("What must change before it can be approved?")]
    elif callback_id == EXTEND_CALLBACK:
        title, submit = "Extend retention", "Extend"
        blocks = [
            intro,
            InputBlock(block_id=UNTIL, label="Keep until", element=DatePickerElement(action_id=UNTIL)),
            _reason("Why must it be kept longer?"),
            InputBlock(
                block_id=TOLD,
                label="The customer",
                optional=True,
                element=CheckboxesElement(
                    action_id=TOLD,
                    options=[Option(value="told", text="The customer was told of this extension")],
                ),
            ),
        ]
    elif callback_id == ERASE_CASE_CALLBACK:
        title, submit = "Erase case", "Erase case"
        blocks = [
            intro,
            SectionBlock(
                text="Erasing deletes every artefact of the case and its customer's details in Logdive, "
                "ends the case and replaces Logdive's messages in this thread with a tombstone. "
                "It cannot be undone."
            ),
            _reason("Why is it erased (e.g. the customer's request and its ticket)?"),
        ]
    else:
        title, submit = "Erase artefact", "Erase"
        blocks = [
            intro,
            SectionBlock(
                text="Erasing deletes the artefact's content now. It cannot be undone; a record stays."
            ),
            _reason("Why is it erased (e.g. the customer's request)?"),
        ]
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Back",
        private_metadata=metadata,
        blocks=blocks,
    )
