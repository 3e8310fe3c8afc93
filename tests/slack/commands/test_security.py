"""`/security`: acknowledged at once, the modal opened with the trigger id, subcommands answered."""

from __future__ import annotations

from tests.slack.harness import CSM, INTAKE_BLOCKS, Bot


def test_security_opens_the_intake_modal_with_the_callers_timezone(bot: Bot) -> None:
    response = bot.command("", trigger_id="trigger-open")
    assert response.status_code == 200 and response.text == ""
    opened = bot.slack.wait_for_call("views.open")
    assert opened.ok and opened.args["trigger_id"] == "trigger-open"
    blocks = {b.get("block_id") for b in opened.args["view"]["blocks"]}
    assert blocks >= INTAKE_BLOCKS
    # users.info said Europe/Berlin: the open modal is updated in place (hash-checked) to show it.
    updated = bot.slack.wait_for_call("views.update")
    assert updated.ok and updated.args["hash"] == opened.response["view"]["hash"]
    assert "Europe/Berlin" in str(updated.args["view"]["blocks"])


def test_duplicate_command_delivery_opens_one_modal(bot: Bot) -> None:
    bot.command("", trigger_id="trigger-twice")
    bot.command("", trigger_id="trigger-twice")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    assert len(bot.slack.calls_to("views.open", ok=True)) == 1


def test_help_and_unknown_subcommands_answer_in_the_acknowledgement(bot: Bot) -> None:
    assert "/security status" in bot.command("help").json()["text"]
    unknown = bot.command("<!channel> now").json()
    assert "&lt;!channel&gt;" in unknown["text"] and "<!channel>" not in unknown["text"]
    assert unknown["response_type"] == "ephemeral"


def test_list_and_status(bot: Bot) -> None:
    bot.command("list", user=CSM)
    listed = bot.slack.wait_for_call("response_url")
    assert "no open cases" in listed.args["text"]
    bot.command("status LD-999", user=CSM)
    bot.slack.wait_for(
        lambda: any("No case LD-999" in c.args["text"] for c in bot.slack.calls_to("response_url"))
    )
    bot.command("status nonsense", user=CSM)
    bot.slack.wait_for(
        lambda: any("is not a case id" in c.args["text"] for c in bot.slack.calls_to("response_url"))
    )


def test_the_blank_form_is_serialised_once_per_time_zone() -> None:
    from bot.catalog import load_catalog
    from bot.slack.flows.intake import blank_form

    catalog = load_catalog()
    first = blank_form("Europe/Berlin", catalog)
    assert blank_form("Europe/Berlin", catalog) is first  # no per-command serialisation on the event loop
    assert blank_form("America/New_York", catalog) is not first
    assert first["type"] == "modal" and first["callback_id"] == "intake"


def test_status_of_a_hostile_label_echoes_nothing_unescaped(bot: Bot) -> None:
    bot.command("status <!channel>", user=CSM)
    answer = bot.slack.wait_for_call("response_url", lambda c: "is not a case id" in c.args["text"])
    # Slack parses the top-level text too (notifications, clients without blocks).
    assert "<!channel>" not in answer.args["text"] and "&lt;!channel&gt;" in answer.args["text"]
    assert "<!channel>" not in str(answer.args["blocks"])
