"""Request files read without hanging or crashing: size, nesting and YAML aliases bounded while parsing."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import request_file
from bot.cli.request_file import MAX_BYTES, MAX_DEPTH, MAX_VALUES, RequestFileError, read_request
from workflows.policy import EligibilityPolicy
from workflows.request import LogDiveRequest

REQUEST: dict[str, Any] = {
    "customer_namespace": "acme-corp",
    "requester_username": "alice-acme",
    "window": {"start": "2026-11-04T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
    "resources": {"projects": ["acme-corp/api"]},
}


def _nested(depth: int) -> Any:
    """`depth` levels of lists and mappings around one value."""
    value: Any = "x"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _block_yaml(depth: int) -> str:
    """`depth` levels of block lists, indented as a person would write them."""
    return "".join(" " * level + "-\n" for level in range(depth - 1)) + " " * (depth - 1) + "- x\n"


def _laughs(levels: int, width: int = 9) -> str:
    """The billion-laughs shape: each anchor a list of `width` aliases to the one before."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for n in range(1, levels + 1):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# -- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 200_000])
def test_json_nested_deeper_than_the_limit_is_refused_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(RequestFileError, match=f"nests deeper than {MAX_DEPTH} levels"):
        request_file.parse_json("[" * depth + "]" * depth)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,  # flow style
        _block_yaml(MAX_DEPTH + 1),
        _block_yaml(5_000),
        "a: &a [[[[[[[[[[1]]]]]]]]]]\nb: [[[[[[[[*a]]]]]]]]\n",  # deep only once the alias is expanded
    ],
)
def test_yaml_nested_deeper_than_the_limit_is_refused_not_a_recursion_error(text: str) -> None:
    with pytest.raises(RequestFileError, match=f"nests deeper than {MAX_DEPTH} levels at line"):
        request_file.parse_yaml(text)


def test_nesting_up_to_the_limit_is_read_in_both_formats() -> None:
    value = _nested(MAX_DEPTH)
    assert request_file.parse_json(json.dumps(value)) == value
    assert request_file.parse_yaml(yaml.safe_dump(value)) == value
    assert request_file.parse_yaml(_block_yaml(MAX_DEPTH)) is not None


def test_brackets_inside_json_strings_are_not_nesting() -> None:
    text = json.dumps({"description": "[" * 10_000 + '\\"{' * 100})
    assert request_file.parse_json(text)["description"].startswith("[[[")


def test_an_unterminated_string_of_escaped_quotes_is_read_in_one_pass() -> None:
    # A pattern that re-scanned the rest of the text from every quote would take hours here.
    with pytest.raises(RequestFileError, match="is not valid JSON"):
        request_file.parse_json('"' + '\\"' * 400_000)


# -- aliases ---------------------------------------------------------------------------------------


def test_billion_laughs_stops_at_the_value_limit() -> None:
    with pytest.raises(RequestFileError, match=f"more than {MAX_VALUES:,} values with its aliases expanded"):
        request_file.parse_yaml(_laughs(9))  # 9**10 values expanded; refused while composing


def test_an_expansion_just_over_the_limit_is_refused_though_it_would_fit_in_memory() -> None:
    with pytest.raises(RequestFileError, match="with its aliases expanded"):
        request_file.parse_yaml(_laughs(5, width=7))  # 7**6 = 117,649 values


def test_an_alias_inside_the_node_it_names_is_refused() -> None:
    with pytest.raises(RequestFileError, match=r"alias \(\*a\) inside the node it names"):
        request_file.parse_yaml("a: &a [1, [2, *a]]\n")


def test_a_few_aliases_and_merge_keys_are_fine() -> None:
    data = request_file.parse_yaml("w: &w {start: a, end: b}\nx: *w\ny: {<<: *w, end: c}\n")
    assert data == {
        "w": {"start": "a", "end": "b"},
        "x": {"start": "a", "end": "b"},
        "y": {"start": "a", "end": "c"},
    }


def test_yaml_timestamps_stay_text() -> None:
    assert request_file.parse_yaml("start: 2026-11-01T00:00:00Z\n") == {"start": "2026-11-01T00:00:00Z"}


# -- size ------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(RequestFileError, match=f"larger than {MAX_BYTES:,} bytes"):
        request_file.load_document(str(path))
    path.write_bytes(json.dumps(REQUEST).encode().ljust(MAX_BYTES))  # at the limit: read
    assert request_file.load_document(str(path)) == REQUEST


def test_stdin_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"#" * (MAX_BYTES * 3)))
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(RequestFileError, match="larger than"):
        request_file.load_document("-")
    assert stdin.buffer.tell() == MAX_BYTES + 1  # read no further than it had to


@pytest.mark.parametrize("text", ["1" * 5_000, '{"a": ' + "9" * 5_000 + "}"])
def test_a_number_too_long_to_convert_is_a_parse_error(text: str) -> None:
    with pytest.raises(RequestFileError, match="is not valid JSON: Exceeds the limit"):
        request_file.parse_json(text)
    with pytest.raises(RequestFileError, match="is not valid YAML: Exceeds the limit"):
        request_file.parse_yaml(text)


# -- whatever the input: a request, or exit 2 ------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=40,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Request-like documents, often wrapped deep, sometimes cut short or spliced with junk."""
    value: Any = draw(st.one_of(st.just(REQUEST), json_values))
    text = json.dumps(value) if draw(st.booleans()) else yaml.safe_dump(value, width=1_000_000)
    depth = draw(st.sampled_from([0, 0, 1, MAX_DEPTH - 1, MAX_DEPTH, 40, 3_000]))
    if draw(st.booleans()):  # flow style: JSON, and YAML too
        opens = [draw(st.sampled_from(["[", '{"resources": '])) for _ in range(depth)]
        text = "".join(opens) + text + "".join("]" if o == "[" else "}" for o in reversed(opens))
    else:  # block style: YAML
        text = "".join(" " * n + "resources:\n" for n in range(depth)) + " " * depth + text
    cut = draw(st.integers(0, len(text)))
    return draw(st.sampled_from([text, text[:cut], text[:cut] + draw(st.text(max_size=30)) + text[cut:]]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(documents(), st.text(max_size=200)), suffix=st.sampled_from([".json", ".yml"]))
def test_any_document_gives_a_request_or_exit_2_never_a_traceback(
    text: str, suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("req") / f"request{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        request = read_request(str(path), EligibilityPolicy())
    except typer.Exit as exit_:
        assert exit_.exit_code == 2
    else:
        assert isinstance(request, LogDiveRequest)
