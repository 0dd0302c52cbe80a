"""The shared glossary through Slack: `/alinea definir`, the proposal's buttons and modals,
`/alinea glosario`. Signed requests into the real endpoint; Slack played by the double."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest

from bot.blocks.glossary import (
    ALIASES,
    APPROVE,
    CHANGES_VIEW,
    DEFINE_VIEW,
    DEFINITION,
    EXAMPLES,
    FORMULA,
    NAME,
    NON_EXAMPLES,
    OWNER,
    REASON,
    REQUEST_CHANGES,
    SOURCE_SYSTEM,
    VALUE,
)
from bot.loopback import LoopbackBot
from bot.slack_double import Call, slack_escape
from bot.transcript import render
from db import repositories
from services import glossary
from tests.support.channel_team import load_team

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)  # 10:00 in Bogotá
ANA, LUIS, CARO, PEDRO = "U0ANA", "U0LUIS", "U0CARO", "U0PEDRO"  # marketing lead, sales lead, admin, nobody
CHANNEL = "C0TEAM"

WORDS = {
    "es": {
        "define": "definir", "glossary": "glosario", "history": "historial",
        "proposal": "Propuesta: MQL (versión {n})", "agreed": "Acordado: MQL (versión {n})",
        "replaced": "MQL (versión {n}): reemplazada", "withdrawn": "MQL (versión {n}): retirada",
        "approve": "Aprobar", "request_changes": "Pedir cambios",
        "posted": "Publiqué la propuesta de *MQL* (versión {n}) en <#C0TEAM>.",
        "needs_sales": "Falta la aprobación de Ventas (<@U0LUIS>).",
        "you_approved": "Aprobaste la versión {n} de *MQL*.", "now_agreed": "quedó acordada y ya está en vigor",
        "agreed_on": "Acordada el 10 de marzo de 2026 por <@U0ANA>, <@U0LUIS>.",
        "thread_agreed": "la versión {n} de *MQL* es la definición en vigor",
        "changes_vs": "Cambia respecto a la versión 1, la que está en vigor: Definición.",
        "in_force": "Versión {n}, en vigor", "pending": "Propuesta pendiente: versión {n}",
        "side_sales": "Ventas", "not_set_up": "Este canal todavía no tiene un equipo de alineación",
        "asked_changes": "<@U0CARO> pidió cambios (ver hilo).", "reason_empty": "Escribe qué hay que cambiar",
        "definition_missing": "Escribe la definición.", "modal_posted": "Publiqué la propuesta de *NPS*",
        "v2_pending": "*Versión 2* · pendiente de aprobación", "v1_in_force": "*Versión 1* · en vigor",
        "definition_change": "• Definición: Lead que pidió una demo → Lead que agendó una demo",
        "agreed_date": "Acordada el 10 de marzo de 2026.",
    },
    "en": {
        "define": "define", "glossary": "glossary", "history": "history",
        "proposal": "Proposal: MQL (version {n})", "agreed": "Agreed: MQL (version {n})",
        "replaced": "MQL (version {n}): replaced", "withdrawn": "MQL (version {n}): withdrawn",
        "approve": "Approve", "request_changes": "Request changes",
        "posted": "I posted the proposal for *MQL* (version {n}) in <#C0TEAM>.",
        "needs_sales": "Still needs approval from Sales (<@U0LUIS>).",
        "you_approved": "You approved version {n} of *MQL*.", "now_agreed": "it's now in force",
        "agreed_on": "Agreed on March 10, 2026 by <@U0ANA>, <@U0LUIS>.",
        "thread_agreed": "version {n} of *MQL* is now the definition in force",
        "changes_vs": "Changes from version 1, the one in force: Definition.",
        "in_force": "Version {n}, in force", "pending": "Pending proposal: version {n}",
        "side_sales": "Sales", "not_set_up": "This channel has no alignment team yet",
        "asked_changes": "<@U0CARO> asked for changes (see thread).", "reason_empty": "Write what needs to change",
        "definition_missing": "Write the definition.", "modal_posted": "I posted the proposal for *NPS*",
        "v2_pending": "*Version 2* · waiting for approval", "v1_in_force": "*Version 1* · in force",
        "definition_change": "• Definition: Lead que pidió una demo → Lead que agendó una demo",
        "agreed_date": "Agreed on March 10, 2026.",
    },
}
BOTH_LANGUAGES = pytest.mark.parametrize("team", ["es", "en"], indirect=True)


@pytest.fixture
def bot(settings, double, transport) -> Iterator[LoopbackBot]:
    """The app with a fixed clock (time is a parameter), and the team's people in Slack."""
    for user_id, name in ((LUIS, "luis"), (CARO, "caro"), (PEDRO, "pedro")):
        double.add_user(user_id, name=name)
    with LoopbackBot(settings, double=double, clock=lambda: NOW, transport=transport) as bot:
        yield bot


pytestmark = pytest.mark.team(now=NOW)  # no admins named, no KPIs


# Helpers -------------------------------------------------------------------------------------------


def stored_term(bot: LoopbackBot, query: str = "MQL") -> glossary.TermView:
    with bot.runtime.session_factory() as session:
        return glossary.find(session, team=load_team(session, bot), query=query)


def audit_actions(bot: LoopbackBot) -> list[str]:
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        return [e.action for e in repositories.audit_entries(session, workspace_id=workspace.id, entity_type="glossary_version")]


def command(bot: LoopbackBot, text: str, user_id: str = ANA, channel_id: str = CHANNEL) -> Call:
    _, reply = bot.command(text, user_id=user_id, channel_id=channel_id)
    assert reply.ok, reply.response
    return reply


def define(bot: LoopbackBot, lang: str, text: str, user_id: str = ANA) -> Call:
    return command(bot, f"{WORDS[lang]['define']} {slack_escape(text)}", user_id)


def top_level(bot: LoopbackBot) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") in (None, m["ts"])]


def thread(bot: LoopbackBot, ts: str) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") == ts and m["ts"] != ts]


def claim(message: dict[str, Any]) -> str:
    return message["metadata"]["event_payload"]["claim"]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]


def title(message: dict[str, Any]) -> str:
    return message["blocks"][0]["text"]["text"]


def proposal_of(bot: LoopbackBot, version_id: int) -> dict[str, Any]:
    return next(m for m in top_level(bot) if claim(m) == f"glossary-version-{version_id}")


def latest_proposal(bot: LoopbackBot) -> tuple[dict[str, Any], int]:
    message = top_level(bot)[-1]
    return message, int(claim(message).rsplit("-", 1)[1])


def click(bot: LoopbackBot, action_id: str, version_id: int, user_id: str, *, trigger_id: str | None = None):
    message = proposal_of(bot, version_id)
    return bot.driver.block_action(
        action_id, value=str(version_id), user_id=user_id, channel_id=CHANNEL, message={"ts": message["ts"]},
        trigger_id=trigger_id,
    )


def approve(bot: LoopbackBot, version_id: int, user_id: str) -> Call:
    result = click(bot, APPROVE, version_id, user_id)
    assert result.status == 200
    reply = bot.double.wait_for_response(result.response_url)[0]
    assert reply.ok, reply.response
    return reply


def agreed_mql(bot: LoopbackBot, lang: str, definition: str = "Lead que pidió una demo") -> int:
    define(bot, lang, f"MQL: {definition}")
    _, version_id = latest_proposal(bot)
    approve(bot, version_id, LUIS)
    return version_id


def text_input(value: str) -> dict[str, Any]:
    return {VALUE: {"type": "plain_text_input", "value": value}}


def define_form(name="NPS", definition="Índice de recomendación de clientes", **fields) -> dict[str, Any]:
    blocks = {NAME: name, DEFINITION: definition, FORMULA: "", SOURCE_SYSTEM: "", EXAMPLES: "", NON_EXAMPLES: "", ALIASES: ""}
    blocks.update({block: fields[key] for key, block in (
        ("formula", FORMULA), ("source_system", SOURCE_SYSTEM), ("examples", EXAMPLES),
        ("non_examples", NON_EXAMPLES), ("aliases", ALIASES),
    ) if key in fields})
    values = {block: text_input(value) for block, value in blocks.items()}
    owner = fields.get("owner", "both")
    values[OWNER] = {VALUE: {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": owner}, "value": owner}}}
    return values


def metadata(**extra) -> str:
    return json.dumps({"channel_id": CHANNEL, "locale": "es", **extra})


# Proposing and approving -------------------------------------------------------------------------------


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_a_one_line_definition_is_posted_with_approve_and_request_changes(bot, team):
    words = WORDS[team]
    reply = define(bot, team, "MQL: Lead que pidió una demo y cumple el perfil")

    message, version_id = latest_proposal(bot)
    assert claim(message) == f"glossary-version-{version_id}"
    assert title(message) == words["proposal"].format(n=1)
    assert "Lead que pidió una demo y cumple el perfil" in render(message)
    approve_button, changes_button = buttons(message)
    assert (approve_button["action_id"], approve_button["style"], approve_button["value"]) == (APPROVE, "primary", str(version_id))
    assert (changes_button["action_id"], changes_button["value"]) == (REQUEST_CHANGES, str(version_id))
    assert [approve_button["text"]["text"], changes_button["text"]["text"]] == [words["approve"], words["request_changes"]]

    shown = render(reply.params)
    assert reply.params["response_type"] == "ephemeral"
    assert words["posted"].format(n=1) in shown
    assert f"https://alinea-double.slack.com/archives/C0TEAM/p{message['ts'].replace('.', '')}" in shown
    assert words["needs_sales"] in shown
    term = stored_term(bot)
    assert (term.pending.channel_id, term.pending.message_ts) == (CHANNEL, message["ts"])
    assert term.pending.draft.owner_side.value == "both" and term.in_force is None


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_the_sales_lead_approves_and_the_definition_is_agreed(bot, team):
    words = WORDS[team]
    define(bot, team, "MQL: Lead que pidió una demo")
    message, version_id = latest_proposal(bot)

    reply = approve(bot, version_id, LUIS)

    assert words["you_approved"].format(n=1) in reply.params["text"] and words["now_agreed"] in reply.params["text"]
    update = bot.double.wait_for("chat.update")[-1]
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, message["ts"])
    updated = proposal_of(bot, version_id)
    assert title(updated) == words["agreed"].format(n=1)
    assert buttons(updated) == []
    assert words["agreed_on"] in render(updated)
    [announcement] = thread(bot, message["ts"])
    assert claim(announcement) == f"glossary-agreed-{version_id}"
    assert words["thread_agreed"].format(n=1) in announcement["text"]
    assert stored_term(bot).in_force.id == version_id
    assert audit_actions(bot) == [
        "glossary_version.proposed", "glossary_version.approved", "glossary_version.approved", "glossary_version.agreed",
    ]


@pytest.mark.parametrize("outsider", [PEDRO, CARO])
def test_only_leads_approve_and_a_refusal_changes_nothing(bot, team, outsider):
    define(bot, team, "MQL: Lead que pidió una demo")
    message, version_id = latest_proposal(bot)
    reply = approve(bot, version_id, outsider)
    assert reply.params["response_type"] == "ephemeral"
    assert "Solo los líderes de mercadeo y de ventas" in reply.params["text"]
    assert bot.double.calls_to("chat.update") == []
    assert proposal_of(bot, version_id) == message
    assert len(stored_term(bot).pending.approvals) == 1


def test_approving_twice_is_refused(bot, team):
    define(bot, team, "MQL: Lead que pidió una demo")
    _, version_id = latest_proposal(bot)
    reply = approve(bot, version_id, ANA)  # proposing already counted as her approval
    assert "Ya aprobaste la versión 1 de `MQL`" in reply.params["text"]
    approve(bot, version_id, LUIS)
    updates = len(bot.double.calls_to("chat.update"))
    reply = approve(bot, version_id, LUIS)
    assert "La versión 1 de `MQL` ya está acordada" in reply.params["text"]
    assert len(bot.double.calls_to("chat.update")) == updates
    assert audit_actions(bot).count("glossary_version.approved") == 2


def test_a_replaced_proposal_is_marked_and_cannot_be_approved(bot, team):
    define(bot, team, "MQL: Lead que pidió una demo")
    _, first = latest_proposal(bot)
    reply = define(bot, team, "MQL: Lead que pidió una demo y tiene presupuesto")
    _, second = latest_proposal(bot)
    assert "Reemplaza la propuesta que estaba pendiente (versión 1), que quedó retirada." in render(reply.params)

    withdrawn = proposal_of(bot, first)
    assert title(withdrawn) == WORDS["es"]["withdrawn"].format(n=1)
    assert "la reemplazó la versión 2" in render(withdrawn) and buttons(withdrawn) == []

    updates = len(bot.double.calls_to("chat.update"))
    reply = approve(bot, first, LUIS)
    assert "La versión 1 de `MQL` ya fue reemplazada" in reply.params["text"]
    assert len(bot.double.calls_to("chat.update")) == updates
    term = stored_term(bot)
    assert term.pending.id == second and term.in_force is None


def test_a_new_version_waits_while_the_one_in_force_stays(bot, team):
    words = WORDS["es"]
    # Version 1 through the form, with every field; version 2 changes only the definition.
    bot.driver.slash_command("definir", user_id=ANA, channel_id=CHANNEL)
    view = bot.double.wait_for("views.open")[-1].params["view"]
    bot.driver.view_submission(DEFINE_VIEW, define_form(
        name="MQL", definition="Lead que pidió una demo", owner="marketing", formula="leads con demo / leads",
        source_system="HubSpot", examples="Pidió demo por la web", non_examples="Solo descargó un ebook", aliases="lead calificado",
    ), private_metadata=view["private_metadata"])
    bot.double.wait_for("chat.postEphemeral")
    _, first = latest_proposal(bot)
    approve(bot, first, LUIS)

    reply = define(bot, "es", "MQL: Lead que agendó una demo", user_id=LUIS)
    message, second = latest_proposal(bot)
    assert words["changes_vs"] in render(message) and words["changes_vs"] in render(reply.params)
    assert "Falta la aprobación de Mercadeo (<@U0ANA>)." in render(reply.params)
    term = stored_term(bot, "lead calificado")  # aliases carried over too
    assert term.in_force.id == first and term.pending.id == second
    assert term.pending.draft.formula == "leads con demo / leads" and term.pending.draft.source_system == "HubSpot"
    assert term.pending.draft.owner_side.value == "marketing" and term.pending.draft.aliases == ("lead calificado",)

    shown = render(command(bot, "glosario MQL").params)
    assert words["in_force"].format(n=1) in shown and "Lead que pidió una demo" in shown
    assert words["pending"].format(n=2) in shown and "Lead que agendó una demo" in shown

    approve(bot, second, ANA)
    replaced = proposal_of(bot, first)
    assert title(replaced) == words["replaced"].format(n=1)
    assert "la reemplazó la versión 2" in render(replaced)
    assert title(proposal_of(bot, second)) == words["agreed"].format(n=2)
    assert stored_term(bot).in_force.id == second


# Asking for changes ------------------------------------------------------------------------------------


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_request_changes_opens_a_modal_and_posts_the_reason_in_the_thread(bot, team):
    words = WORDS[team]
    define(bot, team, "MQL: Lead que pidió una demo")
    message, version_id = latest_proposal(bot)

    result = click(bot, REQUEST_CHANGES, version_id, CARO, trigger_id="111.222.abc")
    assert result.status == 200
    opened = bot.double.wait_for("views.open")[-1]
    assert opened.ok and opened.params["trigger_id"] == "111.222.abc"
    view = opened.params["view"]
    assert view["callback_id"] == CHANGES_VIEW
    assert json.loads(view["private_metadata"])["version_id"] == version_id

    reason = "Falta aclarar si cuenta los leads de WhatsApp <!here> & los de ferias"
    submitted = bot.driver.view_submission(
        CHANGES_VIEW, {REASON: text_input(reason)}, private_metadata=view["private_metadata"], user_id=CARO
    )
    assert submitted.status == 200 and not submitted.body
    posted = bot.double.wait_for("chat.postMessage", lambda call: call.params.get("thread_ts") == message["ts"])[-1]
    assert claim(posted.params) == f"glossary-changes-{version_id}-1"
    assert "<@U0CARO>" in posted.params["text"]
    assert "&lt;!here&gt; &amp; los de ferias" in posted.params["text"] and "<!here>" not in posted.params["text"]
    [request] = stored_term(bot).pending.change_requests
    assert (request.user_id, request.reason) == (CARO, reason)
    ephemeral = bot.double.wait_for("chat.postEphemeral")[-1]
    assert ephemeral.params["user"] == CARO and ephemeral.params["channel"] == CHANNEL
    bot.double.wait_for("chat.update")
    assert words["asked_changes"] in render(proposal_of(bot, version_id))
    assert "glossary_version.changes_requested" in audit_actions(bot)


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_an_empty_reason_is_flagged_in_the_modal(bot, team):
    define(bot, team, "MQL: Lead que pidió una demo")
    _, version_id = latest_proposal(bot)
    result = bot.driver.view_submission(
        CHANGES_VIEW, {REASON: text_input("   ")}, private_metadata=metadata(version_id=version_id, locale=team), user_id=CARO
    )
    answer = result.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [REASON] and WORDS[team]["reason_empty"] in answer["errors"][REASON]
    assert stored_term(bot).pending.change_requests == ()


def test_someone_outside_the_team_cannot_ask_for_changes(bot, team):
    define(bot, team, "MQL: Lead que pidió una demo")
    _, version_id = latest_proposal(bot)
    result = click(bot, REQUEST_CHANGES, version_id, PEDRO)
    reply = bot.double.wait_for_response(result.response_url)[0]
    assert "Solo los líderes y administradores del equipo pueden pedir cambios" in reply.params["text"]
    assert bot.double.calls_to("views.open") == []


# The form ---------------------------------------------------------------------------------------------


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_define_without_text_opens_the_form_and_submitting_it_proposes(bot, team):
    words = WORDS[team]
    result = bot.driver.slash_command(words["define"], user_id=ANA, channel_id=CHANNEL)
    opened = bot.double.wait_for("views.open")[-1]
    assert opened.ok and opened.params["trigger_id"] == result.trigger_id
    view = opened.params["view"]
    assert view["callback_id"] == DEFINE_VIEW
    assert [block.get("block_id") for block in view["blocks"] if block["type"] == "input"] == [
        NAME, DEFINITION, OWNER, FORMULA, SOURCE_SYSTEM, EXAMPLES, NON_EXAMPLES, ALIASES,
    ]
    assert json.loads(view["private_metadata"]) == {"channel_id": CHANNEL, "locale": team}

    submitted = bot.driver.view_submission(
        DEFINE_VIEW, define_form(owner="sales", formula="promotores - detractores", source_system="Typeform", aliases="net promoter score"),
        private_metadata=view["private_metadata"],
    )
    assert submitted.status == 200 and not submitted.body
    ephemeral = bot.double.wait_for("chat.postEphemeral")[-1]
    assert (ephemeral.params["channel"], ephemeral.params["user"]) == (CHANNEL, ANA)
    assert words["modal_posted"] in ephemeral.params["text"]
    message, _ = latest_proposal(bot)
    shown = render(message)
    for value in ("Índice de recomendación de clientes", words["side_sales"], "promotores - detractores", "Typeform", "net promoter score"):
        assert value in shown
    assert len(buttons(message)) == 2
    assert stored_term(bot, "net promoter score").pending.draft.source_system == "Typeform"


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_form_mistakes_are_shown_beside_their_fields(bot, team):
    meta = metadata(locale=team)
    missing = bot.driver.view_submission(DEFINE_VIEW, define_form(definition="  "), private_metadata=meta).json()
    assert missing["response_action"] == "errors"
    assert missing["errors"] == {DEFINITION: WORDS[team]["definition_missing"]}
    alias = bot.driver.view_submission(DEFINE_VIEW, define_form(aliases="nps"), private_metadata=meta).json()
    assert list(alias["errors"]) == [ALIASES]
    no_name = bot.driver.view_submission(DEFINE_VIEW, define_form(name="¿?"), private_metadata=meta).json()
    assert list(no_name["errors"]) == [NAME]
    assert top_level(bot) == []


# Reading the glossary -------------------------------------------------------------------------------


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_list_term_and_history(bot, team):
    words = WORDS[team]
    first = agreed_mql(bot, team, "Lead que pidió una demo")
    define(bot, team, "MQL: Lead que agendó una demo", user_id=LUIS)
    define(bot, team, "SQL: Lead que ventas aceptó", user_id=ANA)

    listing = render(command(bot, words["glossary"]).params)
    agreed_part, pending_part = listing.split("-" * 40)
    assert "*MQL* (" in agreed_part and "Lead que pidió una demo" in agreed_part and "SQL" not in agreed_part
    assert "*MQL* (" in pending_part and "*SQL* (" in pending_part
    assert words["side_sales"] in pending_part.split("*SQL*")[1]

    history = render(command(bot, f"{words['glossary']} mql {words['history']}").params)
    assert history.index(words["v2_pending"]) < history.index(words["definition_change"]) < history.index(words["v1_in_force"])
    assert words["agreed_date"] in history
    assert stored_term(bot).in_force.id == first

    hint = command(bot, f"{words['glossary']} {words['history']}").params["text"]
    assert f"/alinea {words['glossary']} MQL {words['history']}" in hint


def test_an_empty_glossary_invites_the_first_proposal(bot, team):
    reply = command(bot, "glosario")
    assert "Todavía no hay términos en el glosario" in reply.params["text"]
    assert "/alinea definir MQL:" in reply.params["text"]
    reply = command(bot, "glosario MQL")
    assert "No encuentro el término `MQL` en el glosario" in reply.params["text"]


def test_an_unknown_term_suggests_the_closest(bot, team):
    define(bot, "es", "MQL: Lead que pidió una demo")
    reply = command(bot, "glosario MQLL")
    assert reply.params["text"] == "No encuentro el término `MQLL`. ¿Quisiste decir: MQL?"
    reply = command(bot, "glosario xyz historial")
    assert "No encuentro el término `xyz` en el glosario" in reply.params["text"]


def test_accents_and_case_name_the_same_term(bot, team):
    define(bot, "es", "Conversión: Porcentaje de leads que compran")
    shown = render(command(bot, "glosario CONVERSION").params)
    assert shown.startswith("Conversión")
    define(bot, "es", "conversion: Porcentaje de MQL que compran")
    message, _ = latest_proposal(bot)
    assert title(message) == "Propuesta: Conversión (versión 2)"


def test_a_long_glossary_stays_within_slacks_limits(bot, team):
    with bot.runtime.session_factory.begin() as session:
        team_row = load_team(session, bot)
        for number in range(120):
            glossary.propose(
                session, team=team_row, actor=ANA, now=NOW,
                draft=glossary.TermDraft(name=f"Término {number:03d}", definition=f"Definición {number} " + "x" * 400),
            )
    reply = command(bot, "glosario")  # the double answers invalid_blocks past 50 blocks or 3,000 characters
    assert len(reply.params["blocks"]) <= 50
    assert "Término 000" in render(reply.params)


def test_a_proposal_saved_but_not_posted_is_posted_when_the_person_tries_again(bot, team):
    bot.double.fail_next("chat.postMessage", status=403)
    reply = define(bot, "es", "MQL: Lead que pidió una demo")
    assert "Algo falló" in reply.params["text"]
    assert top_level(bot) == [] and stored_term(bot).pending.message_ts is None

    reply = define(bot, "es", "MQL: Lead que pidió una demo")
    assert WORDS["es"]["posted"].format(n=1) in reply.params["text"]
    [message] = top_level(bot)
    assert stored_term(bot).pending.message_ts == message["ts"]
    reply = define(bot, "es", "MQL: Lead que pidió una demo")  # now posted: a true duplicate
    assert "Ya hay una propuesta idéntica de `MQL`" in reply.params["text"]
    assert len(top_level(bot)) == 1


# Safety ------------------------------------------------------------------------------------------------


def test_typed_mentions_and_links_are_stored_as_typed_and_never_reach_slack_raw(bot, team):
    typed = "Lead que avisa a <!channel> y a <@U0PEDRO> con <https://evil.example|click> & más"
    define(bot, "es", f"MQL: {typed}")
    _, version_id = latest_proposal(bot)
    assert stored_term(bot).pending.draft.definition == typed

    assert click(bot, REQUEST_CHANGES, version_id, LUIS).status == 200
    view = bot.double.wait_for("views.open")[-1].params["view"]
    bot.driver.view_submission(CHANGES_VIEW, {REASON: text_input(f"Quita {typed}")}, private_metadata=view["private_metadata"], user_id=LUIS)
    bot.double.wait_for("chat.postEphemeral")
    approve(bot, version_id, LUIS)
    command(bot, "glosario")
    command(bot, "glosario MQL")
    command(bot, "glosario MQL historial")
    define(bot, "es", "MQL: Lead nuevo", user_id=LUIS)
    command(bot, "glosario MQL historial")
    command(bot, "glosario MQL")
    _, second = latest_proposal(bot)
    approve(bot, second, ANA)  # the first version's message is redrawn as replaced
    assert "la reemplazó la versión 2" in render(proposal_of(bot, version_id))

    calls = bot.double.calls
    assert calls and all(call.ok for call in calls), [call.summary() for call in calls if not call.ok]
    for call in calls:
        payload = json.dumps(call.params, ensure_ascii=False)
        for raw in ("<!channel>", "<@U0PEDRO", "<https://evil"):
            assert raw not in payload, (call.method, payload)
    shown = [json.dumps(call.params, ensure_ascii=False) for call in calls]
    assert sum("&lt;!channel&gt;" in payload for payload in shown) >= 6


def test_a_channel_without_a_team_is_told_how_to_set_one_up(bot, team):
    for text in ("glosario", "definir MQL: Lead que pidió una demo", "definir", "glosario MQL historial"):
        reply = command(bot, text, channel_id="C0OTHER")
        assert WORDS["es"]["not_set_up"] in reply.params["text"]
        assert "/alinea configurar mercadeo @ana ventas @luis" in reply.params["text"]
    reply = command(bot, "glossary", user_id="U0TOM", channel_id="C0OTHER")
    assert WORDS["en"]["not_set_up"] in reply.params["text"] and "/alinea setup marketing @ana sales @luis" in reply.params["text"]
    assert bot.double.calls_to("views.open") == [] and bot.double.messages(CHANNEL) == []


def test_a_proposal_without_a_channel_post_is_approved_from_its_detail(bot, team):
    """Terms imported from a spreadsheet have no message in the channel: the term's detail
    carries the buttons, and the leads agree it from there."""
    with bot.runtime.session_factory.begin() as session:
        proposal = glossary.propose(
            session, team=load_team(session, bot), actor="cli", draft=glossary.TermDraft("CAC", "Costo de adquirir un cliente"), now=NOW,
        )
    detail = command(bot, "glosario cac", user_id=ANA)
    (actions_block,) = [block for block in detail.params["blocks"] if block["type"] == "actions"]
    assert [element["value"] for element in actions_block["elements"]] == [str(proposal.version.id)] * 2
    for lead in (ANA, LUIS):
        result = bot.driver.block_action(APPROVE, value=str(proposal.version.id), user_id=lead, channel_id=CHANNEL)
        assert bot.double.wait_for_response(result.response_url)[0].ok
    assert stored_term(bot, "CAC").in_force.id == proposal.version.id
