"""GitLab's offset pagination (Gitlab::Pagination::OffsetPagination and OffsetHeaderBuilder).

`page` (default 1) and `per_page` (default 20, at most 100) select the slice; the answer carries
X-Page, X-Per-Page, X-Next-Page and X-Prev-Page (empty when there is none), X-Total, X-Total-Pages
(at least 1) and a Link header with rel="prev", "next", "first" and "last" URLs. Above 10,000 rows
GitLab stops counting: X-Total, X-Total-Pages and rel="last" are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from bot.sandbox.gitlab.router import RequestContext, Response

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_COUNT = 10_000  # Kaminari's MAX_COUNT_LIMIT in GitLab

T = TypeVar("T")


def paginate(ctx: RequestContext, items: Sequence[T], present: Callable[[T], Any]) -> Response:
    """One page of `items` (already in GitLab's order), presented, with GitLab's pagination headers."""
    page = max(ctx.int_arg("page", 1), 1)
    per_page = ctx.int_arg("per_page", DEFAULT_PER_PAGE)
    per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)

    total = len(items)
    total_pages = max(math.ceil(total / per_page), 1)
    start = (page - 1) * per_page
    next_page = page + 1 if page < total_pages else None
    prev_page = page - 1 if 1 < page <= total_pages else None
    counted = total <= MAX_COUNT

    links = []
    if prev_page:
        links.append(f'<{_page_url(ctx, prev_page, per_page)}>; rel="prev"')
    if next_page:
        links.append(f'<{_page_url(ctx, next_page, per_page)}>; rel="next"')
    links.append(f'<{_page_url(ctx, 1, per_page)}>; rel="first"')
    if counted:
        links.append(f'<{_page_url(ctx, total_pages, per_page)}>; rel="last"')

    headers = {
        "X-Per-Page": str(per_page),
        "X-Page": str(page),
        "X-Next-Page": str(next_page or ""),
        "X-Prev-Page": str(prev_page or ""),
        "Link": ", ".join(links),
    }
    if counted:
        headers |= {"X-Total": str(total), "X-Total-Pages": str(total_pages)}
    return Response(200, [present(item) for item in items[start : start + per_page]], headers)


def _page_url(ctx: RequestContext, page: int, per_page: int) -> str:
    # Like Rails' `params.merge(page:, per_page:).to_query`: the route's own parameters (such as id)
    # and the caller's arguments, sorted by key, on the URL the client used.
    pairs = [(k, v) for k, v in ctx.query if k not in {"page", "per_page", *ctx.params}]
    pairs += [*ctx.params.items(), ("page", str(page)), ("per_page", str(per_page))]
    return f"{ctx.origin}/api/v4{ctx.path}?{urlencode(sorted(pairs, key=lambda kv: kv[0]))}"
