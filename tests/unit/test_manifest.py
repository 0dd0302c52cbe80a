"""app-manifest.yml creates the app Alinea expects, in one paste."""

from pathlib import Path

import yaml

from commands import registry

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "app-manifest.yml").read_text())


def test_the_slash_command_is_alinea_with_escaping_on():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == registry.SLASH_COMMAND
    assert command["should_escape"] is True
    assert command["url"].endswith("/slack/events")


# Bolt's `message` listener hears these subscriptions: replies in public and private channels
# (a breach's or an OKR review's thread). Direct messages (message.im) are not read: nothing of ours listens there.
MESSAGE_SUBSCRIPTIONS = {"message.channels", "message.groups"}


def test_every_event_we_listen_to_is_subscribed_and_no_other():
    subscribed = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    listened = set(registry.EVENTS) - {"message"} | (MESSAGE_SUBSCRIPTIONS if "message" in registry.EVENTS else set())
    assert subscribed == listened


def test_interactivity_socket_mode_and_least_privilege_scopes():
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "users:read", "channels:read", "groups:read", "channels:history", "groups:history",
        "files:read", "files:write", "im:history", "im:write",
    }



def test_people_can_send_the_bot_a_spreadsheet_in_its_messages_tab():
    app_home = MANIFEST["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True and app_home["messages_tab_read_only_enabled"] is False
    assert "file_shared" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert "files:read" in MANIFEST["oauth_config"]["scopes"]["bot"]  # what file_shared requires


def test_the_home_tab_is_on_and_its_opening_is_heard():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert "app_home_opened" in registry.EVENTS


def test_every_message_shortcut_we_listen_to_is_declared():
    declared = {shortcut["callback_id"]: shortcut for shortcut in MANIFEST["features"]["shortcuts"]}
    assert set(declared) == set(registry.SHORTCUTS)
    assert all(shortcut["type"] == "message" and shortcut["name"] and shortcut["description"] for shortcut in declared.values())
