"""The charts: matplotlib SVG, labelled axes, greys only (hatches and markers tell series apart), escaped
labels, and the same bytes for the same data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.report import charts

START = datetime(2026, 11, 1, tzinfo=UTC)


def _colours(svg: str) -> set[str]:
    return {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", svg)}


def test_timeline_is_labelled_grey_and_repeatable() -> None:
    points = [(START + timedelta(hours=h), h % 5 + 1) for h in range(0, 160, 7)]
    svg = charts.timeline(points, START, START + timedelta(days=7))
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert "Time (UTC)" in svg and "Entries per day" in svg
    assert 'id="chart-timeline"' not in svg and 'aria-labelledby="chart-timeline"' in svg
    assert "<image" not in svg and 'href="http' not in svg  # vector, and nothing to fetch
    assert all(c[1:3] == c[3:5] == c[5:7] for c in _colours(svg)), _colours(svg)
    assert svg == charts.timeline(points, START, START + timedelta(days=7))
    hourly = charts.timeline(points[:3], START, START + timedelta(days=2))
    assert "Entries per hour" in hourly


def test_bars_have_a_hatch_each_and_escape_their_labels() -> None:
    labels = ["Sign-ins <script>alert(1)</script>", "Membership & permissions", "Exports"]
    svg = charts.bars(labels, [30, 12, 0], xlabel="Entries", name="events")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp; permissions" in svg
    assert len(set(re.findall(r'<pattern id="(h[0-9a-f]+)"', svg))) >= 2  # different hatches
    assert all(c[1:3] == c[3:5] == c[5:7] for c in _colours(svg))
    assert ">30<" in svg or "30</text>" in svg


def test_two_charts_on_one_page_never_share_an_id() -> None:
    first = charts.bars(["a", "b"], [1, 2], xlabel="Entries", name="events")
    second = charts.bars(["a", "b"], [1, 2], xlabel="Entries", name="projects")
    ids = lambda svg: set(re.findall(r'id="([^"]+)"', svg)) - {"figure_1", "axes_1", "patch_1", "patch_2"}  # noqa: E731
    shared = {i for i in ids(first) & ids(second) if re.fullmatch(r"[ph][0-9a-f]{6,}", i)}
    assert shared == set()
