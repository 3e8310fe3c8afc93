"""`/security status CASE` and `/security list`, answered through the command's response_url."""

from __future__ import annotations

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import cases
from bot.db.engine import session_scope
from bot.db.models import Case
from bot.slack.blocks.replies import list_reply, status_reply, text_reply
from bot.slack.deps import SlackDeps
from bot.slack.flows.access import answer_refusal, case_roles

LIST_LIMIT = 40


async def status(deps: SlackDeps, respond: AsyncRespond, user_id: str, label: str) -> None:
    if await case_roles(deps, user_id, "status") is None:
        await answer_refusal(respond)
        return
    try:
        case_id = cases.parse_case_label(label)
    except ValueError as exc:
        text, blocks = text_reply(str(exc))
        await respond(text=text, blocks=blocks, response_type="ephemeral")
        return

    def read() -> tuple[str, list[dict]]:
        with session_scope(deps.database_url) as session:
            case = session.get(Case, case_id)
            if case is None:
                return text_reply(f"No case {cases.case_label(case_id)} that you can see.")
            return status_reply(case, cases.case_label(case_id), deps.settings.gitlab_url)

    text, blocks = await deps.work.db(read)
    await respond(text=text, blocks=blocks, response_type="ephemeral")


async def open_cases(deps: SlackDeps, respond: AsyncRespond, user_id: str) -> None:
    if await case_roles(deps, user_id, "list") is None:
        await answer_refusal(respond)
        return

    def read() -> tuple[str, list[dict]]:
        with session_scope(deps.database_url) as session:
            found = cases.list_cases(session, open_only=True, created_by=user_id, limit=LIST_LIMIT)
            return list_reply([(c, cases.case_label(c.id or 0)) for c in found])

    text, blocks = await deps.work.db(read)
    await respond(text=text, blocks=blocks, response_type="ephemeral")
