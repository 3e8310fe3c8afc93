"""Options loaded as a person types in an external select."""

from slack_bolt.async_app import AsyncApp

from bot.slack import intake_form
from bot.slack.options.event_types import handle_event_type_options


def register(app: AsyncApp) -> None:
    app.options(intake_form.EVENT_TYPES)(handle_event_type_options)
