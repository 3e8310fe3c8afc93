"""Small modals that ask for one reason: an exception request, a denial, a customer update."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.slack.blocks.limits import clip

REASON_BLOCK = "reason"
EXCEPTION_REQUEST_CALLBACK = "exception_request"
EXCEPTION_DENIAL_CALLBACK = "exception_denial"
CUSTOMER_UPDATE_CALLBACK = "customer_update"

_FORMS = {
    EXCEPTION_REQUEST_CALLBACK: ("Legal exception", "Why is an exception justified?", "Request"),
    EXCEPTION_DENIAL_CALLBACK: ("Deny exception", "Why is the exception denied?", "Deny"),
    CUSTOMER_UPDATE_CALLBACK: ("Customer update", "What did you tell the customer?", "Log update"),
}


def reason_modal(callback_id: str, *, case_label: str, metadata: str) -> View:
    title, label, submit = _FORMS[callback_id]
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Back",
        private_metadata=metadata,
        blocks=[
            SectionBlock(text=clip(f"Case {case_label}", 3000)),
            InputBlock(
                block_id=REASON_BLOCK,
                label=label,
                element=PlainTextInputElement(
                    action_id=REASON_BLOCK, multiline=True, min_length=1, max_length=2000
                ),
            ),
        ],
    )
