"""The Bolt app: one AsyncApp, its listeners registered by kind, the deps put into every context.

Listeners acknowledge first and hand the work on (process_before_response=True: Bolt answers Slack as
soon as the listener returns, and the listener returns right after `ack`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack import actions, commands, events, log_safety, malformed, options, views
from bot.slack.deps import SlackDeps


def create_app(
    settings: Settings, deps_for: Callable[[AsyncWebClient], SlackDeps], *, socket_mode: bool = False
) -> AsyncApp:
    """The app; `deps_for` makes the listeners' deps around the app's one Web API client."""
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    app = AsyncApp(
        # Bolt makes the client from the token. Handing it a client instead does not stop it reading
        # SLACK_BOT_TOKEN from the environment, and it warned at every start that the token was unused.
        token=bot_token,
        signing_secret=signing_secret,
        # Over HTTP every request must carry a valid signature no older than 5 minutes; Socket Mode
        # requests arrive on an authenticated websocket and are not signed.
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
    )
    app.client.base_url = settings.slack_api_url.rstrip("/") + "/"  # SLACK_API_URL: a stand-in, a proxy
    deps = deps_for(app.client)
    log_safety.install()

    @app.middleware
    async def provide_deps(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["deps"] = deps
        await next()

    malformed.register(app)  # before any listener: a request of the wrong shape never reaches one
    for kind in (commands, views, actions, options, events):
        kind.register(app)
    return app
