"""Who clicked, for the flows that act for a person: the person Slack vouches for, and their roles.

When Slack cannot vouch for the id (bot.slack.identity), nothing is done: the refusal is recorded on the
case (by the id as it came, when it is one) and told to the clicker alone.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.db.engine import session_scope
from bot.slack.deps import SlackDeps
from bot.slack.flows.notify import tell
from bot.slack.identity import UnknownPerson
from workflows.review import Person, slack_id
from workflows.states import Role


async def vouched(
    deps: SlackDeps,
    client: AsyncWebClient,
    user_id: str,
    *,
    case_id: int | None,
    action: str,
    channel: str | None,
    thread_ts: str | None,
) -> tuple[Person, frozenset[Role]] | None:
    try:
        if deps.people is None:
            raise UnknownPerson("identity look-ups are not configured")
        person = await deps.people.person(user_id)
    except UnknownPerson as exc:
        if case_id is not None:
            await deps.work.db(_record, deps, case_id, user_id, action, str(exc))
        await tell(client, user_id, f"Nothing changed: {exc}", channel=channel, thread_ts=thread_ts)
        return None
    return person, await deps.roles.roles_of(person.slack_id)


def _record(deps: SlackDeps, case_id: int, user_id: str, action: str, why: str) -> None:
    try:
        actor = slack_id(user_id)
    except ValueError:
        actor = "unverified"
    with session_scope(deps.database_url) as session:
        cases.record_refusal(
            session, case_id, kind="unauthorised", actor=actor, roles=(), now=deps.clock(),
            message=f"{action}: {why}", data={"action": action},
        )  # fmt: skip
