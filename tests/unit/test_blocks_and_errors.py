"""Pure pieces of the Slack edge: help blocks are valid Block Kit, errors become the right words."""

import logging
import re

import pytest
from sqlalchemy import exc as sa_exc

from bot.blocks import escape_mrkdwn, section
from bot.errors import describe, is_database_outage
from bot.slack_double.validation import message_blocks_errors
from bot.workqueue import WorkQueueFull
from commands import help
from commands.registry import SUBCOMMANDS
from domain.errors import UserError


@pytest.mark.parametrize("locale", ["es", "en"])
def test_help_is_valid_block_kit_in_each_language(locale):
    reply = help.render(locale, SUBCOMMANDS, notice="x")
    assert message_blocks_errors(reply.blocks) == []
    assert reply.text


def test_long_text_is_cut_to_slacks_section_limit():
    block = section("a" * 5000)
    assert len(block["text"]["text"]) == 3000
    assert message_blocks_errors([block]) == []


def test_escaping_neutralises_mentions_and_links():
    assert escape_mrkdwn("<!channel> <@U1> <https://x|y> & co") == "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; co"


def test_user_error_parameters_are_escaped():
    text = describe(UserError("help.unknown", command="<!here>"), "es")
    assert text == "No conozco el comando `&lt;!here&gt;`."


def test_database_outages_are_recognised():
    assert is_database_outage(sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert is_database_outage(sa_exc.TimeoutError())
    assert not is_database_outage(ValueError("bug"))
    assert describe(sa_exc.TimeoutError(), "en").startswith("I couldn't read or save data")
    assert describe(WorkQueueFull("x"), "en").startswith("Alinea is very busy")


def test_a_bug_is_logged_with_the_reference_the_person_sees(caplog):
    with caplog.at_level(logging.ERROR, logger="alinea.errors"):
        text = describe(RuntimeError("boom"), "en")
    reference = re.search(r"runs Alinea: `([0-9A-F]{8})`", text).group(1)
    record = caplog.records[-1]
    assert reference in record.getMessage()
    assert record.exc_info[1].args == ("boom",)
    assert "boom" not in text  # internals stay in the log
