"""Modal submissions."""

from slack_bolt.async_app import AsyncApp

from bot.slack.blocks.audit_gap import AUDIT_GAP_CALLBACK
from bot.slack.blocks.custody_forms import CALLBACKS as CUSTODY_CALLBACKS
from bot.slack.blocks.custody_forms import ERASE_CASE_CALLBACK
from bot.slack.blocks.forms import (
    CUSTOMER_UPDATE_CALLBACK,
    EXCEPTION_DENIAL_CALLBACK,
    EXCEPTION_REQUEST_CALLBACK,
)
from bot.slack.blocks.intake import INTAKE_CALLBACK
from bot.slack.blocks.leak import REPORT_CALLBACK, STEP_CALLBACK
from bot.slack.views.audit_gap import handle_audit_gap_submission
from bot.slack.views.case_erasure import handle_case_erasure
from bot.slack.views.custody import handle_custody_submission
from bot.slack.views.intake import handle_intake_submission
from bot.slack.views.leak import handle_leak_report, handle_leak_step
from bot.slack.views.reason import handle_reason_submission


def register(app: AsyncApp) -> None:
    app.view(INTAKE_CALLBACK)(handle_intake_submission)
    app.view(AUDIT_GAP_CALLBACK)(handle_audit_gap_submission)
    app.view(REPORT_CALLBACK)(handle_leak_report)
    app.view(STEP_CALLBACK)(handle_leak_step)
    for callback_id in (EXCEPTION_REQUEST_CALLBACK, EXCEPTION_DENIAL_CALLBACK, CUSTOMER_UPDATE_CALLBACK):
        app.view(callback_id)(handle_reason_submission)
    for callback_id in CUSTODY_CALLBACKS:
        app.view(callback_id)(handle_custody_submission)
    app.view(ERASE_CASE_CALLBACK)(handle_case_erasure)
