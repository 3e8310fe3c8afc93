"""The shape every button listener shares: acknowledge, read the button, hand the work on."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click, read_click

Work = Callable[[SlackDeps, AsyncWebClient, Click], Coroutine[Any, Any, Any]]


async def acknowledge_and_hand_on(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    work: Work,
    name: str,
) -> None:
    await ack()
    click = read_click(body)
    if click is None:  # not a value Logdive wrote: nothing to do
        return
    deps: SlackDeps = context["deps"]
    deps.work.spawn(work(deps, client, click), name=name)
