"""Bad input never reaches "something failed": 10,000 generated `/alinea` texts through the real
signed endpoint, request bodies for the ingest API, and spreadsheets sent in a DM, against
teams seeded as `alinea demo` seeds them (tests/support/fuzz_texts.py makes the input, from a
fixed seed; tests/support/fuzz_harness.py sends it and collects what went wrong).

Every text gets an answer that is not the internal-error reference, no reply carries a
traceback, nothing is logged as an error, and every ack comes in under 3 s; the API answers
no 5xx; a spreadsheet's bad rows are named by their line.
"""

from __future__ import annotations

import json
import logging

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble
from db import repositories
from db.session import read_only
from domain.errors import UserError
from domain.spreadsheet import read_table
from services import kpi_import
from tests.support import fuzz_harness as harness
from tests.support.fuzz_texts import CsvMaker, JsonMaker, TextMaker, vocabulary
from tests.slack.test_kpi_import_dm import file_shared, share_in_dm

TEXTS = 10_000
TEXTS_ON_POSTGRESQL = 1_000
BODIES = 1_000
FILES = 300


@pytest.fixture
def double():
    with SlackDouble() as double:
        harness.add_people(double)
        yield double


@pytest.fixture
def bot(settings, double):
    with LoopbackBot(settings, double=double, clock=lambda: harness.NOW) as bot:
        bot.channels = harness.seed_teams(bot)
        yield bot


def test_the_texts_cover_every_word_in_both_languages():
    texts = list(TextMaker().texts(TEXTS))
    assert len(texts) == TEXTS and texts == list(TextMaker().texts(TEXTS))  # the same texts on every run
    words = {word for text in texts for word in text.split()}
    assert set(vocabulary()) <= words
    assert {"registrar", "log", "ayuda", "help", "alerta", "alert", "datos", "data", "glosario", "glossary"} <= words
    joined = "\n".join(texts)
    for sample in ("1e400", "NaN", "Infinity", "-0", "٣٤٥", "%s", "🚀", "مرحبا", "\x00"):
        assert sample in joined, sample
    assert any(len(word) >= 3000 for word in words)
    assert any(20 <= len(word) <= 200 and word.isdigit() for word in words)


@pytest.mark.timeout(900)  # about 25 ms a text on a shared 2-core machine: 10,000 take 4 minutes
@pytest.mark.parametrize("database_url, seed, count", [
    ("sqlite", 15, TEXTS),
    # PostgreSQL's own refusals (NUL in text, integer and numeric overflow) show within a few
    # hundred texts: 1,000 others than SQLite's (another seed), at about 65 ms each there.
    ("postgresql", 16, TEXTS_ON_POSTGRESQL),
], indirect=["database_url"])  # fmt: skip
def test_ten_thousand_hostile_texts_get_proper_answers(bot, seed, count):
    run = harness.send_all(bot, TextMaker(seed=seed).texts(count), bot.channels)
    assert run.sent == count
    assert not run.failures, f"{len(run.failures)} bad answers; first ones:\n" + "\n\n".join(map(str, run.failures[:10]))
    assert run.slowest_ack < harness.ACK_LIMIT


@pytest.mark.timeout(300)
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_ingest_api_answers_every_body_without_a_5xx(bot):
    token = harness.ingest_token(bot)
    errors = harness.ErrorLog()
    logging.getLogger().addHandler(errors)
    failures, statuses = [], {}
    try:
        for index, body in enumerate(JsonMaker(seed=15).bodies(BODIES)):
            status, answer = harness.post_metrics(bot, token, body)
            statuses[status] = statuses.get(status, 0) + 1
            harness.wait_until_idle(bot)  # alerts a batch starts are posted after its commit
            if status >= 500 or errors.records:
                failures.append(f"#{index} {body[:300]!r}: HTTP {status} {answer[:300]!r} {errors.take()}")
            elif status != 200:
                assert {"error", "message"} <= set(json.loads(answer))  # a 4xx says what to fix
    finally:
        logging.getLogger().removeHandler(errors)
    assert not failures, "\n".join(failures[:10])
    assert statuses.get(200) and statuses.get(400) or statuses.get(422), statuses  # both kinds of answer were reached


def expected_report(bot, data: bytes):
    """What the import's own check says of a file (None when the file itself is refused), and
    the team it is checked against."""
    try:
        table = read_table(data)
    except UserError:
        return None, None
    with read_only(bot.runtime.session_factory) as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=bot.channels[0])
        return table, kpi_import.check(session, team=team, table=table, today=kpi_import.team_today(team, harness.NOW), actor="U0ANA")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_spreadsheets_sent_in_a_dm_are_checked_without_a_crash_and_bad_rows_named_by_line(bot):
    errors = harness.ErrorLog()
    logging.getLogger().addHandler(errors)
    markers = harness.internal_error_markers()
    failures, rejected, saved = [], 0, 0
    try:
        for index, data in enumerate(CsvMaker(seed=15).files(FILES)):
            file_shared(bot, share_in_dm(bot.double, data, dm="D0ANA"), user_id="U0ANA", channel_id="D0ANA")
            bot.double.wait_for("chat.postMessage", lambda call: call.params.get("channel") == "D0ANA", timeout=30)
            harness.wait_until_idle(bot)
            said = "\n".join(json.dumps(call.params, ensure_ascii=False) for call in bot.double.calls if call.method == "chat.postMessage")
            bot.double.reset()
            problems = errors.take() + [marker for marker in markers if marker in said] + bot.double.internal_errors[-1:]
            table, report = expected_report(bot, data)
            if report is not None:
                missing = [row.line for row in report.rejected if f"Línea {row.line}:" not in said]
                problems += [f"rejected line {line} not named" for line in missing]
                rejected += len(report.rejected)
                if report.ok and report.accepted:  # what the check accepts is written without a failure
                    with bot.runtime.session_factory.begin() as session:
                        team = repositories.team_by_channel(session, workspace_id=repositories.workspace_by_slack_id(
                            session, slack_team_id=bot.double.team_id).id, channel_id=bot.channels[0])
                        written = kpi_import.commit(session, team=team, table=table, today=kpi_import.team_today(team, harness.NOW),
                                                    actor="U0ANA", now=harness.NOW)
                        saved += written.ok
            if problems:
                failures.append(f"#{index} {data[:300]!r}: {problems} {said[:500]}")
    finally:
        logging.getLogger().removeHandler(errors)
    assert not failures, "\n".join(failures[:10])
    assert rejected and saved  # both kinds of file were reached
