"""A survey export sent to the bot in a DM: recognised by its columns, checked in the DM (a dry
run: counts, themes, personal data removed), saved all or nothing with Save all, and stored once
however many times it is sent. Signed requests into the real endpoint; Slack played by the
double; SQLite and PostgreSQL (the `settings` fixture)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from bot.blocks.kpi_import import CANCEL
from bot.blocks.survey_import import COMMIT
from bot.loopback import LoopbackBot
from db.models import AlignmentTeam, FeedbackItem
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults
from tests.slack.test_kpi_import_dm import file_shared, posted_in, press_in_dm, share_in_dm
from tests.slack.test_kpi_import_slack import (  # noqa: F401 - fixtures
    ANA, CARO, CHANNEL, LUIS, NOW, all_text, bot, buttons, ephemeral, open_modal, press, submit, upload,
)

DM = "D0ANA"
TOM, TOM_DM = "U0TOM", "D0TOM"

# Colombian Excel, "CSV (delimitado por comas)": `;`, Latin-1, day-first dates, a blank comment,
# an email column nobody should keep and personal data inside the comments.
EXCEL_CO = (
    "Fecha;Nota;Comentario;Correo\r\n"
    "01/03/2026 09:30;9;La entrega llegó rápido, escríbanme a ana.perez@example.com;ana.perez@example.com\r\n"
    "02/03/2026 14:00;3;El domicilio se demoró y el precio subió, llámenme al 300 123 4567;\r\n"
    "03/03/2026 10:00;10;;luis@example.com\r\n"
).encode("latin-1")

# Google Forms, English: UTF-8, `,`, month-first timestamps, the questions as headers.
FORMS_EN = (
    "Timestamp,How likely are you to recommend us to a friend?,Why?,Email Address\r\n"
    '3/1/2026 9:30:00,10,"Great price, text me at +1 415 555 0100",bob@example.com\r\n'
    "3/2/2026 18:05:00,4,The parcel arrived broken. Write to carol@example.org,carol@example.org\r\n"
).encode("utf-8")

EMAIL_OR_PHONE = re.compile(r"@|\d{3}[\s.-]?\d{3}[\s.-]?\d{4}|555")


@pytest.fixture
def es_team(bot) -> None:
    _team(bot, channel=CHANNEL, name="alineacion", language="es", country="CO", leads=(ANA, LUIS))


@pytest.fixture
def en_team(bot) -> None:
    bot.double.add_channel("C0ENG", "alignment")
    _team(bot, channel="C0ENG", name="alignment", language="en", country="US", leads=(TOM, LUIS))


def _team(bot: LoopbackBot, *, channel: str, name: str, language: str, country: str, leads: tuple[str, str]) -> None:
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW
        )
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name=name, actor=CARO,
            is_workspace_admin=False, defaults=TeamDefaults("America/Bogota", language),
            now=NOW, changes=SetupChanges(marketing_leads=(leads[0],), sales_leads=(leads[1],), language=language, country=country),
        )


def stored(bot: LoopbackBot, channel: str) -> list[tuple[str, int | None, str, datetime, str]]:
    """(source, score, text, received_at in UTC, added_by) of the team's feedback, by number."""
    with bot.runtime.session_factory() as session:
        team = session.query(AlignmentTeam).filter_by(channel_id=channel).one()
        rows = session.query(FeedbackItem).filter_by(team_id=team.id).order_by(FeedbackItem.number)
        return [(row.source, row.score, row.text, _utc(row.received_at), row.added_by) for row in rows]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def send_and_check(bot: LoopbackBot, data: bytes, *, name: str, user: str, dm: str, token: str, count: int = 1):
    file_id = share_in_dm(bot.double, data, name=name, user_token=token, dm=dm)
    file_shared(bot, file_id, user_id=user, channel_id=dm)
    return posted_in(bot, dm, count=count)


CASES = {
    "es_excel_latin1_semicolon": dict(
        team="es_team", data=EXCEL_CO, name="encuesta.csv", user=ANA, dm=DM, token="xoxp-ana", channel=CHANNEL,
        check=(
            "`encuesta.csv` es una encuesta con 2 comentarios para *alineacion*: 2 nuevos, 0 ya guardados.",
            "Temas encontrados: Entrega (2), Precio (1), Tiempo de respuesta (1).",
            "Datos personales que se quitan antes de guardar: correos 1, teléfonos 1.",
            "Filas sin comentario, que no se guardan: 1.",
        ),
        done="Guardé los comentarios de la encuesta en alineacion: 2 nuevos, 0 ya estaban.",
        again="Los 2 comentarios de `encuesta.csv` ya están guardados: no hay nada nuevo que guardar.",
        rows=[  # 09:30 and 14:00 in Bogotá
            ("survey", 9, "La entrega llegó rápido, escríbanme a [email]", datetime(2026, 3, 1, 14, 30, tzinfo=timezone.utc), ANA),
            ("survey", 3, "El domicilio se demoró y el precio subió, llámenme al [phone]",
             datetime(2026, 3, 2, 19, 0, tzinfo=timezone.utc), ANA),
        ],
    ),
    "en_google_forms_utf8_comma": dict(
        team="en_team", data=FORMS_EN, name="responses.csv", user=TOM, dm=TOM_DM, token="xoxp-tom", channel="C0ENG",
        check=(
            "`responses.csv` is a survey with 2 comments for *alignment*: 2 new, 0 already saved.",
            "Themes found: Delivery (1), Price (1), Product quality (1).",
            "Personal data removed before saving: emails 1, phone numbers 1.",
        ),
        done="Saved the survey's comments in alignment: 2 new, 0 already there.",
        again="The 2 comments in `responses.csv` are already saved: nothing new to save.",
        rows=[  # March 1st and 2nd (month first), in Bogotá
            ("survey", 10, "Great price, text me at [phone]", datetime(2026, 3, 1, 14, 30, tzinfo=timezone.utc), TOM),
            ("survey", 4, "The parcel arrived broken. Write to [email]", datetime(2026, 3, 2, 23, 5, tzinfo=timezone.utc), TOM),
        ],
    ),
}  # fmt: skip


@pytest.mark.both_transports
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_survey_export_is_checked_saved_once_and_kept_without_personal_data(bot, case, request):
    request.getfixturevalue(case["team"])
    sent = {key: case[key] for key in ("name", "user", "dm", "token")}
    check = send_and_check(bot, case["data"], **sent)
    text = all_text(check.params)
    for line in case["check"]:
        assert line in text
    assert not EMAIL_OR_PHONE.search(text)  # the check quotes no comment
    found = buttons(check)
    assert set(found) == {COMMIT, CANCEL}
    assert stored(bot, case["channel"]) == []  # the check writes nothing

    done = press_in_dm(bot, COMMIT, found[COMMIT]["value"], user_id=case["user"], channel_id=case["dm"])
    assert case["done"] in all_text(done.params)
    assert buttons(done.params) == {}
    rows = stored(bot, case["channel"])
    assert rows == case["rows"]
    assert not any(EMAIL_OR_PHONE.search(row[2]) for row in rows)

    # The same file again (a new upload): recognised answer by answer, nothing new to save.
    again = send_and_check(bot, case["data"], **sent, count=2)
    assert case["again"] in all_text(again.params)
    assert buttons(again) == {}
    assert stored(bot, case["channel"]) == rows


def test_one_bad_row_refuses_the_whole_file_with_its_line_and_offers_no_save(bot, es_team):
    bad = EXCEL_CO.replace(b"02/03/2026 14:00;3;", b"02/03/2026 14:00;tres;")
    check = send_and_check(bot, bad, name="encuesta.csv", user=ANA, dm=DM, token="xoxp-ana")
    text = all_text(check.params)
    assert "`encuesta.csv` es una encuesta, pero 1 de sus 2 comentarios tienen un problema. No guardé nada" in text
    assert "*Línea 3:* La nota no es un número entero de 0 a 10." in text
    assert buttons(check) == {}
    assert stored(bot, CHANNEL) == []


def test_a_kpi_file_is_still_checked_as_kpi_values(bot, es_team):
    kpi_file = "Indicador;Valor;Período;Nota\r\nsales_cop;45.000.000;enero 2026;feria\r\n".encode("cp1252")
    check = send_and_check(bot, kpi_file, name="kpis.csv", user=ANA, dm=DM, token="xoxp-ana")
    assert "encuesta" not in all_text(check.params)
    assert "sales_cop" in all_text(check.params)


def test_a_survey_uploaded_in_the_kpi_import_form_is_checked_and_saved_as_feedback(bot, es_team):
    view = open_modal(bot)
    submitted = submit(bot, view, [upload(bot.double, EXCEL_CO, name="encuesta.csv")])
    assert submitted.status == 200
    check = ephemeral(bot)
    assert "`encuesta.csv` es una encuesta con 2 comentarios para *alineacion*: 2 nuevos" in all_text(check.params)
    done = press(bot, COMMIT, buttons(check)[COMMIT]["value"])
    assert "Guardé los comentarios de la encuesta en alineacion: 2 nuevos, 0 ya estaban." in all_text(done.params)
    assert [(score, text) for _, score, text, _, _ in stored(bot, CHANNEL)] == [
        (9, "La entrega llegó rápido, escríbanme a [email]"),
        (3, "El domicilio se demoró y el precio subió, llámenme al [phone]"),
    ]
    again = press(bot, COMMIT, buttons(check)[COMMIT]["value"])  # a second click stores nothing twice
    assert "ya están guardados" in all_text(again.params)
    assert len(stored(bot, CHANNEL)) == 2
