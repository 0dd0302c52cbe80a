"""OKRs as Block Kit: pure rendering of the service's views, no Slack, no database. Every message
and modal is checked with the Slack double's validator (as strict as Slack), in both languages."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from domain.locales import TeamLocale
from bot.blocks.okr import (
    ADD_KR_OPEN,
    CHECKIN_OPEN,
    NEW_OPEN,
    RetargetShown,
    bar,
    board_reply,
    checked_in_reply,
    checkin_modal,
    closed_post,
    created_reply,
    key_result_detail,
    key_result_modal,
    kr_lines,
    new_objective_modal,
    objective_detail,
    objective_post,
    percent,
    progress_bar,
    retarget_post,
    retargeted_reply,
    status_text,
)
from bot.slack_double.validation import message_blocks_errors, view_errors
from bot.transcript import render
from db.models import ObjectiveStatus
from domain.glossary import Side
from domain.kpis import KpiSpec
from domain.okr import FocusWarning, Guardrail, KeyResult, Milestone, ObjectiveKind, Status
from domain.sla import Comparator
from services.okr import Board, KeyResultCheckIn, KeyResultRetarget, KeyResultView, ObjectiveView, Reading

ES = TeamLocale(language="es", country="CO", timezone="America/Bogota")
EN = TeamLocale(language="en", country="US", timezone="America/Bogota")
TODAY = date(2026, 4, 21)
MOBILE = KpiSpec(key="mobile_conversion", name_es="Conversión en móvil", name_en="Mobile conversion rate", unit="percent", aggregation="average", side="marketing")


def key_result(number=1, *, metric="clientes con recompra", baseline="120", target="150", unit=None, current="129",
               progress=0.3, status=Status.AT_RISK, spec=None, active=True, guardrail_broken=False, confidence=None,
               note="", checked=None, retargets=0, scale=None, owner="U0ANA") -> KeyResultView:
    guardrail = Guardrail("margen bruto", Comparator.AT_LEAST, D(45), "%") if guardrail_broken else None
    result = KeyResult(
        number=number, metric=metric, baseline=D(baseline), target=D(target), start=date(2026, 3, 10), deadline=date(2026, 6, 30),
        unit=unit, kpi_key=spec.key if spec else None, owner=owner, sides=frozenset({Side.MARKETING}),
        milestones=(Milestone(date(2026, 5, 15), D(baseline) + (D(target) - D(baseline)) / 2),), scale=D(scale) if scale else None,
        guardrail=guardrail, confidence=confidence,
    )
    return KeyResultView(
        id=number, objective_id=1, objective_number=1, result=result, spec=spec,
        current=Reading(D(current), "checkin", TODAY) if current is not None else None, progress=progress, expected=0.4,
        status=status, guardrail_value=D(40) if guardrail_broken else None, guardrail_broken=guardrail_broken,
        last_checkin_at=checked, note=note, retargets=retargets, objective_active=active,
    )


def objective(number=1, key_results=(), *, title="Que los clientes vuelvan a comprar", kind=ObjectiveKind.COMMITTED,
              active=True, score=None) -> ObjectiveView:
    if score is None and key_results:
        score = sum(kr.progress for kr in key_results) / len(key_results)
    return ObjectiveView(
        id=number, number=number, title=title, kind=kind, status=ObjectiveStatus.ACTIVE if active else ObjectiveStatus.CLOSED,
        created_by="U0ANA", key_results=tuple(key_results), score=score,
    )


def valid(reply) -> str:
    """The reply passes Slack's rules; its text has no message id left untranslated."""
    assert message_blocks_errors(reply.blocks) == []
    text = render({"blocks": reply.blocks})
    assert "okr.ui." not in text and "okr.ui." not in reply.text
    assert all(len((block.get("text") or {}).get("text", "")) <= 3000 for block in reply.blocks)
    return text


@pytest.mark.parametrize(
    "progress, expected",
    [(0, "▱" * 10), (0.05, "▱" * 10), (0.1, "▰" + "▱" * 9), (0.34, "▰▰▰▱▱▱▱▱▱▱"), (0.5, "▰" * 5 + "▱" * 5),
     (0.999, "▰" * 9 + "▱"), (1, "▰" * 10), (1.7, "▰" * 10), (-0.2, "▱" * 10)],
)
def test_progress_bar(progress, expected):
    assert progress_bar(progress) == expected
    assert len(progress_bar(progress)) == 10


@pytest.mark.parametrize(
    "progress, where, expected",
    [(0.3, ES, "30\u00a0%"), (0.3, EN, "30%"), (0.005, ES, "1\u00a0%"), (0.994, EN, "99%"), (1.2, ES, "100\u00a0%"), (0, EN, "0%")],
)
def test_percent_in_the_teams_way(progress, where, expected):
    assert percent(progress, where) == expected


def test_the_bar_reads_on_a_phone():
    assert bar(0.3, ES) == "▰▰▰▱▱▱▱▱▱▱ 30\u00a0%"
    assert bar(0.3, EN) == "▰▰▰▱▱▱▱▱▱▱ 30%"


@pytest.mark.parametrize(
    "status, language, expected",
    [(Status.ON_TRACK, "es", "🟢 En camino"), (Status.AT_RISK, "es", "🟡 En riesgo"), (Status.OFF_TRACK, "es", "🔴 Desviado"),
     (Status.ON_TRACK, "en", "🟢 On track"), (Status.AT_RISK, "en", "🟡 At risk"), (Status.OFF_TRACK, "en", "🔴 Off track")],
)
def test_status_is_an_emoji_and_a_word(status, language, expected):
    assert status_text(status, language) == expected


def test_a_key_result_line_with_its_kpi_guardrail_and_owner():
    kr = key_result(2, metric="Conversión en móvil", baseline="1.2", target="1.6", unit="%", current="1.4", progress=0.5,
                    status=Status.ON_TRACK, spec=MOBILE, guardrail_broken=True, owner="U0LUIS")
    assert kr_lines(kr, ES).splitlines() == [
        "*KR2* · Conversión en móvil · 📈 KPI `mobile_conversion`",
        "▰▰▰▰▰▱▱▱▱▱ 50\u00a0% · 🟢 En camino",
        "Ahora: 1,4\u00a0% · de 1,2\u00a0% a 1,6\u00a0% al 30 jun 2026",
        "Responsable: <@U0LUIS>",
        "⛔ Salvaguarda rota: margen bruto debe ser ≥ 45\u00a0% y va en 40\u00a0%",
    ]
    assert kr_lines(kr, EN).splitlines()[2] == "Now: 1.4% · from 1.2% to 1.6% by Jun 30, 2026"
    assert "Guardrail broken: margen bruto must be ≥ 45% and is at 40%" in kr_lines(kr, EN)


def test_ratings_show_their_scale_and_no_value_says_so():
    kr = key_result(metric="satisfacción", baseline="8.2", target="9", current=None, scale="10", progress=0)
    assert "Ahora: sin dato aún · de 8,2 de 10 a 9 de 10 al 30 jun 2026" in kr_lines(kr, ES)
    assert "Now: no value yet · from 8.2 of 10 to 9 of 10 by Jun 30, 2026" in kr_lines(kr, EN)


@pytest.mark.parametrize("where", [ES, EN])
def test_the_board_in_both_languages(where):
    first = objective(1, [key_result(1), key_result(2, spec=MOBILE, unit="%", baseline="1.2", target="1.6", current="1.4",
                                                     progress=0.5, status=Status.ON_TRACK)])
    second = objective(2, [key_result(3, progress=1.0, status=Status.ON_TRACK, current="150")], kind=ObjectiveKind.ASPIRATIONAL)
    closed = objective(3, [key_result(4, active=False, status=Status.OFF_TRACK)], active=False)
    warning = FocusWarning("okr.focus.too_many_key_results", {"objective": "<!channel> title", "count": "6", "limit": "5"})
    reply = board_reply(Board((first, second, closed), (warning,), TODAY), where, include_closed=True)
    text = valid(reply)
    es = where.language == "es"
    assert reply.blocks[0]["text"]["text"] == ("OKR del equipo (activos: 2, cerrados: 1)" if es else "Team OKRs (active: 2, closed: 1)")
    assert reply.blocks[1]["type"] == "context" and "&lt;!channel&gt; title" in text and "<!channel>" not in text
    assert ("Comprometido · Puntaje 0,4 de 1,0 · por debajo de 1,0" if es else "Committed · Score 0.4 of 1.0 · below 1.0") in text
    assert ("✅ buen puntaje para un objetivo aspiracional (0,7 o más)" if es else "✅ a good score (0.7 or more for aspirational objectives)") in text
    assert ("🔒 Cerrado" if es else "🔒 Closed") in text
    checkins = [block["accessory"]["value"] for block in reply.blocks if block.get("accessory", {}).get("action_id") == CHECKIN_OPEN]
    assert checkins == ["1", "2", "3"]  # none on the closed objective's KR4
    adds = [block["accessory"]["value"] for block in reply.blocks if block.get("accessory", {}).get("action_id") == ADD_KR_OPEN]
    assert adds == ["1", "2"]
    assert reply.blocks[-1]["elements"][0]["action_id"] == NEW_OPEN


def test_an_empty_board_invites_the_first_objective_in_both_languages():
    for where, words in ((ES, "`/alinea okr nuevo`"), (EN, "`/alinea okr new`")):
        reply = board_reply(Board((), (), TODAY), where)
        assert words in valid(reply)
        assert reply.blocks[-1]["elements"][0]["action_id"] == NEW_OPEN


def test_a_long_board_is_cut_with_a_count_of_what_is_left():
    objectives = tuple(objective(n, [key_result(n * 10 + k) for k in range(5)], title="x" * 150) for n in range(1, 13))
    reply = board_reply(Board(objectives, (), TODAY), EN)
    text = valid(reply)
    assert len(reply.blocks) == 50
    assert "… and more: O8, O9, O10, O11, O12 don't fit here in full (key results not shown: 22). See them with `/alinea okr show O8`." in text


@pytest.mark.parametrize("where", [ES, EN])
def test_details_posts_and_replies_are_valid_in_both_languages(where):
    checked = datetime(2026, 4, 20, 15, 0, tzinfo=timezone.utc)
    kr = key_result(1, note="todo <@U0PEDRO> bien", checked=checked, confidence=6, retargets=1, guardrail_broken=True)
    goal = objective(1, [kr, key_result(2, owner="U0LUIS")])
    change = RetargetShown(D(160), D(150), date(2026, 5, 31), date(2026, 6, 30), "la <!here> campaña", "U0ANA", checked)
    for reply in (
        objective_detail(goal, where),
        key_result_detail(kr, goal, [change], where),
        objective_post(goal, where, actor="U0ANA"),
        objective_post(objective(2), where, actor="U0ANA"),
        created_reply(objective(2), where, channel_id="C0TEAM", posted=True, example="/alinea okr kr add O2 x de 1 a 2 al 30/06/2026"),
        checked_in_reply(KeyResultCheckIn(kr, key_result(1, current=None, progress=0.0, status=Status.ON_TRACK)), where),
        retargeted_reply(KeyResultRetarget(kr, D(160), date(2026, 5, 31), "la <!here> campaña"), where, channel_id="C0TEAM", posted=False),
        retarget_post(KeyResultRetarget(kr, D(160), date(2026, 5, 31), "porque sí"), where, actor="U0ANA"),
        closed_post(objective(1, [kr], active=False), where, actor="U0CARO"),
    ):
        text = valid(reply)
        payload = json.dumps(reply.blocks, ensure_ascii=False) + reply.text
        assert "<!here>" not in payload and "<@U0PEDRO>" not in payload
        assert "<@U0ANA>" in text or "<@U0CARO>" in text or "C0TEAM" in text or "KR1" in text
    detail = render({"blocks": key_result_detail(kr, goal, [change], where).blocks})
    es = where.language == "es"
    assert ("meta de 160 a 150; fecha límite del 31 may 2026 al 30 jun 2026" if es else "target from 160 to 150; deadline from May 31, 2026 to Jun 30, 2026") in detail
    assert ("Último check-in: 20 abr 2026 · confianza 6/10 · nota: «todo &lt;@U0PEDRO&gt; bien»" if es
            else "Last check-in: Apr 20, 2026 · confidence 6/10 · note: “todo &lt;@U0PEDRO&gt; bien”") in detail


@pytest.mark.parametrize("where", [ES, EN])
def test_the_modals_are_valid_views_in_both_languages(where):
    kpis = [(f"kpi_{n}", f"Indicador {n} " + "x" * 80) for n in range(120)]  # more than a select may hold
    mine = [key_result(1), key_result(2, spec=MOBILE, unit="%", metric="<!channel> " + "y" * 300)]
    for view in (
        new_objective_modal(where, kpis=kpis, today=TODAY, metadata="{}", owner="U0ANA"),
        new_objective_modal(where, kpis=[], today=TODAY, metadata="{}", owner=None),
        key_result_modal(where, objective(1), kpis=kpis[:3], today=TODAY, metadata="{}", owner="U0ANA"),
        checkin_modal(where, mine, selected=2, metadata="{}"),
        checkin_modal(where, mine, selected=None, metadata="{}"),
    ):
        assert view_errors(view) == []
        dumped = json.dumps(view, ensure_ascii=False)
        assert "okr.ui." not in dumped and "okr.kind." not in dumped
        assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    checkin = checkin_modal(where, mine, selected=2, metadata="{}")
    select = next(block for block in checkin["blocks"] if block.get("block_id") == "okr-checkin-kr")["element"]
    assert select["initial_option"]["value"] == "2" and all(len(o["text"]["text"]) <= 75 for o in select["options"])
    summary = checkin["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt;" in summary and "<!channel>" not in summary
