"""Clicks on buttons: the case message, its thread replies, and the intake decision modal."""

import re

from slack_bolt.async_app import AsyncApp

from bot.slack.actions.approve_exception import handle_approve_exception
from bot.slack.actions.cancel import handle_cancel
from bot.slack.actions.claim import handle_claim
from bot.slack.actions.close import CLOSE_ACTION, handle_close
from bot.slack.actions.custody import handle_card_click
from bot.slack.actions.deny_exception import handle_deny_exception
from bot.slack.actions.erase_case import handle_erase_case
from bot.slack.actions.leak import handle_leak_action
from bot.slack.actions.log_update import handle_log_update
from bot.slack.actions.nda import handle_set_nda
from bot.slack.actions.request_exception import handle_request_exception
from bot.slack.actions.run_logdive import handle_run_logdive
from bot.slack.actions.transition import handle_transition
from bot.slack.blocks import artefact_card, case, leak


def register(app: AsyncApp) -> None:
    app.action(case.CLAIM)(handle_claim)
    app.action(CLOSE_ACTION)(handle_close)  # before the transitions: closing asks what Audit Events lacked
    app.action(re.compile("^" + re.escape(case.TRANSITION_PREFIX)))(handle_transition)
    app.action(case.CANCEL)(handle_cancel)
    app.action(case.REQUEST_EXCEPTION)(handle_request_exception)
    app.action(case.APPROVE_EXCEPTION)(handle_approve_exception)
    app.action(case.DENY_EXCEPTION)(handle_deny_exception)
    app.action(case.LOG_UPDATE)(handle_log_update)
    app.action(case.RUN_LOGDIVE)(handle_run_logdive)
    app.action(case.ERASE_CASE)(handle_erase_case)
    app.action(case.SET_NDA)(handle_set_nda)
    app.action(re.compile("^" + re.escape(artefact_card.PREFIX)))(handle_card_click)
    app.action(re.compile("^" + re.escape(leak.ACTION_PREFIX)))(handle_leak_action)
