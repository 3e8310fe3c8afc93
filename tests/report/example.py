"""Regenerate docs/report-example.png: page one of the planted case's Security report (tests/ data only).

    .venv/bin/python -m tests.report.example [docs/report-example.png]

Builds the report exactly as `logdive report --extract` does, renders the PDF with WeasyPrint and the
first page to PNG with pdftoppm (poppler-utils).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.report.documents import pages_as_png
from tests.report.reports import security_report_files

DEFAULT = Path(__file__).resolve().parents[2] / "docs" / "report-example.png"
DPI = 80


def regenerate(target: Path = DEFAULT, dpi: int = DPI) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        _, pdf = security_report_files(directory)
        (directory / "pages").mkdir()
        first = pages_as_png(pdf.read_bytes(), directory / "pages", dpi=dpi, first=1, last=1)[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(first, target)
    return target


if __name__ == "__main__":
    print(regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
