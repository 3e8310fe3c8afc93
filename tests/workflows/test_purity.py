"""workflows/ is the pure domain: no I/O, no clock, no adapters. Checked by reading its source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SOURCES = sorted(WORKFLOWS.rglob("*.py"))

# Modules (and their submodules) whose import means I/O, an adapter or the ambient clock.
# urllib.parse is pure string handling, so only urllib's fetching half is listed.
FORBIDDEN_MODULES = {
    "os",
    "pathlib",
    "socket",
    "time",
    "subprocess",
    "shutil",
    "tempfile",
    "urllib.request",
    "http.client",
    "requests",
    "httpx",
    "gitlab",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "bot",
}
FORBIDDEN_PREFIXES = ("slack_",)
# Calls that read the clock or touch files, whatever they are reached through.
FORBIDDEN_CALLS = {"now", "utcnow", "today", "open", "urlopen", "read_text", "write_text"}


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _impure(source: Path) -> list[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    problems = []
    for line, module in _imported_modules(tree):
        parents = {".".join(module.split(".")[: i + 1]) for i in range(module.count(".") + 1)}
        if parents & FORBIDDEN_MODULES or module.startswith(FORBIDDEN_PREFIXES):
            problems.append(f"{source.name}:{line} imports {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in FORBIDDEN_CALLS:
                problems.append(f"{source.name}:{node.lineno} calls {name}()")
    return problems


def test_there_is_something_to_check() -> None:
    assert {"eligibility.py", "routing.py", "states.py", "catalog.py", "errors.py"} <= {
        p.name for p in SOURCES
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_workflows_module_is_pure(source: Path) -> None:
    assert _impure(source) == []


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("import os", "imports os"),
        ("from pathlib import Path", "imports pathlib"),
        ("import slack_sdk.web", "imports slack_sdk.web"),
        ("from sqlalchemy.orm import Session", "imports sqlalchemy.orm"),
        ("import gitlab", "imports gitlab"),
        ("from urllib.request import urlopen", "imports urllib.request"),
        ("from bot.settings import get_settings", "imports bot.settings"),
        ("from time import monotonic", "imports time"),
        ("from datetime import datetime\nx = datetime.now()", "calls now()"),
        ("import datetime\nx = datetime.datetime.utcnow()", "calls utcnow()"),
        ("from datetime import date\nx = date.today()", "calls today()"),
        ("x = open('f')", "calls open()"),
    ],
)
def test_the_scan_catches_impurity(tmp_path: Path, code: str, problem: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(code + "\n", encoding="utf-8")
    assert any(problem in p for p in _impure(sample))


def test_the_scan_allows_pure_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from datetime import UTC, datetime, time\nfrom urllib.parse import quote\nimport timeit_free\n",
        encoding="utf-8",
    )
    assert _impure(sample) == []
