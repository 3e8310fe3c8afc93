"""The PDF (WeasyPrint): pages rendered to PNG by pdftoppm, text extracted, the facts and charts present."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from bot.report.render import Paper
from tests.report.documents import needs_pdftoppm, pages_as_png, pdf_pages, pdf_text
from tests.report.reports import security_report_files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory):
    return security_report_files(tmp_path_factory.mktemp("pdf"))


def test_the_text_holds_the_case_the_counts_and_the_chart_titles(files) -> None:
    html_path, pdf_path = files
    text = pdf_text(pdf_path.read_bytes())
    manifest = json.loads((html_path.parent / "extract" / "LD-42-extract.manifest.json").read_text())
    summary = manifest["summary"]
    assert "Case LD-42" in text and "acme-corp" in text
    assert (
        f"{summary['entries']} matching entries in {sum(i['lines'] for i in manifest['inputs']):,} log lines"
        in text
    )
    assert f"{summary['distinct_users']} distinct account(s) from {summary['unique_ips']} unique IP" in text
    assert "Chart 1. Matching entries over the window (UTC)" in text
    assert "Chart 2. Entries by event type" in text
    assert "Sign-ins and authentication" in text and "Membership and permission changes" in text
    for kind, count in manifest["redactions"].items():
        if count:
            assert re.search(rf"{kind.replace('_', ' ')} {count:,} ", text), kind
    assert manifest["inputs"][0]["sha256"] in text.replace(" ", "")
    assert "Page 1 of" in text  # the print footer
    # Axis labels are text inside the charts, not pictures of text.
    assert "Time (UTC)" in text and "Entries per day" in text


@needs_pdftoppm
def test_pages_render_to_png_with_ink_on_them(files, tmp_path) -> None:
    _, pdf_path = files
    pages = pages_as_png(pdf_path.read_bytes(), tmp_path, first=1, last=2)
    assert len(pages) == 2
    for page in pages:
        image = Image.open(page).convert("L")
        assert image.width < image.height  # portrait
        inked = sum(image.histogram()[:160]) / (image.width * image.height)
        assert inked > 0.01, page.name


def test_letter_and_a4_page_sizes(tmp_path) -> None:
    _, letter = security_report_files(tmp_path, Paper.LETTER)
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height)))
        for p in pdf_pages(letter.read_bytes())
    }
    assert sizes == {(612, 792)}  # 8.5 x 11 in
    (tmp_path / "a4").mkdir()
    a4 = security_report_files(tmp_path / "a4", Paper.A4)[1]
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pdf_pages(a4.read_bytes())
    }
    assert sizes == {(595, 842)}


def test_the_docs_hold_a_rendered_page() -> None:
    from tests.report.example import DEFAULT

    image = Image.open(DEFAULT)
    assert image.format == "PNG" and image.width < image.height and image.width >= 600
    inked = sum(image.convert("L").histogram()[:160]) / (image.width * image.height)
    assert inked > 0.01
