"""SIRT's findings for the report: the notes on the SIRT issue it marked for the customer, neutralised.

A note is chosen when its first line starts with "Finding (report)" or "Finding [report]" (Markdown
emphasis, a heading or a quote marker before it allowed): a plain "Finding" note stays internal. The text
is untrusted and was never redacted, so before it reaches the report it goes through the case's own
redaction (secrets, e-mails, IP addresses) and more: links are removed, host names replaced, paths outside
the customer's namespace and mentions of anyone but the customer's own people become pseudonyms. The
template prints the result as escaped plain text; no Markdown or HTML is ever rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.report.model import Finding
from workflows.gitlab_paths import RESERVED_TOP_LEVEL
from workflows.pseudonyms import IdentifierKind, Pseudonymiser, is_pseudonym
from workflows.redaction import RedactionRules, Redactor

MARKER = re.compile(
    r"^[\s>#*_~`|\-]*(?:\*\*|__)?finding\s*[(\[]\s*report\s*[)\]](?:\*\*|__)?\s*[:.\-–—]?\s*(?:\*\*|__)?\s*",
    re.IGNORECASE,
)
MAX_FINDING_CHARS = 4000
_LINK = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://\S+|\bwww\.\S+")
_HOST = re.compile(
    r"(?<![\w@.\-])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?::\d{1,5})?(?![\w\-])"
)
_TLDS = frozenset({"com", "net", "org", "io", "co", "dev", "app", "cloud", "internal", "local", "lan", "corp",
                   "example", "info", "biz", "us", "uk", "de", "eu", "ai"})  # fmt: skip
_PUBLIC_HOSTS = frozenset({"gitlab.com"})
_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z0-9_])")
_PATH = re.compile(r"(?<![\w@.\-/])/?[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)+/?")
_MARKUP = re.compile(r"\*\*|__|`|^\s{0,3}(?:#{1,6}|>)\s?", re.MULTILINE)


@dataclass(frozen=True)
class NoteText:
    """A note as GitLab returned it: only what choosing and neutralising need."""

    body: str
    created_at: datetime | None
    system: bool = False


def is_for_report(body: str) -> bool:
    first = body.lstrip().split("\n", 1)[0]
    return bool(MARKER.match(first))


def choose(notes: Iterable[NoteText], rules: RedactionRules, *, keep_ips: frozenset[str]) -> list[Finding]:
    """The notes SIRT marked for the report, oldest first, each neutralised."""
    chosen = [n for n in notes if not n.system and is_for_report(n.body)]
    chosen.sort(key=lambda n: (n.created_at is None, n.created_at))
    findings = []
    for note in chosen:
        text = neutralise(MARKER.sub("", note.body.lstrip(), count=1), rules, keep_ips=keep_ips)
        if text:
            findings.append(Finding(at=note.created_at, text=text))
    return findings


def neutralise(text: str, rules: RedactionRules, *, keep_ips: frozenset[str] = frozenset()) -> str:
    """Plain text safe for the customer: what the extract would have redacted, redacted the same way."""
    pseudonyms = Pseudonymiser(rules.case_key)
    text = text[:MAX_FINDING_CHARS].replace("\r\n", "\n")
    text = _MARKUP.sub("", text)
    text = _LINK.sub("[link removed]", text)
    text = Redactor(rules).scrub(text.encode("utf-8", "replace"), keep_ips).decode("utf-8", "replace")
    text = _HOST.sub(_host, text)
    own = frozenset(rules.own_usernames) if rules.keep_personal else frozenset()

    def mention(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.lower() in own or is_pseudonym(name):
            return f"@{name}"
        return pseudonyms.pseudonym(IdentifierKind.USERNAME, name)

    text = _MENTION.sub(mention, text)
    namespace = rules.customer_namespace.lower()

    def path(match: re.Match[str]) -> str:
        value = match.group(0)
        segments = [s for s in re.split(r"/|%2[Ff]", value) if s]
        while segments and segments[0].lower() in (RESERVED_TOP_LEVEL | {"groups"}):
            segments.pop(0)
        if segments and segments[0].lower() == namespace:
            return value
        if all(is_pseudonym(s) for s in segments) and segments:
            return value
        return pseudonyms.pseudonym(IdentifierKind.NAMESPACE, value.strip("/"))

    text = _PATH.sub(path, text.replace("%2F", "/").replace("%2f", "/"))
    return text.strip()


def _host(match: re.Match[str]) -> str:
    value = match.group(0)
    host = value.split(":", 1)[0].lower()
    if host in _PUBLIC_HOSTS:
        return value
    labels = host.split(".")
    if len(labels) >= 3 or labels[-1] in _TLDS:
        return "[host]"
    return value  # `README.md`, `config.yml`: a file name, not a host


def fetch_notes(client: Any, project: str | int, iid: int) -> list[NoteText]:
    """Every note of the SIRT issue (python-gitlab), oldest first."""
    issue = client.projects.get(project, lazy=True).issues.get(iid, lazy=True)
    notes = []
    for note in issue.notes.list(iterator=True, sort="asc", order_by="created_at"):
        created = getattr(note, "created_at", None)
        notes.append(
            NoteText(
                body=str(getattr(note, "body", "") or ""),
                created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
                system=bool(getattr(note, "system", False)),
            )
        )
    return notes
