"""`logdive demo`: the real bot behind a page; what the page does reaches it as signed Slack requests."""

from __future__ import annotations

import httpx

from tests.demo.flow import DemoPage, file_request


def texts(blocks: list[dict]) -> str:
    out = []
    for block in blocks or []:
        for part in [block.get("text")] + (block.get("fields") or []) + (block.get("elements") or []):
            if isinstance(part, dict) and "text" in part and isinstance(part["text"], str):
                out.append(part["text"])
    return "\n".join(out)


def test_the_page_says_it_is_a_sandbox_and_runs_no_inline_script(demo_url: str) -> None:
    page = httpx.get(f"{demo_url}/demo")
    assert page.status_code == 200
    assert "Sandbox." in page.text and "not Slack and not GitLab" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # the script is a file, so the policy can forbid inline ones
    assert httpx.get(f"{demo_url}/demo/demo.js").status_code == 200
    assert httpx.get(f"{demo_url}/healthz").json() == {"ok": True}  # the bot's own routes, same port


def test_slack_requests_still_need_the_signature(demo_url: str) -> None:
    """The demo signs what the page does; nothing else gets past the bot's verification."""
    unsigned = httpx.post(
        f"{demo_url}/slack/events",
        content=b"command=%2Fsecurity&user_id=U0DEMOCSM&trigger_id=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert unsigned.status_code == 401


def test_bad_page_requests_name_the_field(demo_url: str) -> None:
    page = DemoPage(demo_url)
    answer = page.http.post("/demo/api/act", json={"as": "ceo", "kind": "command", "text": ""})
    assert answer.status_code == 400 and answer.json()["error"].startswith("as must be one of csm")
    answer = page.http.post("/demo/api/act", json={"as": "csm", "kind": "submit", "view_id": "V999"})
    assert answer.status_code == 400 and "view_id" in answer.json()["error"]
    answer = page.http.post("/demo/api/act", json={"as": "csm", "kind": "launch"})
    assert answer.status_code == 400 and "kind must be one of" in answer.json()["error"]
    assert page.http.get("/demo/api/state", params={"as": "nobody"}).status_code == 400


def test_sample_customers_decide_as_policy_says(demo_url: str) -> None:
    """The lapsed and the trial customer are refused by the real rules, against the GitLab stand-in."""
    page = DemoPage(demo_url)
    for namespace, owner, refusal in (
        ("globex", "hank-globex", "subscription ended"),
        ("initech", "peter-initech", "trial"),
    ):
        modal = file_request(page, namespace=namespace, owner=owner)
        shown = texts(modal["view"]["blocks"])
        assert refusal in shown, shown
        page.act("csm", kind="close", view_id=modal["view"]["id"])


def test_a_case_filed_claimed_and_swept_until_its_reminder(demo_url: str) -> None:
    page = DemoPage(demo_url)
    decided = file_request(page)
    assert "Recorded as *LD-1*" in texts(decided["view"]["blocks"])
    page.act("csm", kind="close", view_id=decided["view"]["id"])
    # The confidential SIRT issue, filed by the outbox through python-gitlab against the stand-in.
    issue = page.wait("sirt", lambda s: next(iter(s["gitlab"]), None))
    assert issue["confidential"] and issue["title"] == "LD-1 · Log-dive for acme-corp"
    assert "logdive-case" not in issue["description_html"]  # markers are HTML comments, hidden as GitLab does

    refused = page.button("legal", "case.claim")  # Legal does not claim: refused, told privately
    assert refused["ok"]
    page.wait("legal", lambda s: any("Nothing changed" in e["text"] or e["blocks"] for e in s["ephemeral"]))

    page.button("support", "case.claim")
    page.wait("support", lambda s: "*Owner*\n<@U0DEMOSUP>" in texts(s["channel"]["messages"][0]["blocks"]))

    # Sweep the clock on (24 h a click here) until the update reminder is posted in the thread.
    def reminded(state: dict) -> bool:
        replies = state["channel"]["messages"][0]["replies"]
        return any("customer update" in r["text"] and "due" in r["text"] for r in replies)

    for _ in range(6):
        swept = page.act("support", kind="sweep")
        assert swept["result"]["now"]
        try:
            page.wait("support", reminded, timeout=6)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("no reminder after sweeping six days ahead")
    assert page.state("support")["swept_hours"] >= 24


def test_sirt_writes_a_finding_in_gitlab_and_the_thread_is_told(demo_url: str) -> None:
    """The GitLab side is live too: a note by the SIRT person's own GitLab account comes back to the bot
    through GitLab's webhook, and the thread gets one line and a link, never the note's words."""
    page = DemoPage(demo_url)
    decided = file_request(page)
    page.act("csm", kind="close", view_id=decided["view"]["id"])
    issue = page.wait("sirt", lambda s: next(iter(s["gitlab"]), None))
    refused = page.http.post(
        "/demo/api/act", json={"as": "csm", "kind": "gitlab_note", "iid": issue["iid"], "body": "x"}
    )
    assert refused.status_code == 400 and "sirt" in refused.json()["error"]

    page.act(
        "sirt", kind="gitlab_note", iid=issue["iid"], body="Finding: the token was created from 203.0.113.9"
    )

    def told(state: dict) -> bool:
        replies = state["channel"]["messages"][0]["replies"]
        return any("noted a finding" in texts(r["blocks"]) + r["text"] for r in replies)

    page.wait("support", told)
    assert "203.0.113.9" not in str(page.state("support")["channel"])
    [shown] = [n for n in page.state("sirt")["gitlab"][0]["notes"] if "203.0.113.9" in n["body_html"]]
    assert shown["author"] == "Riley Chen (@riley-sirt)"
