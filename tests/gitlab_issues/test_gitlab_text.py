"""The GitLab Markdown neutraliser, read back the way GitLab reads Markdown (bot.sandbox.gitlab.markdown):
no quick action, mention, reference or raw HTML survives, and the text still reads as written."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.gitlab.templates import environment, render, render_title
from bot.sandbox.gitlab.markdown import QUICK_ACTIONS, extract_quick_actions, read
from workflows.gitlab_text import GitLabMarkdown, code_span, link, marker, mention, neutralise

INJECTIONS = [
    "/assign @alice-acme",
    "/close",
    "/confidential",
    "/cc @bob-acme @all",
    '/label ~leak ~"big one"',
    "/unlabel ~SIRT",
    "/title pwned",
    "/move gitlab-org/gitlab",
    "/react :thumbsup:",
    "  /close",
    "\t/reopen",
    "\u200b/close",
    "\u202e/close",
    "line one\r/close\rline three",
    "text\u2028/close",
    "@all please look",
    "ping @gitlab-com/gl-security",
    "mail bob@acme-corp.com",
    "see #1 and !2 and &3 and $4 and gitlab-org/gitlab#12",
    "https://gitlab.com/gitlab-org/gitlab/-/issues/1",
    "[vulnerability:5] [[_TOC_]] [x](javascript:alert(1)) ![img](http://x/y.png)",
    "<img src=x onerror=alert(1)> <script>alert(1)</script> <!-- hidden -->",
    "&#64;alice &#x2F;close &lt;b&gt;",
    "```\n/close\n```",
    "````\n/close\n````",
    "`\n/close\n`",
    "<details>\n/close\n</details>",
    ">>>\n/close\n>>>",
    "# heading\n- item\n1. first\n> quote\n| a | b |\n|---|---|\n---\n===",
    "\\@alice \\/close \\",
    "**bold** _it_ ~~strike~~ {+ added +} [- removed -] $`math`$",
    "``@alice``` `/close`",
]
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _visible(markdown: str) -> str:
    """What a reader sees: the text of every paragraph, code spans included, line breaks kept."""
    paragraphs = []
    for token in MD.parse(markdown):
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type in ("text", "code_inline", "text_special"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("\n")
            paragraphs.append("".join(parts))
        elif token.type in ("code_block", "fence", "html_block"):
            paragraphs.append(token.content)
    return "\n\n".join(paragraphs)


def _expected(text: str) -> str:
    """The input as neutralise promises to keep it: the same characters, whitespace tidied."""
    text = re.sub(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]", "\n", text)
    text = re.sub(
        "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]",
        "",
        text,
    )
    lines = [re.sub(r"\s+", " ", line.strip()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _assert_inert(markdown: str) -> None:
    remaining, actions = extract_quick_actions(markdown)
    assert actions == [], actions
    assert remaining == markdown.rstrip()
    seen = read(markdown)
    assert seen.mentions == ()
    assert seen.references == ()
    assert seen.html == ()
    assert not any(line.lstrip().startswith("/") for line in markdown.splitlines())


@pytest.mark.parametrize("text", INJECTIONS)
def test_injections_do_nothing_and_still_read_as_written(text: str) -> None:
    out = neutralise(text)
    _assert_inert(out)
    assert _visible(out) == _expected(text)


def test_the_stand_in_would_have_acted_on_the_raw_text() -> None:
    # The reader is not blind: the same strings unneutralised do what the neutraliser prevents.
    raw = "\n".join(INJECTIONS)
    _remaining, actions = extract_quick_actions(raw)
    assert {a.name for a in actions} >= {"assign", "close", "confidential", "cc", "label", "title", "move"}
    seen = read(raw)
    assert {"alice", "all", "gitlab-com/gl-security"} <= set(seen.mentions)
    assert any("#1" in r for r in seen.references)
    assert seen.html


def test_plain_prose_is_left_readable() -> None:
    text = "Someone created a token for acme-corp/api at 09:00 UTC; we'd like logs (50% urgent)."
    assert (
        neutralise(text)
        == "Someone created a token for acme-corp/api at 09:00 UTC; we'd like logs (50\\% urgent)."
    )


def test_a_mention_is_shown_as_code_and_a_leading_slash_is_escaped() -> None:
    assert neutralise("/cc @bob") == "\\/cc `@bob`"
    assert neutralise("1. do\n- this") == "1\\. do\n\\- this"


def test_code_spans_hold_any_backticks() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert _visible(code_span("``@x``")) == "``@x``"


def test_prebuilt_markdown_passes_and_nothing_else_does() -> None:
    assert neutralise(GitLabMarkdown("<!-- logdive-case:1 -->")) == "<!-- logdive-case:1 -->"
    assert marker("case", 42) == "<!-- logdive-case:42 -->"
    with pytest.raises(ValueError, match="marker"):
        marker("case", "42 --> <b>")
    assert mention("@gitlab-com/gl-security/sirt") == "@gitlab-com/gl-security/sirt"
    with pytest.raises(ValueError, match="not a GitLab handle"):
        mention("@sirt\n/close")
    assert (
        link("thread", "https://acme.slack.com/archives/C1/p1")
        == "[thread](https://acme.slack.com/archives/C1/p1)"
    )
    assert link("thread", "javascript:alert(1)") == "thread"
    assert link("thread", "https://x.test/a)(b") == "thread"


TOKENS = st.sampled_from(
    [
        *"/@#!&~%$^[]<>|`*_\\-+=.:()'\"{} \n\t\r",
        "\u200b",
        "\u2028",
        "\u00a0",
        "1.",
        "```",
        ">>>",
        "<!--",
        "-->",
        "http://",
        "www.",
        "iteration:",
        *sorted(QUICK_ACTIONS)[:20],
        "close",
        "assign",
        "all",
        "alice",
        "12",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_any_text_is_inert_and_reads_back(text: str) -> None:
    out = neutralise(text)
    _assert_inert(out)
    assert _visible(out) == _expected(text)


def test_templates_neutralise_every_value_even_marked_safe() -> None:
    env = environment()
    template = env.from_string("{{ a }}|{{ a | safe }}|{{ b }}|{{ none }}")
    assert template.render(a="/close @x", b=marker("case", 1), none=None) == (
        "\\/close `@x`|\\/close `@x`|<!-- logdive-case:1 -->|—"
    )


def test_titles_are_clipped_before_they_are_neutralised() -> None:
    title = render_title("sirt_issue_title", label="LD-1", namespace="@" * 400)
    assert len(title) <= 255
    assert read(title).mentions == ()
    assert title.count("`") % 2 == 0


def test_an_event_note_keeps_the_customers_words_inert() -> None:
    body = render(
        "event_note",
        marker=marker("event", 9),
        kind="customer_update",
        label="LD-9",
        actor="Slack user U1",
        role="csm",
        from_state=None,
        to_state=None,
        summary="\n".join(INJECTIONS),
        reason=None,
        rules=[],
        requested_by=None,
        missing=[],
        next_update_due=None,
        gap_link=None,
    )
    assert body.startswith("<!-- logdive-event:9 -->\n")
    _remaining, actions = extract_quick_actions(body)
    assert actions == []
    assert read(body).mentions == ()
    assert read(body).html == ("<!-- logdive-event:9 -->\n",)
