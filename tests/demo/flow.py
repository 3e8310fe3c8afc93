"""Acting in the demo through its page's API, as the page does (every act becomes a signed Slack request)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


class DemoPage:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def state(self, role: str) -> dict[str, Any]:
        answer = self.http.get("/demo/api/state", params={"as": role})
        answer.raise_for_status()
        return answer.json()

    def act(self, role: str, **body: Any) -> dict[str, Any]:
        answer = self.http.post("/demo/api/act", json={"as": role, **body})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait(self, role: str, condition: Callable[[dict[str, Any]], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state(role)
            found = condition(state)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {timeout} s; last state: {state}")
            time.sleep(0.2)

    def button(self, role: str, action_id: str) -> dict[str, Any]:
        """Wait for the case message to offer `action_id`, then click it as `role`."""

        def offered(state: dict[str, Any]) -> tuple[str, str, str] | None:
            for message in state["channel"]["messages"]:
                for block in message.get("blocks") or []:
                    for element in block.get("elements") or []:
                        if element.get("action_id") == action_id:
                            return message["ts"], block["block_id"], element["value"]
            return None

        ts, block_id, value = self.wait(role, offered)
        return self.act(
            role, kind="click", action_id=action_id, block_id=block_id, value=value, message_ts=ts
        )


def intake_values(now: float, namespace: str = "acme-corp", owner: str = "alice-acme") -> dict[str, Any]:
    def text(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    def option(value: str) -> dict[str, Any]:
        return {"value": value, "text": {"type": "plain_text", "text": value}}

    values: dict[str, dict[str, Any]] = {
        "customer_namespace": text(namespace),
        "gitlab_instance_kind": {"type": "radio_buttons", "selected_option": option("gitlab_com")},
        "gitlab_instance": text(None),
        "requester_username": text(owner),
        "ticket_reference": text("ZD-100"),
        "window_start": {"type": "datetimepicker", "selected_date_time": int(now - 4 * 86400)},
        "window_end": {"type": "datetimepicker", "selected_date_time": int(now - 2 * 86400)},
        "projects": text(f"{namespace}/api" if namespace == "acme-corp" else None),
        "groups": text(None),
        "users": text(None),
        "event_types": {"type": "multi_external_select", "selected_options": [option("member_updated")]},
        "personal_data": {"type": "radio_buttons", "selected_option": option("no")},
        "log_sources": {"type": "checkboxes", "selected_options": [option("application")]},
        "paid_plan_confirmed": {"type": "checkboxes", "selected_options": [option("confirmed")]},
        "description": text("A deploy token nobody recognises pushed to the api project."),
    }
    return {block: {block: value} for block, value in values.items()}


def file_request(page: DemoPage, **customer: str) -> dict[str, Any]:
    """/security as the CSM, the form filled and submitted; returns the modal Logdive shows after."""
    page.act("csm", kind="command", text="")
    modal = page.wait("csm", lambda s: s["modal"])
    view_id = modal["view"]["id"]
    page.act("csm", kind="submit", view_id=view_id, values=intake_values(time.time(), **customer))

    def decided(state: dict[str, Any]) -> dict[str, Any] | None:
        modal = state["modal"]
        checking = modal is not None and "Checking" in str(modal["view"]["blocks"])
        return modal if modal and modal["view"]["callback_id"] != "intake" and not checking else None

    return page.wait("csm", decided)
