"""Reading a rendered report back: the PDF's text (pypdf) and its pages as PNG (pdftoppm, poppler-utils)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

PDFTOPPM = shutil.which("pdftoppm")
needs_pdftoppm = pytest.mark.skipif(
    PDFTOPPM is None, reason="pdftoppm is absent: install poppler-utils (.ci/run does)"
)


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace runs folded to one space (PDF text breaks lines anywhere)."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def pdf_pages(pdf: bytes) -> list:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def pages_as_png(
    pdf: bytes, directory: Path, *, dpi: int = 50, first: int = 1, last: int | None = None
) -> list[Path]:
    assert PDFTOPPM is not None
    source = directory / "report.pdf"
    source.write_bytes(pdf)
    command = [PDFTOPPM, "-r", str(dpi), "-png", "-f", str(first)]
    if last is not None:
        command += ["-l", str(last)]
    subprocess.run([*command, str(source), str(directory / "page")], check=True, timeout=300)
    return sorted(directory.glob("page-*.png"))
