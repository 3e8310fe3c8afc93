"""The intake modal's later faces: "checking…", then the decision rule by rule with remedies."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.blocks.limits import HEADER_TEXT, SECTION_TEXT, clip
from bot.slack.blocks.text import DECISION_TITLES, OUTCOME_ICONS, channel
from bot.slack.escape import escape_mrkdwn
from workflows.assessment import Assessment, Decision
from workflows.eligibility import TITLES as RULE_TITLES

RESULT_CALLBACK = "intake_result"
REQUEST_EXCEPTION_ACTION = "case.request_exception"


def checking_modal() -> View:
    return View(
        type="modal",
        callback_id=RESULT_CALLBACK,
        title="Security log-dive",
        close="Close",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=":hourglass_flowing_sand: *Checking…* Looking up the customer's namespace, plan and "
                    "scope in GitLab, then applying the policy rule by rule."
                )
            ),
        ],
    )


def failure_modal(message: str) -> View:
    return View(
        type="modal",
        callback_id=RESULT_CALLBACK,
        title="Security log-dive",
        close="Close",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=f":warning: {escape_mrkdwn(message, SECTION_TEXT - 20)}")
            )
        ],
    )


def assessment_blocks(assessment: Assessment) -> list[Block]:
    """The decision and each rule's verdict, with the remedy under every rule that did not pass."""
    blocks: list[Block] = [HeaderBlock(text=clip(DECISION_TITLES[assessment.decision.value], HEADER_TEXT))]
    if assessment.route is not None:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Route: *{'Support' if assessment.route.value == 'support' else 'SIRT'}*"
                    )
                ]
            )
        )
    for rule in assessment.rules:
        title = RULE_TITLES.get(rule.id, rule.id)
        text = f"{OUTCOME_ICONS.get(rule.outcome.value, '')} *{escape_mrkdwn(title, 100)}* — "
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=text + escape_mrkdwn(rule.reason, SECTION_TEXT - len(text)))
            )
        )
        if rule.remedy:
            blocks.append(
                ContextBlock(
                    elements=[
                        MarkdownTextObject(text="*Remedy:* " + escape_mrkdwn(rule.remedy, SECTION_TEXT - 20))
                    ]
                )
            )
    for note in assessment.notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=":memo: " + escape_mrkdwn(note, 2900))]))
    return blocks


def decision_modal(
    assessment: Assessment, *, case_label: str, case_id: int, version: int, case_channel: str | None
) -> View:
    """Eligible, exception-required and ineligible outcomes (re-scope goes back to the form instead)."""
    blocks = assessment_blocks(assessment)
    blocks.append(DividerBlock())
    where = channel(case_channel)
    if assessment.decision is Decision.ELIGIBLE:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Recorded as *{case_label}*. Its thread in {where} is the case's home from now on."
                )
            )
        )
    elif assessment.decision is Decision.EXCEPTION_REQUIRED:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Recorded as *{case_label}*, waiting on Legal. Ask for an exception here or in "
                    "the case's "
                    f"thread in {where}."
                )
            )
        )
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Request Legal exception",
                        action_id=REQUEST_EXCEPTION_ACTION,
                        value=f"{case_id}:{version}",
                        style="primary",
                    )
                ]
            )
        )
    else:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Recorded as *{case_label}* (not eligible). Nothing was created; the remedies "
                    "above say "
                    "what could change that."
                )
            )
        )
    return View(
        type="modal", callback_id=RESULT_CALLBACK, title="Security log-dive", close="Close", blocks=blocks
    )


def rescope_notice(assessment: Assessment, case_label: str) -> list[Block]:
    hours = assessment.extra_effort_hours
    accept = (
        f"or tick *Wider scope* if the customer accepts about {hours:g} hours of extra effort, "
        if hours is not None
        else ""
    )
    return [
        *assessment_blocks(assessment),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Recorded as *{case_label}*. Narrow the request below as the remedies say, {accept}"
                "then resubmit."
            )
        ),
        DividerBlock(),
    ]
