"""The Slack app manifest asks for exactly the scopes the code needs: each Slack Web API method the bot
calls has its scope there, and no scope is there that nothing uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "config" / "slack-manifest.yml"

# Each method's required bot scope, from Slack's method reference (none: views.*, auth.test; the
# Socket Mode link takes the app-level token's connections:write, not a bot scope).
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),  # a user id as channel: the app's DM, no im:write
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "users.info": frozenset({"users:read", "users:read.email"}),  # the e-mail: step-up sign-in
    "files.info": frozenset({"files:read"}),  # a diagnostic file shared in a case thread
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "auth.test": frozenset(),
    "apps.connections.open": frozenset(),
}
FAMILIES = "chat|views|users|usergroups|auth|apps|conversations|im|reactions|files|team|pins|bookmarks"
CALL = re.compile(rf"\.({FAMILIES})_([A-Za-z_]+)\(|_call\(\s*\"(({FAMILIES})_[A-Za-z_]+)\"")


def called_methods() -> set[str]:
    """Slack Web API methods called anywhere in the bot (the stand-ins in bot/sandbox answer, not call)."""
    found = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for match in CALL.finditer(path.read_text()):
            name = f"{match[1]}_{match[2]}" if match[1] else match[3]
            found.add(name.replace("_", "."))
    return found


def test_every_called_method_is_known_and_its_scope_asked_for() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    called = called_methods()
    assert {"chat.postMessage", "views.open", "users.info", "usergroups.users.list"} <= called  # scan works
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"record the scope of {sorted(unknown)} in METHOD_SCOPES (and the manifest)"
    needed = set().union(*(METHOD_SCOPES[m] for m in called))
    if manifest["features"].get("slash_commands"):
        needed.add("commands")
    if "app_mention" in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed.add("app_mentions:read")
    if "message.channels" in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed.add("channels:history")
    assert scopes == needed, f"missing {sorted(needed - scopes)}; unused {sorted(scopes - needed)}"
