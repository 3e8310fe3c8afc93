"""What GitLab's side puts in a case thread: a username shaped like a Slack id mentions nobody, and a
webhook `url` that spoofs a label or leaves GITLAB_URL is not a link (the bot served for real)."""

from __future__ import annotations

import json

from bot.sandbox.gitlab import REPORTER
from tests.gitlab_issues.conftest import SIRT_PROJECT, WEBHOOK_SECRET
from tests.gitlab_issues.test_live import Live
from tests.gitlab_issues.test_live import live as live  # the fixture, for pytest


def test_a_gitlab_user_named_like_a_slack_id_mentions_nobody(live: Live) -> None:
    case_id, issue = live.new_case()
    state = live.world.standin.state
    legal_lookalike = state.add_user("U0LEG1")
    state.add_member(state.namespace_by_full_path("gl-security"), legal_lookalike, REPORTER)  # type: ignore[arg-type]
    state.add_token("lookalike-token", legal_lookalike)
    project = live.world.standin.gitlab(private_token="lookalike-token").projects.get(SIRT_PROJECT)
    project.issues.get(issue.iid).notes.create({"body": "Finding: see the audit log"})
    live.settle()
    line = next(t for t in live.thread_lines(case_id) if "noted a finding" in t)
    assert "U0LEG1" in line and "<@U0LEG1>" not in line and "<@" not in line


def test_a_webhook_url_cannot_spoof_a_label_or_link_outside_gitlab(live: Live) -> None:
    case_id, issue = live.new_case()
    gitlab = live.world.standin.url.rstrip("/")
    for n, url in enumerate(
        [
            f"{gitlab}/{SIRT_PROJECT}/-/issues/{issue.iid}#note_1|Reset your SSO password here",
            f"{gitlab}/{SIRT_PROJECT}/-/issues/{issue.iid}>|Reset your SSO password here",
            "https://evil.example/phish",
            f"{gitlab}/{SIRT_PROJECT}/-/issues/{issue.iid}#note_2",  # the control: this one is a link
        ]
    ):
        payload = {
            "object_kind": "note",
            "user": {"id": 9000 + n, "username": "<!channel>"},
            "project": {"id": live.world.sirt.id, "path_with_namespace": SIRT_PROJECT},
            "object_attributes": {
                "id": 100 + n,
                "note": "Finding: planted",
                "noteable_type": "Issue",
                "action": "create",
                "url": url,
            },
            "issue": {"iid": issue.iid},
        }
        response = live.bot.http.post(
            f"{live.bot.url}/gitlab/webhook",
            json=payload,
            headers={
                "X-Gitlab-Token": WEBHOOK_SECRET,
                "X-Gitlab-Event": "Confidential Note Hook",
                "X-Gitlab-Event-UUID": f"spoof-{n}",
            },
        )
        assert response.status_code == 202
    live.settle()
    lines = [t for t in live.thread_lines(case_id) if "noted a finding" in t]
    assert len(lines) == 4
    assert all("<!channel>" not in t and "Reset your SSO" not in t and "evil.example" not in t for t in lines)
    assert sum("|on the SIRT issue>" in json.loads(t)[0]["text"]["text"] for t in lines) == 1
    good = f"<{gitlab}/{SIRT_PROJECT}/-/issues/{issue.iid}#note_2|on the SIRT issue>"
    assert any(good in t for t in lines)  # hooks are delivered concurrently: in any order
