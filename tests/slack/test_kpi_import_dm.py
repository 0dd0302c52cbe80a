"""A spreadsheet uploaded in a DM with the bot: the check posted in that DM with Save all /
Cancel, once per event; Save all writes into the person's team. Signed requests into the real
endpoint; Slack (file_shared, files.info, url_private, chat.postMessage) played by the double."""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.blocks.kpi_import import CANCEL, COMMIT, read_decision
from bot.loopback import LoopbackBot
from bot.slack_double import Call, SlackDouble
from bot.slack_double.server import FILE_DOWNLOAD_METHOD
from bot.workqueue import WorkQueueFull
from commands import kpi_import_dm
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults
from tests.slack.test_kpi_import_slack import (  # noqa: F401 - fixtures
    ANA, CARO, CHANNEL, GOOD, LUIS, NOW, TEAM, all_text, bot, buttons, stored, value_audit,
)

pytestmark = TEAM  # the KPI import tests' team

DM = "D0ANA"  # Ana's direct message with the bot
EVE, EVE_DM = "U0EVE", "D0EVE"  # in no team
OTHER_CHANNEL = "C0OTRO"
LATIN1 = GOOD.decode("cp1252").encode("latin-1")  # `;`, decimal commas, "Período" in Latin-1


def share_in_dm(double: SlackDouble, data: bytes, *, name: str = "kpis.csv", user_token: str = "xoxp-ana", dm: str = DM) -> str:
    """Ana drags the file into her DM with Alinea: Slack stores and shares it there."""
    response = WebClient(token=user_token, base_url=double.base_url).files_upload_v2(content=data, filename=name, channel=dm)
    return response["file"]["id"]


def file_shared(bot: LoopbackBot, file_id: str, *, user_id: str = ANA, channel_id: str = DM, **delivery: Any):
    event = {"type": "file_shared", "file_id": file_id, "user_id": user_id, "file": {"id": file_id}, "channel_id": channel_id}
    result = bot.driver.event(event, **delivery)
    assert result.status == 200, result.body
    return result


def dm_posts(bot: LoopbackBot, channel: str = DM) -> list[Call]:
    return [call for call in bot.double.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def posted_in(bot: LoopbackBot, channel: str = DM, count: int = 1) -> Call:
    calls = bot.double.wait_for("chat.postMessage", lambda call: call.params.get("channel") == channel, count=count)
    assert calls[-1].ok, calls[-1].response
    return calls[-1]


def settle(bot: LoopbackBot) -> None:
    """Wait for the event's listener (Bolt's pool) and its work (the queue) to finish."""
    time.sleep(0.3)
    deadline = time.monotonic() + 5
    while bot.runtime.work.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.runtime.work.pending == 0


def press_in_dm(bot: LoopbackBot, action_id: str, value: str, *, user_id: str = ANA, channel_id: str = DM) -> Call:
    result = bot.driver.block_action(action_id, value=value, user_id=user_id, channel_id=channel_id)
    assert result.ok, result.body
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert answer.ok, answer.response
    return answer


def second_team_for_ana(bot: LoopbackBot) -> None:
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW
        )
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=OTHER_CHANNEL, channel_name="alineacion-b2b", actor=LUIS,
            is_workspace_admin=False, defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,)),
        )


# The flow -------------------------------------------------------------------------------------------


@pytest.mark.both_transports
def test_a_csv_sent_in_a_dm_is_checked_there_once_and_saved_with_the_button(bot, team, caplog):
    caplog.set_level(logging.INFO, logger=kpi_import_dm.__name__)
    file_id = share_in_dm(bot.double, LATIN1)
    file_shared(bot, file_id, event_id="Ev0DM0001")

    check = posted_in(bot)
    text = all_text(check.params)
    assert "Las 3 filas de `kpis.csv` están bien para *alineacion*: 3 nuevas, 0 corrigen un valor, 0 sin cambios." in text
    assert "*Línea 3:* `mobile_conversion` · semana 2 de 2026 (5–11 ene) · *1,6\u00a0%* (nuevo)" in text
    assert check.params["metadata"]["event_payload"] == {"claim": f"kpi-import-dm-{file_id}"}
    found = buttons(check)
    assert set(found) == {COMMIT, CANCEL} and found[COMMIT]["style"] == "primary"
    assert read_decision(found[COMMIT]["value"]) == (file_id, read_decision(found[COMMIT]["value"]).digest, CHANNEL)
    assert stored(bot) == {}  # a check writes nothing

    # Slack redelivers the same event (the ack was slow): nothing is posted again.
    file_shared(bot, file_id, event_id="Ev0DM0001", retry_num=1, retry_reason="http_timeout")
    deadline = time.monotonic() + 5
    while "already handled" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    settle(bot)
    assert "event Ev0DM0001 already handled" in caplog.text
    assert len(dm_posts(bot)) == 1
    assert len(bot.double.calls_to("files.info")) == 1

    done = press_in_dm(bot, COMMIT, found[COMMIT]["value"])
    assert "Guardé las 3 filas en alineacion: 3 nuevas" in all_text(done.params)
    assert buttons(done.params) == {}
    assert stored(bot) == {
        ("sales_cop", "2026-01"): (Decimal("45000000"), "csv", ANA),
        ("mobile_conversion", "2026-W02"): (Decimal("1.6"), "csv", ANA),
        ("leads_mql", "2026-02"): (Decimal("120"), "csv", ANA),
    }
    assert value_audit(bot) == [("kpi_value.recorded", ANA)] * 3
    assert len(bot.double.calls_to(FILE_DOWNLOAD_METHOD)) == 2  # the check, then Save all


@pytest.mark.both_transports
def test_cancel_in_the_dm_writes_nothing(bot, team):
    file_shared(bot, share_in_dm(bot.double, LATIN1))
    value = buttons(posted_in(bot))[CANCEL]["value"]
    answer = press_in_dm(bot, CANCEL, value)
    assert "Importación cancelada: no guardé nada." in all_text(answer.params)
    assert stored(bot) == {}


def test_someone_outside_the_team_pressing_save_all_writes_nothing(bot, team):
    bot.double.add_user(EVE, name="eve", locale="es-LA")
    file_shared(bot, share_in_dm(bot.double, LATIN1))
    value = buttons(posted_in(bot))[COMMIT]["value"]
    downloads = len(bot.double.calls_to(FILE_DOWNLOAD_METHOD))

    answer = press_in_dm(bot, COMMIT, value, user_id=EVE, channel_id=EVE_DM)
    assert all_text(answer.params) == f"Solo los miembros del equipo de <#{CHANNEL}> pueden guardar valores en él, así que no guardé nada."
    assert stored(bot) == {} and value_audit(bot) == []
    assert len(bot.double.calls_to(FILE_DOWNLOAD_METHOD)) == downloads  # refused before downloading


def test_save_all_from_a_channel_still_uses_that_channels_team(bot, team):
    """Older buttons (file:digest) keep working where they were posted: in the team's channel."""
    file_shared(bot, share_in_dm(bot.double, LATIN1))
    decision = read_decision(buttons(posted_in(bot))[COMMIT]["value"])
    result = bot.driver.block_action(COMMIT, value=f"{decision.file_id}:{decision.digest}", user_id=LUIS, channel_id=CHANNEL)
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert "Guardé las 3 filas en alineacion" in all_text(answer.params)
    assert stored(bot)[("leads_mql", "2026-02")] == (Decimal("120"), "csv", LUIS)


def test_a_person_in_no_team_is_told_how_to_set_one_up(bot, team):
    bot.double.add_user(EVE, name="eve", locale="es-LA")
    file_shared(bot, share_in_dm(bot.double, LATIN1, user_token="xoxp-eve", dm=EVE_DM), user_id=EVE, channel_id=EVE_DM)
    hint = posted_in(bot, EVE_DM)
    assert "no estás en ningún equipo de alineación" in hint.params["text"]
    assert "`/alinea configurar mercadeo @ana ventas @luis`" in hint.params["text"]
    assert buttons(hint) == {}
    assert bot.double.calls_to(FILE_DOWNLOAD_METHOD) == []  # nothing to check it against


def test_a_person_in_several_teams_gets_their_channels(bot, team):
    second_team_for_ana(bot)
    file_shared(bot, share_in_dm(bot.double, LATIN1))
    listing = posted_in(bot)
    assert f"estás en varios equipos de alineación (<#{CHANNEL}>, <#{OTHER_CHANNEL}>)" in listing.params["text"]
    assert "`/alinea kpi importar`" in listing.params["text"]
    assert buttons(listing) == {}
    assert bot.double.calls_to(FILE_DOWNLOAD_METHOD) == []


def test_other_files_channels_and_the_bots_own_uploads_are_ignored(bot, team):
    file_shared(bot, share_in_dm(bot.double, b"\x89PNG\r\n", name="grafico.png"))
    file_shared(bot, share_in_dm(bot.double, LATIN1, dm=CHANNEL), channel_id=CHANNEL)  # shared in a channel
    file_shared(bot, share_in_dm(bot.double, LATIN1), user_id=bot.double.bot_user_id)
    settle(bot)
    assert bot.double.calls_to("chat.postMessage") == []
    assert len(bot.double.calls_to("files.info")) == 1  # only the PNG's, to learn its type
    assert bot.double.calls_to(FILE_DOWNLOAD_METHOD) == []


def test_a_download_failure_is_told_in_the_dm(bot, team):
    bot.double.fail_next(FILE_DOWNLOAD_METHOD, 404)
    file_shared(bot, share_in_dm(bot.double, LATIN1))
    answer = posted_in(bot)
    assert answer.params["text"].startswith("No encontré el archivo que subiste (quizá lo borraron).")
    assert buttons(answer) == {}
    assert stored(bot) == {}


@pytest.mark.parametrize("value, expected", [
    ("F1:abc", ("F1", "abc", None)),
    ("F1:abc:C0TEAM", ("F1", "abc", "C0TEAM")),
    ("F1", None),
    (":abc", None),
    ("F1::C0TEAM", None),
])
def test_the_button_value_stays_backward_compatible(value, expected):
    assert read_decision(value) == (tuple(expected) if expected else None)


# A full work queue ------------------------------------------------------------------------------------


def fill_the_queue(bot: LoopbackBot) -> threading.Event:
    """Real work that waits until the returned event is set, queued until the queue refuses more."""
    release = threading.Event()
    with pytest.raises(WorkQueueFull):
        for _ in range(bot.runtime.settings.work_queue_limit + 1):
            bot.runtime.work.submit("hold", lambda: release.wait(30))
    return release


def test_a_csv_sent_while_the_queue_is_full_gets_a_busy_reply_and_is_checked_when_sent_again(bot, team):
    bot.double.add_user("U0TOM", name="tom", locale="en-US")
    release = fill_the_queue(bot)
    try:
        file_shared(bot, share_in_dm(bot.double, LATIN1), event_id="Ev0BUSY01")
        busy = posted_in(bot)
        assert busy.params["text"] == "Ahora mismo tengo demasiado trabajo y no alcancé a revisar el archivo que me enviaste. Envíamelo otra vez en un minuto."
        assert buttons(busy) == {} and bot.double.calls_to(FILE_DOWNLOAD_METHOD) == []
        file_shared(bot, share_in_dm(bot.double, LATIN1, user_token="xoxp-tom", dm="D0TOM"), user_id="U0TOM", channel_id="D0TOM")
        assert posted_in(bot, "D0TOM").params["text"].startswith("I have too much work right now")  # in Tom's language
        file_shared(bot, share_in_dm(bot.double, b"\x89PNG\r\n", name="grafico.png"))  # not a spreadsheet: no word, as always
        bot.double.wait_for("files.info", count=3)  # the PNG's type was looked up
    finally:
        release.set()
    settle(bot)
    assert len(dm_posts(bot)) == 1
    file_shared(bot, share_in_dm(bot.double, LATIN1), event_id="Ev0BUSY02")  # sent again a minute later
    check = posted_in(bot, count=2)
    assert "Las 3 filas de `kpis.csv` están bien para *alineacion*" in all_text(check.params) and set(buttons(check)) == {COMMIT, CANCEL}
