"""Who may use intake, `/security status` and `/security list`: the roles that handle cases.

Checked before anything is looked up or recorded on the person's behalf; a refusal is recorded as an
`unauthorised` audit event (no case) and one log line naming the action only.
"""

from __future__ import annotations

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import cases
from bot.db.engine import session_scope
from bot.logs import get_logger
from bot.slack.blocks.replies import text_reply
from bot.slack.deps import SlackDeps
from workflows.states import CASE_ROLES, Role

log = get_logger(__name__)

REFUSAL = "/security is for the CSM, Support, SIRT and Legal teams; you hold none of their roles."


async def case_roles(deps: SlackDeps, user_id: str, action: str) -> frozenset[Role] | None:
    """The person's roles when one of them handles cases; None (refusal recorded) otherwise."""
    roles = await deps.roles.roles_of(user_id)
    if roles & CASE_ROLES:
        return roles
    log.info("slack.refused_without_role", action=action)
    await deps.work.db(_record_refusal, deps, user_id, roles, action)
    return None


def _record_refusal(deps: SlackDeps, user_id: str, roles: frozenset[Role], action: str) -> None:
    with session_scope(deps.database_url) as session:
        cases.record_refusal(
            session,
            None,
            kind="unauthorised",
            actor=user_id,
            roles=roles,
            now=deps.clock(),
            message=REFUSAL,
            data={"action": action},
        )


async def answer_refusal(respond: AsyncRespond) -> None:
    """The short ephemeral refusal, through the command's response_url."""
    text, blocks = text_reply(REFUSAL)
    await respond(text=text, blocks=blocks, response_type="ephemeral")
