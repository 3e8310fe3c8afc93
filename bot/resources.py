"""Where config/ and templates/ are: inside an installed wheel (bot/_data) or the source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_data"
_SOURCE_TREE = Path(__file__).resolve().parent.parent


@cache
def data_dir(name: str) -> Path:
    """The directory `config` or `templates`, from the wheel when installed, else the checkout."""
    for base in (_PACKAGED, _SOURCE_TREE):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Logdive's {name}/ directory is missing from the installation")


def config_path(*parts: str) -> Path:
    return data_dir("config").joinpath(*parts)


def template_dir() -> Path:
    return data_dir("templates")
