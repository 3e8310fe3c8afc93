"""The demo page in a real headless Chromium: a case from /security to a closed SIRT issue, as four people
and the customer: filed, claimed, investigated, its log-dive run on the sample logs, its artefact through
both keys and handed over by the one-time link, then closed.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); skipped with that message where
they are absent.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Chromium and its driver: apt-get install chromium chromium-driver (.ci/run does)",
)

if CHROMIUM and DRIVER:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30  # seconds; generous, so a slow machine never fails it
LOG_DIVE_WAIT = 180  # the extraction runs in the background; a loaded machine may take a while


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    return tmp_path / "downloads"


@pytest.fixture
def browser(downloads: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1200"):
        options.add_argument(flag)
    downloads.mkdir()
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    def __init__(self, driver: WebDriver, url: str) -> None:
        self.driver = driver
        driver.get(f"{url}/demo")

    def until(self, condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
        return WebDriverWait(
            self.driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        ).until(lambda _d: condition(), message=what)

    def css(self, selector: str) -> Any:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def act_as(self, role: str) -> None:
        Select(self.css("#role")).select_by_value(role)
        self.until(
            lambda: role.upper() in self.css("#who").text.upper() or self.css("#who").text, "role shown"
        )

    def modal(self, callback_id: str) -> Any:
        return self.until(
            lambda: self.css(f'.modal[data-callback-id="{callback_id}"]'), f"modal {callback_id}"
        )

    def field(self, block_id: str) -> Any:
        return self.css(f'#modal-layer .input[data-block-id="{block_id}"] .control')

    def click_case_button(self, action_id: str, timeout: float = WAIT) -> None:
        """Click the case message's button once the page shows it (after the last change landed)."""
        self._click(f'#messages > .message > .block button[data-action-id="{action_id}"]', timeout)

    def click_card_button(self, action_id: str) -> None:
        """Click a button of the artefact card in the case thread once the page shows it."""
        self._click(f'#messages .thread .message button[data-action-id="{action_id}"]', WAIT)

    def _click(self, selector: str, timeout: float) -> None:
        def clicked() -> bool:
            self.css(selector).click()
            return True

        self.until(clicked, f"button {selector}", timeout)

    def case_text(self) -> str:
        return self.css("#messages > .message").text

    def card_text(self) -> str:
        return self.css("#messages .thread .message:has(button[data-action-id='artefact.erase'])").text

    def issue(self) -> Any:
        return self.css('#issues .issue[data-project="gl-security/sirt/logdive"]')


def test_file_claim_update_close_in_the_browser(demo_url: str, browser: WebDriver, downloads: Path) -> None:
    page = Page(browser, demo_url)
    assert "Sandbox." in page.css("#sandbox-banner").text

    # The CSM files the request through /security and the modal Slack would show.
    page.act_as("csm")
    page.css("#command").clear()
    page.css("#command").send_keys("/security")
    page.css("#send").click()
    page.modal("intake")
    page.field("customer_namespace").send_keys("acme-corp")
    page.field("requester_username").send_keys("alice-acme")
    page.field("ticket_reference").send_keys("ZD-4711")
    for block, days_ago in (("window_start", 4), ("window_end", 2)):
        browser.execute_script(
            "arguments[0].value = toLocalInput(Date.now() / 1000 - arguments[1] * 86400)",
            page.field(block),
            days_ago,
        )
    page.field("projects").send_keys("acme-corp/api")
    page.css('[data-search="event_types"]').send_keys("member_updated")
    page.until(lambda: page.css('.suggestions div[data-value="member_updated"]'), "suggestion").click()
    for block, value in (("log_sources", "application"), ("paid_plan_confirmed", "confirmed")):
        box = page.css(f'.input[data-block-id="{block}"] input[value="{value}"]')
        if not box.is_selected():
            box.click()
    page.field("description").send_keys("A deploy token nobody recognises <script>alert(1)</script>")
    page.css("#modal-submit").click()
    page.until(lambda: "Recorded as LD-1" in page.css("#modal-layer .modal").text, "the decision")
    decision = page.css("#modal-layer .modal").text
    assert "Eligible" in decision and "\u2705 Plan" in decision  # Slack's emoji, drawn
    page.css("#modal-close").click()

    page.until(lambda: "LD-1 · acme-corp" in page.case_text(), "the case message")
    assert "<script>alert(1)</script>" in page.case_text()  # shown as text, never run
    page.until(lambda: "Confidential" in page.issue().text, "the confidential SIRT issue")
    assert "LD-1 · Log-dive for acme-corp" in page.issue().text

    # Support claims it and logs a customer update.
    page.act_as("support")
    page.click_case_button("case.claim")
    page.until(lambda: "Triaged" in page.case_text(), "claimed")
    page.click_case_button("case.log_update")
    page.modal("customer_update")
    page.field("reason").send_keys("Told Alice we are looking at the api project's logs.")
    page.css("#modal-submit").click()
    page.until(lambda: "Told Alice" in page.issue().text, "the update noted on the SIRT issue")

    # Investigating, Support runs the log-dive on the sample logs: the artefact's card comes in the thread.
    page.click_case_button("case.transition.investigating")
    page.until(lambda: "Investigating" in page.case_text(), "investigating")
    page.click_case_button("case.run_logdive")
    page.until(lambda: "Log-dive for LD-1 done" in page.css("#messages").text, "the log-dive", LOG_DIVE_WAIT)
    kept = re.search(r"Log-dive for LD-1 done: .*?, (\d+) entries kept", page.css("#messages").text)
    assert kept and int(kept[1]) > 0, "the sample logs hold acme-corp's member_updated events"
    page.until(lambda: "LD-1-summary.json" in page.card_text(), "the artefact card")
    assert "Not submitted for review" in page.card_text()
    page.click_card_button("artefact.submit")
    page.until(lambda: "Artefacts in review" in page.case_text(), "in review")

    # SIRT works in GitLab too: a finding noted on the issue comes back through GitLab's webhook.
    page.act_as("sirt")
    page.until(lambda: page.issue().find_element(By.CSS_SELECTOR, ".gitlab-note"), "the note box").send_keys(
        "Finding: the deploy token was created from 203.0.113.9"
    )
    page.issue().find_element(By.CSS_SELECTOR, ".note-form button").click()
    page.until(lambda: "noted a finding" in page.case_text(), "the finding told in the thread")
    assert "203.0.113.9" not in page.case_text() and "203.0.113.9" in page.issue().text

    # The two keys: Security (SIRT), then Legal, two people, neither the submitter.
    page.click_card_button("artefact.approve.sirt")
    page.until(lambda: "Approve as Security" not in page.card_text(), "the Security key")
    page.act_as("legal")
    page.click_card_button("artefact.approve.legal")
    page.until(lambda: "Artefacts approved" in page.case_text(), "approved by both keys")
    assert "Approved: both keys on this version" in page.card_text()

    # Support hands it over: the one-time link, shown to Support alone, used once by the customer.
    page.act_as("support")
    page.click_card_button("artefact.share")
    link = page.until(
        lambda: page.css('#ephemeral a[href*="/artefacts/download/"]').get_attribute("href"), "the link"
    )
    browser.get(link)  # the customer opens it
    page.until(lambda: "LD-1: approved artefacts" in page.css("h1").text, "the download page")
    page.css('form button[type="submit"]').click()
    zips = page.until(lambda: [p for p in downloads.iterdir() if p.suffix == ".zip"], "the download")
    with zipfile.ZipFile(zips[0]) as bundle:
        assert "SHA256SUMS" in bundle.namelist() and "LD-1-summary.json" in bundle.read("SHA256SUMS").decode()
        [summary] = [name for name in bundle.namelist() if name.endswith("LD-1-summary.json")]
        assert json.loads(bundle.read(summary))["summary"]["entries"] > 0  # the sample logs' acme-corp events
        for name in bundle.namelist():  # the sample logs' other tenant never reaches the customer
            assert b"umbrella" not in bundle.read(name) and b"wesker" not in bundle.read(name)
    page = Page(browser, demo_url)  # back to the sandbox
    page.act_as("support")
    page.until(lambda: "Shared with customer" in page.case_text(), "shared")

    # Support closes it with the Audit Events question.
    page.click_case_button("case.transition.closed")
    page.modal("audit_gap")
    page.css('.input[data-block-id="gap_nothing_missing"] input[value="nothing_missing"]').click()
    page.css("#modal-submit").click()

    page.until(lambda: "Closed" in page.case_text(), "the case closed in Slack")
    page.until(
        lambda: "Closed" in page.issue().find_element(By.CSS_SELECTOR, ".badge.closed").text, "issue closed"
    )
    labels = page.issue().text
    assert "closed" in labels  # status::closed, drawn as a scoped label
