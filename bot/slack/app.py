"""The Bolt app: one AsyncApp, its listeners registered by kind, the deps put into every context.

Listeners acknowledge first and hand the work on (process_before_response=True: Bolt answers Slack as
soon as the listener returns, and the listener returns right after `ack`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import actions, commands, events, log_safety, options, views
from bot.slack.deps import SlackDeps


def make_client(token: str, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/")


def create_app(deps: SlackDeps, client: AsyncWebClient, *, socket_mode: bool = False) -> AsyncApp:
    settings = deps.settings
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        # Over HTTP every request must carry a valid signature no older than 5 minutes; Socket Mode
        # requests arrive on an authenticated websocket and are not signed.
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
    )
    log_safety.install()

    @app.middleware
    async def provide_deps(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["deps"] = deps
        await next()

    for kind in (commands, views, actions, options, events):
        kind.register(app)
    return app
