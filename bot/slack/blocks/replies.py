"""Ephemeral answers to `/security help | status | list`."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.db.models import Case
from bot.slack.blocks.case import STATE_LABELS
from bot.slack.blocks.limits import MESSAGE_MAX_BLOCKS, SECTION_TEXT, clip
from bot.slack.blocks.text import link, when
from bot.slack.escape import escape_mrkdwn
from workflows.states import CaseState

HELP = (
    "*/security* opens the log-dive request form.\n"
    "*/security status LD-12* shows a case.\n"
    "*/security list* lists the open cases you requested.\n"
    "*/security leak* reports a data leak (data we should not have exported) to SIRT.\n"
    "*/security help* shows this."
)


def help_reply(unknown: str | None = None) -> tuple[str, list[dict]]:
    lead = f"`{escape_mrkdwn(unknown, 40)}` is not a /security subcommand.\n" if unknown else ""
    text = lead + HELP
    return text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]


def text_reply(text: str) -> tuple[str, list[dict]]:
    """`text` as literal mrkdwn, in the block and in the top-level `text` (Slack parses both)."""
    escaped = escape_mrkdwn(text, SECTION_TEXT)
    return escaped, [SectionBlock(text=MarkdownTextObject(text=escaped)).to_dict()]


def _line(case: Case, label: str) -> str:
    # A data-leak case's states are its own (workflows.leak): shown by name.
    if case.type == "data_leak":
        state = "data leak: " + case.state.removeprefix("leak_").replace("_", " ")
    else:
        state = STATE_LABELS[CaseState(case.state)]
    route = {"support": "Support", "security": "SIRT"}.get(case.route or "", "no route")
    return (
        f"*{label}* · {escape_mrkdwn(case.customer_namespace, 255)} · {state} · {route} · "
        f"next update {when(case.next_update_due)}"
    )


def status_reply(case: Case, label: str, gitlab_url: str | None) -> tuple[str, list[dict]]:
    lines = [_line(case, label)]
    if case.sirt_issue_url:
        lines.append(f"SIRT issue: {link(case.sirt_issue_url, f'#{case.sirt_issue_iid}', gitlab_url)}")
    text = "\n".join(lines)
    return clip(f"{label}: {case.state}", 300), [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]


def list_reply(cases: Sequence[tuple[Case, str]]) -> tuple[str, list[dict]]:
    if not cases:
        return text_reply("You have no open cases.")
    blocks: list[Block] = []
    shown = cases[: MESSAGE_MAX_BLOCKS - 1]
    chunk: list[str] = []
    for case, label in shown:
        line = _line(case, label)
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT:
            blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
    blocks = blocks[:MESSAGE_MAX_BLOCKS]
    return f"{len(cases)} open case(s)", [b.to_dict() for b in blocks]
