"""The `/security` intake modal: empty, or filled again with a request for editing and resubmitting."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DateTimePickerElement,
    ExternalDataMultiSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.slack import intake_form as f
from bot.slack.blocks.limits import MODAL_MAX_BLOCKS, OPTION_TEXT, OPTION_VALUE, clip
from bot.slack.escape import escape_mrkdwn
from workflows.catalog import Catalog
from workflows.request import GITLAB_COM, LogDiveRequest

INTAKE_CALLBACK = "intake"
MAX_EVENT_TYPES = 50  # far above the policy's maximum: the policy, not the widget, says what is too many

_YES, _NO = Option(value="yes", text="Yes"), Option(value="no", text="No")
_SOURCES = {
    "application": Option(value="application", text="Application logs"),
    "access": Option(value="access", text="Access (HTTP request) logs"),
}
_INSTANCES = {
    f.ON_GITLAB_COM: Option(value=f.ON_GITLAB_COM, text="GitLab.com"),
    f.SELF_MANAGED: Option(
        value=f.SELF_MANAGED,
        text="Self-managed (its own GitLab instance)",
        description="Give its URL below.",
    ),
}
_CONFIRMED = Option(
    value="confirmed",
    text="I confirm the customer was on a paid plan before the window",
    description="GitLab's API does not show when a subscription started.",
)


def scope_cost_option(hours: float) -> Option:
    """Ticked, the option's value is the figure it shows: consent to these hours, not to whatever the scope
    costs when it is resubmitted."""
    return Option(
        value=f.hours_value(hours),
        text=clip(f"The customer accepts the extra effort: about {hours:g} hours", OPTION_TEXT),
        description=clip("Instead of narrowing the scope; the decision records the hours.", OPTION_TEXT),
    )


# What a CSM must know before picking: an audit event name finds audit events only.
EVENT_TYPES_HINT = (
    "Log categories come first: pick one to get every matching audit event, web request and API request "
    '("Who accessed the resources in scope, from where" = every web, API and Git access). A single '
    "audit event name finds only that audit event, never a web or API request."
)


def event_type_option(name: str, catalog: Catalog) -> Option:
    category = catalog.categories.get(name)
    label = f"{category.title} (category)" if category else name
    return Option(value=clip(name, OPTION_VALUE), text=clip(label, OPTION_TEXT))


def intake_modal(
    *,
    metadata: str,
    timezone: str,
    catalog: Catalog,
    request: LogDiveRequest | None = None,
    notice: Sequence[Block] = (),
    submit: str = "Check request",
    extra_hours: float | None = None,
) -> View:
    """`notice` goes above the form (e.g. what to narrow); `request` fills the fields again;
    `extra_hours` (a scope wider than standard) offers to accept that extra effort instead of narrowing."""
    r = request
    self_managed = r is not None and r.gitlab_instance != GITLAB_COM
    lines = "\n".join

    def text_input(
        block_id: str,
        label: str,
        *,
        hint: str | None = None,
        value: str | None = None,
        multiline: bool = False,
        optional: bool = False,
        max_length: int | None = None,
        placeholder: str | None = None,
    ) -> InputBlock:
        return InputBlock(
            block_id=block_id,
            label=label,
            hint=hint,
            optional=optional,
            element=PlainTextInputElement(
                action_id=block_id,
                initial_value=value or None,
                multiline=multiline,
                max_length=max_length,
                placeholder=placeholder,
            ),
        )

    blocks: list[Block] = [
        *notice,
        text_input(
            f.NAMESPACE,
            "Customer top-level namespace",
            placeholder="acme-corp",
            value=r.customer_namespace if r else None,
            max_length=255,
        ),
        InputBlock(
            block_id=f.INSTANCE_KIND,
            label="Where the customer's GitLab runs",
            element=RadioButtonsElement(
                action_id=f.INSTANCE_KIND,
                options=list(_INSTANCES.values()),
                initial_option=_INSTANCES[f.SELF_MANAGED if self_managed else f.ON_GITLAB_COM],
            ),
        ),
        text_input(
            f.INSTANCE,
            "Self-managed instance URL",
            optional=True,
            placeholder="https://gitlab.example.com",
            hint="Only for a self-managed instance.",
            value=r.gitlab_instance if self_managed and r else None,
            max_length=300,
        ),
        text_input(
            f.CONTACT,
            "Customer contact (GitLab username)",
            placeholder="alice-acme",
            hint="The customer's own GitLab user who asked for the log-dive.",
            value=r.requester_username if r else None,
            max_length=255,
        ),
        text_input(
            f.TICKET,
            "External ticket reference",
            optional=True,
            placeholder="ZD-123456",
            value=(r.ticket_reference or None) if r else None,
            max_length=200,
        ),
        InputBlock(
            block_id=f.WINDOW_START,
            label="Window start",
            element=DateTimePickerElement(
                action_id=f.WINDOW_START,
                initial_date_time=int(r.window.start.timestamp()) if r else None,
            ),
        ),
        InputBlock(
            block_id=f.WINDOW_END,
            label="Window end",
            element=DateTimePickerElement(
                action_id=f.WINDOW_END,
                initial_date_time=int(r.window.end.timestamp()) if r else None,
            ),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Times are in your Slack timezone, *{escape_mrkdwn(timezone, 100)}*."
                )
            ]
        ),
        text_input(
            f.PROJECTS,
            "Projects in scope",
            optional=True,
            multiline=True,
            hint="Full paths, one a line, e.g. acme-corp/api.",
            value=lines(r.resources.projects) if r else None,
        ),
        text_input(
            f.GROUPS,
            "Groups in scope",
            optional=True,
            multiline=True,
            hint="Full paths, one a line, e.g. acme-corp/platform.",
            value=lines(r.resources.groups) if r else None,
        ),
        text_input(
            f.USERS,
            "Users in scope",
            optional=True,
            multiline=True,
            hint="GitLab usernames, one a line.",
            value=lines(r.resources.users) if r else None,
        ),
        InputBlock(
            block_id=f.EVENT_TYPES,
            label="Event types",
            hint=EVENT_TYPES_HINT,
            element=ExternalDataMultiSelectElement(
                action_id=f.EVENT_TYPES,
                placeholder="Search event types",
                min_query_length=0,
                max_selected_items=MAX_EVENT_TYPES,
                initial_options=[event_type_option(n, catalog) for n in r.event_types]
                if r and r.event_types
                else None,
            ),
        ),
        *(
            [
                InputBlock(
                    block_id=f.SCOPE_COST,
                    label="Wider scope",
                    optional=True,
                    hint="Or narrow the projects, groups, users and event types above.",
                    element=CheckboxesElement(
                        action_id=f.SCOPE_COST,
                        options=[scope_cost_option(extra_hours)],
                        initial_options=[scope_cost_option(extra_hours)]
                        if r and r.scope_cost_accepted_hours == extra_hours
                        else None,
                    ),
                )
            ]
            if extra_hours is not None
            else []
        ),
        InputBlock(
            block_id=f.PERSONAL_DATA,
            label="Is personal data needed?",
            element=RadioButtonsElement(
                action_id=f.PERSONAL_DATA,
                options=[_NO, _YES],
                initial_option=(_YES if r.personal_data else _NO) if r else _NO,
            ),
        ),
        InputBlock(
            block_id=f.LOG_SOURCES,
            label="Log sources",
            element=CheckboxesElement(
                action_id=f.LOG_SOURCES,
                options=list(_SOURCES.values()),
                initial_options=[_SOURCES[s.value] for s in r.log_sources]
                if r
                else [_SOURCES["application"]],
            ),
        ),
        InputBlock(
            block_id=f.PAID_PLAN,
            label="Paid plan",
            optional=True,
            element=CheckboxesElement(
                action_id=f.PAID_PLAN,
                options=[_CONFIRMED],
                initial_options=[_CONFIRMED] if r and r.paid_plan_confirmed else None,
            ),
        ),
        text_input(
            f.DESCRIPTION,
            "Description",
            multiline=True,
            max_length=3000,
            hint="What happened, in the customer's words; no personal data beyond what is needed.",
            value=r.description if r else None,
        ),
    ]
    assert len(blocks) <= MODAL_MAX_BLOCKS
    return View(
        type="modal",
        callback_id=INTAKE_CALLBACK,
        title=PlainTextObject(text="Security log-dive"),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )
