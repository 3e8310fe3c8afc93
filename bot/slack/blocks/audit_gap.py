"""The closing modal: what Audit Events lacked, asked of the team that did the log-dive."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.blocks.limits import OPTION_TEXT, clip
from workflows.audit_gap import LOG_SOURCES

AUDIT_GAP_CALLBACK = "audit_gap"
MISSING, USED_LOGS, DETAILS, NOTHING = "gap_missing", "gap_used_logs", "gap_details", "gap_nothing_missing"
NOTHING_VALUE = "nothing_missing"


def audit_gap_modal(*, case_label: str, metadata: str) -> View:
    return View(
        type="modal",
        callback_id=AUDIT_GAP_CALLBACK,
        title="Close case",
        submit="Close case",
        close="Back",
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=f"Closing {case_label}. What did Audit Events lack, that you had to find in raw logs? "
                "Logdive files (or adds to) an Audit Events gap issue, without the customer's name."
            ),
            InputBlock(
                block_id=MISSING,
                label="Events Audit Events did not record (one per line)",
                optional=True,
                element=PlainTextInputElement(
                    action_id=MISSING,
                    multiline=True,
                    max_length=3000,
                    placeholder="e.g. project export downloaded",
                ),
            ),
            InputBlock(
                block_id=USED_LOGS,
                label="Where you found them instead",
                optional=True,
                element=CheckboxesElement(
                    action_id=USED_LOGS,
                    options=[Option(value=k, text=clip(v, OPTION_TEXT)) for k, v in LOG_SOURCES.items()],
                ),
            ),
            InputBlock(
                block_id=DETAILS,
                label="Details for the Audit Events team (no customer names)",
                optional=True,
                element=PlainTextInputElement(action_id=DETAILS, multiline=True, max_length=3000),
            ),
            InputBlock(
                block_id=NOTHING,
                label="Nothing missing?",
                optional=True,
                element=CheckboxesElement(
                    action_id=NOTHING,
                    options=[
                        Option(value=NOTHING_VALUE, text="Audit Events had everything this log-dive needed")
                    ],
                ),
            ),
        ],
    )


def read_values(values: dict[str, Any]) -> dict[str, Any]:
    """The modal's answers as plain values."""

    def element(block: str) -> dict[str, Any]:
        return (values.get(block) or {}).get(block) or {}

    return {
        "missing": element(MISSING).get("value") or "",
        "used_logs": [o["value"] for o in element(USED_LOGS).get("selected_options") or []],
        "details": element(DETAILS).get("value") or "",
        "nothing_missing": any(
            o.get("value") == NOTHING_VALUE for o in element(NOTHING).get("selected_options") or []
        ),
    }
