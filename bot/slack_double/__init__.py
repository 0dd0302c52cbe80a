"""A loopback Slack for tests and `alinea demo`: a Web API double, its Socket Mode server, and
drivers that play Slack's side over signed HTTP or Socket Mode.

    with SlackDouble() as double:
        client = WebClient(token="xoxb-test", base_url=double.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        double.wait_for("chat.postMessage")

Standard library, slack_sdk and websockets only, so it can ship in the package.
"""

from bot.slack_double.driver import Driver, DriverResult, SlackDriver, SocketModeDriver, slack_escape, slack_mention
from bot.slack_double.models import Call, SlackDoubleChannel, SlackDoubleFile, SlackDoubleUser
from bot.slack_double.server import SlackDouble, WaitTimeout

__all__ = [
    "Call",
    "Driver",
    "DriverResult",
    "SlackDouble",
    "SlackDoubleChannel",
    "SlackDoubleFile",
    "SlackDoubleUser",
    "SlackDriver",
    "SocketModeDriver",
    "WaitTimeout",
    "slack_escape",
    "slack_mention",
]
