"""The HTML report in a real headless Chromium: no console errors, no request but the file itself, charts
drawn, and a print layout that fits A4 and Letter."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.report.browser import Chromium, needs_chromium
from tests.report.documents import pdf_pages, pdf_text
from tests.report.reports import security_report_files

pytestmark = needs_chromium

# Printable width of the page at Chromium's default margins (0.4 in each side), in CSS pixels (96/in).
PAPERS = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chromium, Path]]:
    html = security_report_files(tmp_path_factory.mktemp("report"))[0]
    browser = Chromium(tmp_path_factory.mktemp("profile"))
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable")
        browser.send(
            "Emulation.setDeviceMetricsOverride", width=1000, height=800, deviceScaleFactor=1, mobile=False
        )
        browser.send("Page.navigate", url=html.as_uri())
        browser.wait_for("Page.loadEventFired")
        browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        yield browser, html
    finally:
        browser.close()


def test_no_console_errors_and_no_request_but_the_file(opened) -> None:
    browser, html = opened
    errors = [
        e for e in browser.events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning"))
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))
    ]  # fmt: skip
    assert errors == []
    requested = [
        e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requested == [html.as_uri()]
    assert browser.evaluate("document.title").startswith("LD-42 · ")


def test_the_charts_are_drawn(opened) -> None:
    browser, _ = opened
    boxes = browser.evaluate(
        "[...document.querySelectorAll('figure svg')].map(s => {const r = s.getBoundingClientRect();"
        " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}})"
    )
    assert len(boxes) == 2  # the timeline and the event types
    for box in boxes:
        assert box["width"] > 300 and box["height"] > 80
        image = Image.open(io.BytesIO(browser.screenshot(box))).convert("L")
        histogram = image.histogram()
        inked = sum(histogram[:200]) / (image.width * image.height)
        assert 0.02 < inked < 0.9, inked  # bars, axes and labels drawn; not a blank (or black) box
        assert sum(1 for count in histogram if count) > 8  # several grey levels: fills, hatches, text


@pytest.mark.parametrize("paper", PAPERS)
def test_it_prints_on_a4_and_letter_without_overflow(opened, paper: str) -> None:
    browser, _ = opened
    width_in, height_in = PAPERS[paper]
    printable = round((width_in - 0.8) * 96)
    browser.send("Emulation.setEmulatedMedia", media="print")
    browser.send(
        "Emulation.setDeviceMetricsOverride", width=printable, height=900, deviceScaleFactor=1, mobile=False
    )
    try:
        overflow = browser.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        pdf = browser.print_pdf(width_in, height_in)
    finally:
        browser.send("Emulation.setEmulatedMedia", media="")
        browser.send(
            "Emulation.setDeviceMetricsOverride", width=1000, height=800, deviceScaleFactor=1, mobile=False
        )
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    size = (float(pages[0].mediabox.width) / 72, float(pages[0].mediabox.height) / 72)
    assert size == pytest.approx((width_in, height_in), abs=0.02)
    text = pdf_text(pdf)
    assert "LD-42" in text and "Appendix: entries" in text
