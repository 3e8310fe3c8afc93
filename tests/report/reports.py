"""Report files built from the planted extract (`logdive report --extract`'s path), for tests and docs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.catalog import load_catalog
from bot.report import model
from bot.report.extract_record import read_entries, read_extract
from bot.report.render import Paper, render_html, render_pdf
from tests.report import planted
from workflows.assessment import Route


def build(extract: planted.Extract, **options: object) -> model.Report:
    data = extract.manifest.read_bytes()
    entries = list(read_entries(extract.entries.read_bytes())) if extract.entries else []
    return model.build(
        read_extract(data), hashlib.sha256(data).hexdigest(), load_catalog(), entries=entries, **options
    )  # type: ignore[arg-type]


def security_report_files(directory: Path, paper: Paper = Paper.A4) -> tuple[Path, Path]:
    """LD-42's Security report as an HTML file and a PDF file in `directory`."""
    extract = planted.extract(directory / "extract", Route.SECURITY)
    html = render_html(build(extract))
    html_path, pdf_path = directory / "LD-42-report.html", directory / "LD-42-report.pdf"
    html_path.write_text(html, encoding="utf-8")
    pdf_path.write_bytes(render_pdf(html, paper))
    return html_path, pdf_path
