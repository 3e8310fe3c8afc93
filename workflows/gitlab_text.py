"""The one place user text is made safe for GitLab Markdown: issue titles, bodies and notes.

GitLab acts on text it is given, not only shows it:
- a line that starts with `/close`, `/assign @x`, `/confidential`, … is a quick action, executed for
  whoever wrote the text (GitLab's Gitlab::QuickActions::Extractor looks at every line start outside
  ``` fences);
- `@name` notifies that user or group (`@all` everyone), and `#12`, `!3`, `&4`, a pasted issue URL
  or `[vulnerability:5]` create a "mentioned in" system note on what they name; reference filters skip
  text inside code spans, code blocks and links (Banzai's reference filters ignore `code`/`pre`/`a`);
- raw HTML is passed through GitLab's sanitiser, and Markdown structure (lists, headings, tables,
  links, images) would let a customer's words restyle or fake parts of an issue.

`neutralise` turns any text into Markdown that shows the same characters and does none of that: a word
that could be a mention, a reference or a link becomes a code span; every other Markdown-significant
character is backslash-escaped, so no line can begin with `/`, `#`, `>`, a list marker or an HTML tag.
Everything Logdive writes to GitLab from people's input goes through it (the GitLab templates apply it
to every variable); only values built here as `GitLabMarkdown` (markers, links, the SIRT handle) pass
as they are.
"""

from __future__ import annotations

import re

__all__ = [
    "GitLabMarkdown",
    "code_span",
    "link",
    "marker",
    "mention",
    "neutralise",
]


class GitLabMarkdown(str):
    """Markdown built by Logdive itself and safe as it is. Never construct one from user text."""

    __slots__ = ()


# Line endings CommonMark, Ruby or a browser may each see (GitLab deletes lone \r before it looks).
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
# Other control characters, zero-width and bidirectional-override characters carry nothing a reader
# needs and can hide or reorder text (or sit before a `/` at a line start): dropped.
_CONTROL = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"(\s+)")

# Always backslash-escaped (CommonMark lets any ASCII punctuation be escaped): emphasis, code, links,
# images, HTML and entities, tables, strikethrough, GitLab's inline diff and math delimiters, and the
# reference sigils (escaped too where a code span was not needed).
_ALWAYS = frozenset("\\`*_[]<>|{}&~$^%#!")
# Significant only as the first character of a line: headings, lists, block quotes, setext
# underlines, thematic breaks, and `/` (a quick action).
_LINE_START = frozenset("#-+=>/")
_ORDERED_LIST = re.compile(r"(\d{1,9})([.)])")
# A word GitLab could read as a mention, a reference or a link: shown as code, where it reads none.
_REFERENCE_LIKE = re.compile(
    r"""@                      # mentions: @user, @group/sub, @all, name@example.com
      | ://                    # URLs, autolinked, and issue/MR URLs that are references
      | ^www\.
      | [#!&~%$^][\w"'{]        # #12 !3 &4 ~label %milestone $snippet and "quoted" forms
      | \*iteration:
      | [\[\]]                 # [vulnerability:5], wiki links, link syntax
    """,
    re.VERBOSE,
)
_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/?#=&%:+\-]*)?")
_HANDLE = re.compile(r"@[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")
_MARKER_PART = re.compile(r"[a-z][a-z0-9\-]*")
_MARKER_KEY = re.compile(r"[A-Za-z0-9_.:\-]+")


def neutralise(value: object) -> str:
    """`value` as GitLab Markdown that renders its characters literally and executes, pings and links
    nothing. Lines are kept; leading indentation is dropped (it would start a code block); runs of
    blank lines become one. Already-built `GitLabMarkdown` is returned unchanged."""
    if isinstance(value, GitLabMarkdown):
        return value
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", "" if value is None else str(value)))
    lines: list[str] = []
    for raw in text.split("\n"):
        line = _neutralise_line(raw.strip())
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _neutralise_line(line: str) -> str:
    out: list[str] = []
    first = True
    for part in _SPACES.split(line):
        if not part:
            continue
        if part.isspace():
            out.append(" ")  # any run of spaces, tabs or Unicode spaces is one space
            continue
        out.append(code_span(part) if _REFERENCE_LIKE.search(part) else _escape_word(part, first))
        first = False
    return "".join(out)


def _escape_word(word: str, line_start: bool) -> str:
    escaped = "".join("\\" + ch if ch in _ALWAYS else ch for ch in word)
    if not line_start:
        return escaped
    ordered = _ORDERED_LIST.match(escaped)
    if ordered:  # "1." or "1)" starting a line would begin an ordered list
        return f"{ordered.group(1)}\\{ordered.group(2)}{escaped[ordered.end() :]}"
    if escaped[0] in _LINE_START:
        return "\\" + escaped
    return escaped


def code_span(text: str) -> GitLabMarkdown:
    """`text` (no line breaks) as one inline code span: fenced by more backticks than any run inside,
    padded when it starts or ends with one, as CommonMark requires."""
    text = _LINE_BREAKS.sub(" ", _CONTROL.sub("", text))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip(" ") else ""
    return GitLabMarkdown(f"{fence}{pad}{text}{pad}{fence}")


def link(label: object, url: str | None) -> GitLabMarkdown:
    """A Markdown link to an http(s) URL of plain characters; anything else shows as text, unlinked."""
    shown = neutralise(label) or "link"
    if url and _URL.fullmatch(url):
        return GitLabMarkdown(f"[{shown}]({url})")
    return GitLabMarkdown(shown)


def mention(handle: str) -> GitLabMarkdown:
    """A deliberate mention of a configured GitLab user or group (e.g. the SIRT group handle)."""
    handle = handle.strip()
    if not _HANDLE.fullmatch(handle):
        raise ValueError(
            f"{handle!r} is not a GitLab handle; use @ and a user or group path, "
            "e.g. @gitlab-com/gl-security/sirt"
        )
    return GitLabMarkdown(handle)


def marker(kind: str, key: object) -> GitLabMarkdown:
    """An HTML comment Logdive finds its own issues and notes by: `<!-- logdive-case:42 -->`.

    GitLab keeps it in the stored text and shows nothing. User text can never produce one: `neutralise`
    escapes every `<`."""
    key = str(key)
    if not _MARKER_PART.fullmatch(kind) or not _MARKER_KEY.fullmatch(key):
        raise ValueError(f"marker {kind!r}:{key!r}: use lower-case words and a key of [A-Za-z0-9_.:-]")
    return GitLabMarkdown(f"<!-- logdive-{kind}:{key} -->")
