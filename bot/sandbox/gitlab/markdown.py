"""How GitLab reads the Markdown it is given: quick actions, mentions, references and raw HTML.

Quick actions follow Gitlab::QuickActions::Extractor: a command is a line that starts with `/name`
(optionally a space and arguments) outside ``` fences, matched without regard to case; executed lines
are removed from the stored text. The stand-in is stricter than GitLab in two ways, so that a test it
passes also passes on GitLab: it accepts spaces or tabs before the `/`, and it does not spare lines
inside multi-line inline code, HTML blocks or `>>>` quotes (GitLab does).

Mentions and references follow Banzai's reference filters, which run on the rendered HTML and skip
text inside code spans, code blocks, links and HTML: rendered here with markdown-it (CommonMark plus
GitLab's tables and strikethrough). Stricter again: a backslash before `@` or `#` does not protect the
name (GitLab since 15.x honours such escapes; earlier versions did not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

# The quick actions GitLab documents for issues and merge requests (doc/user/project/quick_actions.md).
QUICK_ACTIONS = frozenset(
    [
        "add_child",
        "add_contacts",
        "add_email",
        "approve",
        "assign",
        "assign_reviewer",
        "award",
        "blocked_by",
        "blocks",
        "board_move",
        "cc",
        "checkin_reminder",
        "clone",
        "close",
        "confidential",
        "convert_to_ticket",
        "copy_metadata",
        "create_merge_request",
        "done",
        "draft",
        "due",
        "duplicate",
        "epic",
        "estimate",
        "estimate_time",
        "exclude",
        "health_status",
        "invite_email",
        "iteration",
        "label",
        "labels",
        "link",
        "lock",
        "merge",
        "milestone",
        "move",
        "page",
        "promote",
        "promote_to_incident",
        "publish",
        "q",
        "react",
        "ready",
        "rebase",
        "reassign",
        "reassign_reviewer",
        "relabel",
        "relate",
        "remove_child",
        "remove_contacts",
        "remove_due_date",
        "remove_email",
        "remove_epic",
        "remove_estimate",
        "remove_health_status",
        "remove_iteration",
        "remove_label",
        "remove_milestone",
        "remove_parent",
        "remove_reviewer",
        "remove_time_estimate",
        "remove_time_spent",
        "remove_weight",
        "remove_zoom",
        "reopen",
        "request_review",
        "reviewer",
        "severity",
        "set_parent",
        "shrug",
        "spend",
        "spent",
        "status",
        "submit_review",
        "subscribe",
        "tableflip",
        "target_branch",
        "timeline",
        "title",
        "todo",
        "type",
        "unapprove",
        "unassign",
        "unassign_reviewer",
        "unlabel",
        "unlink",
        "unlock",
        "unrelate",
        "unsubscribe",
        "weight",
        "zoom",
    ]
)

_NAMES = "|".join(sorted(QUICK_ACTIONS, key=len, reverse=True))
_QUICK_ACTION_TEXT = re.compile(
    rf"""
      (?P<fence> ^```.*?\n```[ \t]*$ )                      # a fenced code block: left alone
    | ^[ \t]*/(?P<cmd>{_NAMES})(?:[ \t]+(?P<arg>[^\n]*))?[ \t]*(?:\n|$)
    """,
    re.VERBOSE | re.MULTILINE | re.DOTALL | re.IGNORECASE,
)
# Gitlab::PathRegex: a user or a group path, possibly nested (@group/subgroup); not after a word char.
_MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*)")
# Issue, merge request, epic and snippet references, short (#12) or cross-project (grp/prj#12), and URLs.
_REFERENCE = re.compile(
    r"(?<![\w&])(?:[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*)?[#!&$]\d+|https?://\S+|\[vulnerability:\d+\]"
)
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_MARKDOWN.disable("text_join")  # keeps escapes as their own tokens (stricter: they are still text)


@dataclass(frozen=True)
class QuickAction:
    name: str
    argument: str


def extract_quick_actions(text: str) -> tuple[str, list[QuickAction]]:
    """The commands in `text` and the text without them, as GitLab stores a description or a note."""
    found: list[QuickAction] = []
    text = text.replace("\r", "")

    def take(match: re.Match[str]) -> str:
        if match.group("fence") is not None:
            return match.group(0)
        found.append(QuickAction(match.group("cmd").lower(), (match.group("arg") or "").strip()))
        return ""

    remaining = _QUICK_ACTION_TEXT.sub(take, text)
    return remaining.rstrip(), found


@dataclass(frozen=True)
class Reading:
    """What GitLab's reference filters see in rendered Markdown."""

    mentions: tuple[str, ...]  # user and group paths, without '@', in order
    references: tuple[str, ...]  # issue, MR, epic, snippet references and URLs
    html: tuple[str, ...]  # raw HTML, inline or block, comments included


def read(text: str) -> Reading:
    mentions: list[str] = []
    references: list[str] = []
    html: list[str] = []

    def scan(plain: str) -> None:
        mentions.extend(m.rstrip(".-") for m in _MENTION.findall(plain))
        references.extend(_REFERENCE.findall(plain))

    for token in _MARKDOWN.parse(text):
        if token.type == "html_block":
            html.append(token.content)
        elif token.type == "inline":
            for run in _text_runs(token.children or [], html):
                scan(run)
    return Reading(tuple(mentions), tuple(references), tuple(html))


def _text_runs(children: list[Token], html: list[str]) -> list[str]:
    """Consecutive text outside code spans, links and images, joined as the rendered HTML joins it."""
    runs: list[str] = []
    current: list[str] = []
    depth = 0  # inside a link or an image

    def close() -> None:
        if current:
            runs.append("".join(current))
            current.clear()

    for child in children:
        if child.type in ("link_open", "image"):
            close()
            depth += child.type == "link_open"
        elif child.type == "link_close":
            depth -= 1
        elif child.type == "html_inline":
            html.append(child.content)
            close()
        elif child.type in ("text", "text_special") and depth == 0:
            current.append(child.content)
        else:  # code_inline, breaks, emphasis markers: a break in the text
            close()
    close()
    return runs
