"""Names and links from GitLab in Slack mrkdwn: a username never mentions, a link only into GITLAB_URL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db.models import CaseEvent
from bot.slack.blocks.gitlab_events import gitlab_event_line
from bot.slack.blocks.text import link, user

GITLAB = "https://gitlab.example.com"
ISSUE = f"{GITLAB}/gl-security/sirt/operations/-/issues/7"


def _event(actor: str, url: str | None, kind: str = "finding") -> CaseEvent:
    return CaseEvent(case_id=1, at=datetime.now(UTC), actor=actor, kind=kind, data={"url": url})


@pytest.mark.parametrize("name", ["U0LEG1", "W0LEG1", "<@U0LEG1>", "<!channel>", "<#C0CASES01>", "<!here|x>"])
def test_a_gitlab_username_never_becomes_a_mention(name: str) -> None:
    for kind in ("finding", "issue_closed_in_gitlab", "issue_reopened_in_gitlab"):
        line = gitlab_event_line(_event(f"gitlab:{name}", ISSUE, kind), "LD-1", GITLAB)
        assert line is not None
        assert "<@" not in line and "<!" not in line and "<#" not in line
    assert user(f"gitlab:{name}") in (name, name.replace("<", "&lt;").replace(">", "&gt;"))
    assert user("U0LEG1") == "<@U0LEG1>"  # a Slack id Logdive recorded itself (bare) still mentions


@pytest.mark.parametrize(
    "url",
    [
        f"{ISSUE}|Reset your password here",
        f"{ISSUE}>|Reset your password here",
        f"{ISSUE}#note_1 |x",
        f"{ISSUE}\n|x",
        "https://evil.example/phish",
        "https://gitlab.example.com.evil.example/x",
        "https://gitlab.example.com@evil.example/x",
        "http://gitlab.example.com/x",  # another scheme: not GITLAB_URL
        "javascript:alert(1)",
        f"//evil.example/{ISSUE}",
    ],
)
def test_links_that_spoof_a_label_or_leave_gitlab_are_not_links(url: str) -> None:
    line = gitlab_event_line(_event("gitlab:sam", url), "LD-1", GITLAB)
    assert line is not None and "<http" not in line and "|" not in line
    assert "on the SIRT issue" in line
    assert link(url, "the SIRT issue", GITLAB) == "the SIRT issue"


def test_links_into_gitlab_are_links_and_nothing_is_linked_without_gitlab_url() -> None:
    assert link(f"{ISSUE}#note_3", "on the SIRT issue", GITLAB) == f"<{ISSUE}#note_3|on the SIRT issue>"
    assert link(f"{ISSUE}?a=1&b=2", "x", GITLAB) == f"<{ISSUE}?a=1&amp;b=2|x>"
    assert link(ISSUE, "x", GITLAB + "/") == f"<{ISSUE}|x>"
    assert link(ISSUE, "x", f"{GITLAB}/gl-security") == f"<{ISSUE}|x>"  # GitLab under a path
    assert link(f"{GITLAB}/other", "x", f"{GITLAB}/gl-security") == "x"
    assert link(f"{GITLAB}/gl-security-evil/x", "x", f"{GITLAB}/gl-security") == "x"
    assert link(ISSUE, "x", None) == "x"
