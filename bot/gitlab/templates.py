"""The GitLab Markdown templates (templates/gitlab/): one Jinja2 environment that neutralises every value.

Jinja2's autoescape escapes for HTML, which is the wrong escape for GitLab Markdown (it stops neither
`/close` nor `@name`). So autoescape stays off and `finalize` runs `workflows.gitlab_text.neutralise`
on every `{{ … }}` a template prints: a template author cannot forget it, and `|safe` does not bypass
it. Only `GitLabMarkdown` built in Python (markers, links, the SIRT handle) prints as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.resources import template_dir
from workflows.gitlab_text import GitLabMarkdown, neutralise

TITLE_LIMIT = 255  # GitLab's issue title limit
TITLE_VALUE_LIMIT = 100  # per value, before neutralising (escaping at most doubles it)


def _finalize(value: Any) -> str:
    if value is None:
        return "—"
    return neutralise(value)


def when(moment: datetime | str | None) -> str:
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(template_dir() / "gitlab")),
        autoescape=False,  # noqa: S701 -- Markdown, not HTML: `finalize` neutralises every value instead
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["when"] = when
    return env


def render(name: str, **context: Any) -> str:
    """A body or note: templates/gitlab/<name>.md.j2 with `context`."""
    return environment().get_template(f"{name}.md.j2").render(**context).strip() + "\n"


def render_title(name: str, **context: Any) -> str:
    """A one-line title. Values are shortened *before* they are neutralised: cutting neutralised text
    could leave a code span open and expose what it protected."""
    clipped = {k: _clip(v) for k, v in context.items()}
    title = " ".join(environment().get_template(f"{name}.md.j2").render(**clipped).split())
    if len(title) > TITLE_LIMIT:
        raise ValueError(f"title of {len(title)} characters; GitLab allows {TITLE_LIMIT}")
    return title


def _clip(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, GitLabMarkdown) and len(value) > TITLE_VALUE_LIMIT:
        return value[: TITLE_VALUE_LIMIT - 1] + "…"
    if isinstance(value, list | tuple):
        return [_clip(v) for v in value]
    return value
