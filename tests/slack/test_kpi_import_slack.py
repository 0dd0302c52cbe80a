"""`/alinea kpi importar` through Slack: the modal with a file_input, the check posted privately
with Save all / Cancel, the commit. Signed requests into the real endpoint; Slack (including
files.info and the file's url_private) played by the double."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

import pytest
from slack_sdk import WebClient

from bot.blocks.kpi_import import CANCEL, COMMIT, FILE_BLOCK, FILE_INPUT, UPLOAD_VIEW, read_decision
from bot.loopback import LoopbackBot
from bot.slack_double import Call, SlackDouble
from bot.slack_double.server import FILE_DOWNLOAD_METHOD
from commands import spreadsheet_files as command
from db import repositories
from db.models import KpiValue
from domain.errors import UserError
from domain.periods import Period
from services import kpis
from tests.support.channel_team import load_team

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)  # 10:00 in Bogotá
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"
CHANNEL = "C0TEAM"
BOT_TOKEN = "xoxb-test-token"  # the settings fixture's

# Colombian Excel: `;`, Windows-1252, decimal commas, Spanish month names and ISO weeks.
GOOD = (
    "Indicador;Valor;Período;Nota\r\n"
    "sales_cop;45.000.000;enero 2026;feria de Medellín\r\n"
    "mobile_conversion;1,6;2026-W02;\r\n"
    "leads_mql;120;febrero de 2026;\r\n"
).encode("cp1252")
BAD = GOOD.replace(b"leads_mql;120", b"leads_mqll;120")


@pytest.fixture
def bot(settings, double, transport) -> Iterator[LoopbackBot]:
    with LoopbackBot(settings, double=double, clock=lambda: NOW, transport=transport) as bot:
        yield bot


# The team of these tests and of those that borrow their fixtures: in Colombia, the starter KPIs enabled by Caro.
TEAM = pytest.mark.team(now=NOW, countries={"es": "CO"}, starter_kpis=True, kpis_by=CARO)
pytestmark = TEAM


# Helpers -------------------------------------------------------------------------------------------


def upload(double: SlackDouble, data: bytes, name: str = "kpis.csv") -> dict[str, Any]:
    """What a file_input does when Ana picks a file: Slack stores it (unshared) under her name."""
    response = WebClient(token="xoxp-ana", base_url=double.base_url).files_upload_v2(content=data, filename=name)
    file = response["file"]
    return {"id": file["id"], "name": name, "size": len(data), "filetype": "csv"}


def open_modal(bot: LoopbackBot) -> dict[str, Any]:
    result = bot.driver.slash_command("kpi importar", user_id=ANA, channel_id=CHANNEL)
    assert result.ok, result.body
    (call,) = bot.double.wait_for("views.open")
    assert call.ok, call.response
    assert call.params["trigger_id"] == result.trigger_id
    return call.params["view"]


def submit(bot: LoopbackBot, view: dict[str, Any], files: list[dict[str, Any]]):
    values = {FILE_BLOCK: {FILE_INPUT: {"type": "file_input", "files": files}}}
    return bot.driver.view_submission(UPLOAD_VIEW, values, private_metadata=view["private_metadata"], user_id=ANA)


def ephemeral(bot: LoopbackBot, count: int = 1) -> Call:
    calls = bot.double.wait_for("chat.postEphemeral", count=count)
    assert calls[-1].ok, calls[-1].response
    assert calls[-1].params["channel"] == CHANNEL and calls[-1].params["user"] == ANA
    return calls[-1]


def buttons(call_or_params) -> dict[str, dict[str, Any]]:
    params = call_or_params.params if isinstance(call_or_params, Call) else call_or_params
    return {
        element["action_id"]: element
        for block in params.get("blocks") or [] if block["type"] == "actions"
        for element in block["elements"]
    }


def all_text(params: dict[str, Any]) -> str:
    parts = [params.get("text") or ""]
    for block in params.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def press(bot: LoopbackBot, action_id: str, value: str) -> Call:
    result = bot.driver.block_action(action_id, value=value, user_id=ANA, channel_id=CHANNEL)
    assert result.ok, result.body
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert answer.ok, answer.response
    return answer


def stored(bot: LoopbackBot) -> dict[tuple[str, str], tuple[Decimal, str, str]]:
    """(kpi, period key) -> (value, source, recorded_by)."""
    with bot.runtime.session_factory() as session:
        team = load_team(session, bot)
        keys = {view.id: view.key for view in kpis.catalog(session, team=team)}
        return {
            (keys[row.kpi_id], Period(row.period_kind, row.period_start).key): (row.value, row.source, row.recorded_by)
            for row in session.query(KpiValue).filter(KpiValue.workspace_id == team.workspace_id)
        }


def value_audit(bot: LoopbackBot) -> list[tuple[str, str]]:
    with bot.runtime.session_factory() as session:
        team = load_team(session, bot)
        entries = repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="kpi_value")
        return [(entry.action, entry.actor) for entry in entries]


# The flow -------------------------------------------------------------------------------------------


def test_upload_check_then_save_all(bot, team):
    view = open_modal(bot)
    assert view["callback_id"] == UPLOAD_VIEW
    (file_input,) = [block for block in view["blocks"] if block.get("block_id") == FILE_BLOCK]
    assert file_input["element"] == {"type": "file_input", "action_id": FILE_INPUT, "filetypes": ["csv", "txt"], "max_files": 1}
    intro = "\n".join(block["text"]["text"] for block in view["blocks"] if block["type"] == "section")
    assert "*kpi*" in intro and "*valor*" in intro and "*periodo*" in intro
    assert "cart_abandonment;68,5 %;2026-W02;" in intro  # `;` and a decimal comma, as this team writes

    file = upload(bot.double, GOOD)
    submitted = submit(bot, view, [file])
    assert submitted.status == 200 and submitted.body == ""  # the ack closes the modal; the work follows

    check = ephemeral(bot)
    text = all_text(check.params)
    assert "Las 3 filas de `kpis.csv` están bien para *alineacion*: 3 nuevas, 0 corrigen un valor, 0 sin cambios." in text
    assert "*Línea 3:* `mobile_conversion` · semana 2 de 2026 (5–11 ene) · *1,6\u00a0%* (nuevo)" in text
    assert "*Línea 2:* `sales_cop` · enero de 2026 · *$45.000.000* (nuevo)" in text
    found = buttons(check)
    assert set(found) == {COMMIT, CANCEL} and found[COMMIT]["style"] == "primary"
    assert read_decision(found[COMMIT]["value"])[0] == file["id"]
    # The file came from Slack the way Slack serves it: files.info, then url_private with the bot token.
    (info,) = bot.double.calls_to("files.info")
    assert info.params["file"] == file["id"]
    (download,) = bot.double.calls_to(FILE_DOWNLOAD_METHOD)
    assert download.ok and download.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert stored(bot) == {}  # a check writes nothing

    done = press(bot, COMMIT, found[COMMIT]["value"])
    assert done.params["response_type"] == "ephemeral"
    assert "Guardé las 3 filas en alineacion: 3 nuevas" in all_text(done.params)
    assert COMMIT not in buttons(done.params)
    assert stored(bot) == {
        ("sales_cop", "2026-01"): (Decimal("45000000"), "csv", ANA),
        ("mobile_conversion", "2026-W02"): (Decimal("1.6"), "csv", ANA),
        ("leads_mql", "2026-02"): (Decimal("120"), "csv", ANA),
    }
    assert value_audit(bot) == [("kpi_value.recorded", ANA)] * 3
    assert len(bot.double.calls_to(FILE_DOWNLOAD_METHOD)) == 2  # downloaded again: nothing kept in between

    again = press(bot, COMMIT, found[COMMIT]["value"])  # a second click: already saved, nothing to do
    assert "ya están guardadas con esos mismos valores" in all_text(again.params)
    assert buttons(again.params) == {}
    assert value_audit(bot) == [("kpi_value.recorded", ANA)] * 3


def test_a_file_with_a_bad_row_gets_no_save_button_and_names_the_line(bot, team):
    view = open_modal(bot)
    submit(bot, view, [upload(bot.double, BAD)])
    check = ephemeral(bot)
    text = all_text(check.params)
    assert "No se puede importar `kpis.csv`: 1 de 3 filas tienen problemas y no guardé nada." in text
    assert "*Línea 4:* El equipo no tiene el KPI `leads_mqll`. ¿Quisiste decir `leads_mql`?" in text
    assert buttons(check) == {}
    assert stored(bot) == {}


def test_save_all_shows_the_new_check_when_the_data_changed_meanwhile(bot, team):
    view = open_modal(bot)
    submit(bot, view, [upload(bot.double, GOOD)])
    value = buttons(ephemeral(bot))[COMMIT]["value"]
    with bot.runtime.session_factory.begin() as session:  # Luis logs January's sales meanwhile, as csv
        kpis.record(
            session, team=load_team(session, bot), key="sales_cop", value=Decimal("44000000"), shown="44.000.000",
            period=Period.month(2026, 1), source="csv", actor=LUIS, note="", now=NOW,
        )
    answer = press(bot, COMMIT, value)
    text = all_text(answer.params)
    assert "Los datos cambiaron desde la revisión" in text and "no guardé nada" in text
    assert "*$45.000.000* (reemplaza $44.000.000)" in text
    assert stored(bot)[("sales_cop", "2026-01")] == (Decimal("44000000"), "csv", LUIS)
    fresh = buttons(answer.params)[COMMIT]["value"]
    assert fresh != value
    done = press(bot, COMMIT, fresh)
    assert "1 corrigen un valor" in all_text(done.params)
    assert stored(bot)[("sales_cop", "2026-01")] == (Decimal("45000000"), "csv", ANA)


def test_cancel_writes_nothing(bot, team):
    view = open_modal(bot)
    submit(bot, view, [upload(bot.double, GOOD)])
    value = buttons(ephemeral(bot))[CANCEL]["value"]
    answer = press(bot, CANCEL, value)
    assert "Importación cancelada: no guardé nada." in all_text(answer.params)
    assert stored(bot) == {} and value_audit(bot) == []


def test_a_submission_without_a_file_is_refused_beside_the_field(bot, team):
    view = open_modal(bot)
    result = submit(bot, view, [])
    assert result.status == 200
    assert result.json() == {"response_action": "errors", "errors": {FILE_BLOCK: "Sube un archivo .csv con los valores."}}
    assert bot.double.calls_to("files.info") == []


def test_a_workbook_instead_of_a_csv_is_answered_with_how_to_export_it(bot, team):
    view = open_modal(bot)
    submit(bot, view, [upload(bot.double, b"PK\x03\x04 an xlsx workbook", name="kpis.txt")])
    answer = ephemeral(bot)
    assert "Guardar como › «CSV UTF-8 (delimitado por comas)»" in answer.params["text"]
    assert stored(bot) == {}


def test_outside_a_team_channel_the_modal_is_not_opened(bot):
    result = bot.driver.slash_command("kpi importar", user_id=ANA, channel_id=CHANNEL)
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert "Este canal todavía no tiene un equipo de alineación" in answer.params["text"]
    assert bot.double.calls_to("views.open") == []


# Downloading from Slack (the double's files.info and url_private) -------------------------------------


def test_download_reads_files_info_then_the_private_url_with_the_bot_token(double):
    file = upload(double, GOOD)
    bot_client = WebClient(token=BOT_TOKEN, base_url=double.base_url)
    assert command.download(bot_client, file["id"]) == ("kpis.csv", GOOD)
    info = bot_client.files_info(file=file["id"])["file"]
    assert info["url_private"].startswith(double.url + "/files-pri/") and info["size"] == len(GOOD)


def test_an_unknown_file_is_reported_as_gone(double):
    with pytest.raises(UserError) as refused:
        command.download(WebClient(token=BOT_TOKEN, base_url=double.base_url), "F0NOPE")
    assert refused.value.message_id == "kpi_import.file_not_found"


def test_a_refused_token_gets_slacks_sign_in_page_and_says_so(double):
    file = upload(double, GOOD)
    url = WebClient(token=BOT_TOKEN, base_url=double.base_url).files_info(file=file["id"])["file"]["url_private"]
    double.revoked_tokens.add("xoxb-revoked")
    with pytest.raises(UserError) as refused:
        command._fetch(WebClient(token="xoxb-revoked", base_url=double.base_url), url)
    assert refused.value.message_id == "kpi_import.missing_scope"
    (page,) = double.calls_to(FILE_DOWNLOAD_METHOD)
    assert page.error == "not_authed"


def test_a_download_that_fails_once_is_tried_again(double):
    file = upload(double, GOOD)
    double.fail_next(FILE_DOWNLOAD_METHOD, 503)
    assert command.download(WebClient(token=BOT_TOKEN, base_url=double.base_url), file["id"])[1] == GOOD
    assert [call.status for call in double.calls_to(FILE_DOWNLOAD_METHOD)] == [503, 200]


def test_the_bot_token_goes_only_to_slack_hosts():
    api = "https://slack.com/api/"
    assert command.is_slack_file_url("https://files.slack.com/files-pri/T1-F1/kpis.csv", api)
    assert command.is_slack_file_url("https://files.slack-gov.com/files-pri/T1-F1/kpis.csv", api)
    assert not command.is_slack_file_url("http://files.slack.com/files-pri/T1-F1/kpis.csv", api)
    assert not command.is_slack_file_url("https://evil.example/slack.com/kpis.csv", api)
    assert not command.is_slack_file_url("https://files.slack.com.evil.example/kpis.csv", api)
    loopback = "http://127.0.0.1:8123/api/"
    assert command.is_slack_file_url("http://127.0.0.1:8123/files-pri/T1-F1/kpis.csv", loopback)
    assert not command.is_slack_file_url("http://127.0.0.1:9999/files-pri/T1-F1/kpis.csv", loopback)


def test_download_refuses_a_file_over_the_limit(double, monkeypatch):
    file = upload(double, GOOD)
    monkeypatch.setattr(command, "MAX_FILE_BYTES", len(GOOD) - 1)
    with pytest.raises(UserError) as refused:
        command.download(WebClient(token=BOT_TOKEN, base_url=double.base_url), file["id"])
    assert refused.value.message_id == "kpi_import.file_too_big"
    assert refused.value.params == {"limit_mb": 2}


def test_a_long_report_stays_within_slacks_limits():
    from bot.blocks.kpi_import import report_reply
    from bot.slack_double.validation import message_blocks_errors
    from services.kpi_import import Accepted, KpiImportReport, Rejected

    report = KpiImportReport(
        accepted=[Accepted(line, "sales_cop", "2026-W02", "$45.000.000", "recorded") for line in range(2, 3000)],
        rejected=[Rejected(line, "kpi_import.unknown_kpi", {"key": "<!channel>" * 20}) for line in range(3000, 4000)],
        digest="abc",
    )
    reply = report_reply(report, "es", team="<b>", file_name="a&b.csv", file_id="F1")
    assert message_blocks_errors(reply.blocks) == []
    text = all_text({"text": reply.text, "blocks": reply.blocks})
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "a&amp;b.csv" in text
    assert "… y " in text and buttons({"blocks": reply.blocks}) == {}
