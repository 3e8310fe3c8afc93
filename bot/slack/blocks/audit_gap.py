"""The closing modal: what Audit Events lacked, asked of the team that did the log-dive.

The missing events are picked from the event catalog (the intake's searchable select): only those
names reach the public gap issue. Details are free text and go to the confidential SIRT issue only."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ExternalDataMultiSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack import view_state
from bot.slack.blocks.limits import OPTION_TEXT, clip
from bot.slack.intake_form import EVENT_TYPES
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
                "Logdive files (or adds to) a public Audit Events gap issue naming only the events you "
                "pick here and the logs you used."
            ),
            InputBlock(
                block_id=MISSING,
                label="Events Audit Events did not record",
                optional=True,
                hint="From the event catalog: GitLab's audit event types and Logdive's log categories.",
                element=ExternalDataMultiSelectElement(
                    action_id=EVENT_TYPES,  # the intake's options handler serves the catalog
                    placeholder="Search event types",
                    min_query_length=0,
                    max_selected_items=20,
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
                label="Details (for SIRT: only on the confidential SIRT issue, never public)",
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
    return {
        "missing": view_state.selected(values, MISSING, EVENT_TYPES),
        "used_logs": view_state.selected(values, USED_LOGS),
        "details": view_state.text(values, DETAILS),
        "nothing_missing": NOTHING_VALUE in view_state.selected(values, NOTHING),
    }
