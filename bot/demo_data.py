"""A demo team with a believable history: a Colombian online gift shop whose marketing and sales
teams have aligned for 12 weeks. Used by `alinea demo` and by `bench/agendas.py`.

Everything goes in through the services, as people would have typed it (values, agreed terms,
SLAs accepted by both leads and evaluated, OKRs with check-ins, topics, last week's experiment),
so the agenda built from it is the agenda a real team would get. The numbers come from a seeded
generator: every run tells the same story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from db import repositories
from db.models import AlignmentTeam
from domain.glossary import Side, TermDraft
from domain.okr import parse_objective
from domain.okr_checkin_line import parse_checkin
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import agenda_topics, breach_evaluation, experiments, feedback, glossary, kpis, okr, sla, teams, workspaces
from services.experiments import Result
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

BOGOTA = "America/Bogota"
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"  # marketing lead, sales lead, admin
PEOPLE = ((ANA, "ana", "es-LA"), (LUIS, "luis", "es-LA"), (CARO, "caro", "es-LA"))
WEEKS = 12
TERMS = (
    TermDraft("MQL", "Lead que pidió una cotización o un catálogo y compró o visitó la tienda en los últimos 90 días.", Side.MARKETING,
              source_system="Shopify + formulario de WhatsApp", aliases=("lead calificado",)),
    TermDraft("SQL", "MQL con el que ventas habló por WhatsApp o teléfono y confirmó presupuesto y fecha de compra.", Side.SALES,
              source_system="CRM"),
    TermDraft("Venta atribuible", "Pedido pagado cuyo primer contacto vino de una campaña de mercadeo en los 30 días anteriores.",
              Side.BOTH, formula="pedidos pagados con UTM de campaña ≤ 30 días", aliases=("venta de mercadeo",)),
)
FEEDBACK_DAYS = 35  # a month and a bit: the monthly agenda compares the month with the one before
# What the shop's customers say (source, score or None, text), personal data included on purpose:
# it is removed on the way in, as it would be from a real survey or chat.
CUSTOMER_SAYINGS = (
    ("whatsapp", None, "Llevo tres días preguntando por mi pedido y nadie responde"),
    ("whatsapp", None, "El domicilio no ha llegado, mi cel es 310 555 1234"),
    ("survey", 3, "La entrega se demoró una semana y el paquete llegó roto"),
    ("survey", 4, "El envío a Cali es muy caro para lo que cuesta el kit"),
    ("survey", 9, "Todo perfecto, la asesora fue muy amable"),
    ("survey", 10, "Excelente, llegó antes de lo prometido"),
    ("survey", 8, "Buen producto, el empaque podría mejorar"),
    ("review", 2, "Pedí la devolución hace un mes y no me han reembolsado; escríbanme a cliente@correo.co"),
    ("support", None, "Me rechazaron la tarjeta en el checkout dos veces"),
    ("support", None, "Estaba agotado el kit que vi en Instagram"),
    ("crm", 6, "La respuesta por WhatsApp tarda demasiado en la noche"),
    ("survey", 7, "Bien, aunque la entrega fue lenta"),
)


@dataclass(frozen=True)
class DemoTeam:
    slack_team_id: str
    channel_id: str
    name: str


def _week_shape(rng: random.Random, week: int) -> dict[str, Decimal]:
    """One week of the shop: traffic grows towards the holidays and January's sales, conversion
    slips in the last weeks (the bottleneck the agenda should find)."""
    growth = 1 + week * 0.025
    sessions = int(19000 * growth * rng.uniform(0.94, 1.06))
    conversion = (1.45 if week < WEEKS - 3 else 1.25) * rng.uniform(0.95, 1.05) / 100
    orders = int(sessions * conversion)
    ticket = int(rng.uniform(138000, 156000) // 1000 * 1000)
    return {
        "sessions": Decimal(sessions), "orders": Decimal(orders), "avg_deal": Decimal(ticket),
        "sales_cop": Decimal(orders * ticket), "leads_mql": Decimal(int(rng.uniform(126, 150))),
        "sql": Decimal(int(rng.uniform(44, 58))),
        "followup_hours": Decimal(str(round(rng.uniform(14, 21) if week < WEEKS - 1 else 31.5, 1))),
        "cart_abandonment": Decimal(str(round(rng.uniform(72, 77), 1))),
        "repurchase_60d": Decimal(str(round(18 + week * 0.3 + rng.uniform(-0.4, 0.4), 1))),
        "whatsapp_close_rate": Decimal(str(round(rng.uniform(22, 27), 1))),
    }


_SUMS = {"sessions", "orders", "sales_cop", "leads_mql", "sql"}


def _days(rng: random.Random, key: str, weekly: Decimal, week: Period) -> list[tuple[date, Decimal]]:
    """The week's value spread over its days: sums split (weekends busier), averages jittered."""
    if key in _SUMS:
        weights = [1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.2]
        shares = [weight * rng.uniform(0.9, 1.1) for weight in weights]
        total = sum(shares)
        parts = [int(weekly * Decimal(share / total)) for share in shares]
        parts[-1] += int(weekly) - sum(parts)  # the week adds up exactly
        return [(day, Decimal(part)) for day, part in zip(week.days(), parts)]
    places = 0 if key == "avg_deal" else 1
    return [(day, Decimal(str(round(float(weekly) * rng.uniform(0.97, 1.03), places)))) for day in week.days()]


def seed(
    factory: sessionmaker[Session], team: DemoTeam, *, today: date, daily: bool = True, seed_value: int = 2026, with_feedback: bool = False,
) -> None:
    """Sets up the team and its history up to the week before `today`'s week; with `with_feedback`
    (`alinea demo`), customer feedback for the last FEEDBACK_DAYS days too. Off by default so the
    benchmarks and the tests built on this history keep the KPI catalog they were written for."""
    now = datetime.combine(today, time(6, 0), ZoneInfo(BOGOTA))
    first_week = Period.week_of(today)
    for _ in range(WEEKS):
        first_week = first_week.previous()
    started = datetime.combine(first_week.start - timedelta(days=3), time(9, 0), ZoneInfo(BOGOTA))
    with factory.begin() as session:
        _team_and_terms(session, team, started)
    rng = random.Random(seed_value)
    week = first_week
    for index in range(WEEKS):
        _log_week(factory, team, rng, index, week, daily=daily, now=datetime.combine(week.end, time(8, 0), ZoneInfo(BOGOTA)))
        week = week.next()
    with factory.begin() as session:
        _agreements(session, _load(session, team), started, first_week)
    with factory.begin() as session:
        breach_evaluation.evaluate(session, team=_load(session, team), now=now)
    with factory.begin() as session:
        _okrs_topics_experiment(session, _load(session, team), started, today, now)
    if with_feedback:
        with factory.begin() as session:
            _customer_feedback(session, _load(session, team), random.Random(seed_value), today, now)


def _load(session: Session, team: DemoTeam) -> AlignmentTeam:
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=team.slack_team_id)
    assert workspace is not None
    found = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=team.channel_id)
    assert found is not None
    return found


def _team_and_terms(session: Session, team: DemoTeam, at: datetime) -> None:
    workspace = workspaces.ensure_workspace(session, slack_team_id=team.slack_team_id, defaults=WorkspaceDefaults("es", BOGOTA), now=at)
    teams.setup_team(
        session, workspace_id=workspace.id, channel_id=team.channel_id, channel_name=team.name, actor=CARO, is_workspace_admin=True,
        changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(CARO,), language="es"),
        defaults=TeamDefaults(BOGOTA, "es"), now=at,
    )  # fmt: skip
    found = _load(session, team)
    for draft in TERMS:
        glossary.adopt(session, team=found, draft=draft, actor=ANA, now=at)
    kpis.enable_starter_set(session, team=found, actor=ANA, now=at, language="es")
    kpis.set_roles(session, team=found, role="primary", keys=["sales_cop"], actor=ANA, now=at)
    kpis.set_roles(session, team=found, role="support", keys=["conversion_web", "avg_deal"], actor=ANA, now=at)


def _log_week(factory, team: DemoTeam, rng: random.Random, index: int, week: Period, *, daily: bool, now: datetime) -> None:
    shape = _week_shape(rng, index)
    with factory.begin() as session:
        found = _load(session, team)
        for key, weekly in shape.items():
            readings = _days(rng, key, weekly, week) if daily else [(week.start, weekly)]
            for day, value in readings:
                period = Period.day(day) if daily else week
                kpis.record(session, team=found, key=key, value=value, shown=str(value), period=period,
                            source="demo", actor=LUIS if key in {"followup_hours", "sql", "whatsapp_close_rate"} else ANA,
                            note="", now=now)  # fmt: skip


def _agreements(session: Session, team: AlignmentTeam, at: datetime, first_week: Period) -> None:
    for proposer, accepter, line in ((LUIS, ANA, "ventas followup_hours <= 24 semanal"), (ANA, LUIS, "mercadeo leads_mql >= 120 semanal")):
        proposal = sla.propose(session, team=team, actor=proposer, terms=parse_commitment(line), now=at, starts_on=first_week.start)
        sla.accept(session, team=team, version_id=proposal.version.id, actor=accepter, now=at)


def _okrs_topics_experiment(session: Session, team: AlignmentTeam, started: datetime, today: date, now: datetime) -> None:
    # OKRs for the half-year `today` falls in (the demo's mid-March: January to June, about 40 %
    # of the way expected), so a team seeded on any day has objectives in progress.
    first_half = today.month <= 6
    start_text = f"01/01/{today.year}" if first_half else f"01/07/{today.year}"
    end_text = f"30/06/{today.year}" if first_half else f"31/12/{today.year}"
    plans: list[tuple[str, list[str]]] = [
        ("comprometido Fidelizar clientes incrementando la recompra trimestral", [
            f"repurchase_60d de 18 % a 24 % entre el {start_text} y el {end_text} dueño <@{ANA}>",
            f"clientes en el programa de referidos de 0 a 300 entre el {start_text} y el {end_text} dueño <@{LUIS}> con servicio",
        ]),
        ("aspiracional Convertir WhatsApp en nuestro mejor canal de ventas", [
            f"whatsapp_close_rate de 22 % a 30 % entre el {start_text} y el {end_text} dueño <@{LUIS}>",
            f"sales_cop de 40 a 55 millones COP entre el {start_text} y el {end_text} dueño <@{LUIS}> lado ventas",
        ]),
    ]  # fmt: skip
    for objective_text, lines in plans:
        objective = okr.create_objective(session, team=team, actor=ANA, draft=parse_objective(objective_text), now=started)
        for line in lines:
            draft = okr.parse_key_result_line(session, team=team, text=line, today=started.date())
            okr.add_key_result(session, team=team, actor=ANA, objective_id=objective.id, draft=draft, now=started)
    for text, at in (("KR1 confianza 7 la campaña de diciembre trajo clientes nuevos", now - timedelta(days=9)),
                     ("KR4 confianza 6 enero fue flojo, febrero repuntó", now - timedelta(days=9)),
                     ("KR2 140 confianza 6 arrancamos tarde con los cupones", now - timedelta(days=9)),
                     ("KR3 confianza 5", now - timedelta(days=9))):
        owner = okr.find_key_result(session, team=team, reference=text.split()[0]).owner_user_id
        okr.check_in(session, team=team, actor=owner, checkin=parse_checkin(text, language="es", country="CO"), now=at)
    agenda_topics.add(session, team=team, actor=LUIS, text="Costo del envío en diciembre: ¿gratis sobre 150 mil?", now=now - timedelta(days=4))
    agenda_topics.add(session, team=team, actor=ANA, text="Pauta en TikTok para los kits de regalo", now=now - timedelta(days=2))
    last_week = Period.week_of(today).previous()
    experiments.decide(session, team=team, actor=ANA, week=last_week, hypothesis="Mostrar el envío gratis en la ficha del producto sube la conversión web",
                       metric="conversion_web", owner=ANA, due=last_week.start + timedelta(days=4), now=now - timedelta(days=7))  # fmt: skip
    experiments.record_result(session, team=team, actor=ANA, week=last_week, result=Result.REFUTED,
                              note="la conversión no subió; el cuello parece estar en el checkout móvil", now=now - timedelta(days=2))


def _customer_feedback(session: Session, team: AlignmentTeam, rng: random.Random, today: date, now: datetime) -> None:
    """One or two things customers said each day, through the same service as `/alinea feedback`;
    the KPIs (NPS, CSAT, complaints) are counted once at the end, as a batch does."""
    moments = []
    for days_ago in range(FEEDBACK_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        for _ in range(rng.choice((1, 1, 2))):
            source, score, text = rng.choice(CUSTOMER_SAYINGS)
            moment = datetime.combine(day, time(rng.randint(8, 20), rng.choice((0, 15, 30, 45))), ZoneInfo(BOGOTA))
            feedback.record(session, team=team, actor=LUIS if source in {"whatsapp", "crm"} else ANA, text=text, source=source,
                            score=score, now=moment, count_kpis=False)  # fmt: skip
            moments.append(moment)
    feedback.count(session, team=team, received_at=moments, active=feedback.themes(session, team=team, now=now), now=now)


def demo_team(index: int = 0) -> DemoTeam:
    return DemoTeam(slack_team_id="T0DEMO", channel_id=f"C0DEMO{index:04d}" if index else "C0DEMO", name=f"tienda-{index}" if index else "alineacion-tienda")


def seeded(factory: sessionmaker[Session], *, today: date, count: int = 1, daily: bool = True, progress: Callable[[int], None] | None = None) -> list[DemoTeam]:
    """`count` demo teams in one workspace (the benchmark's 200; the demo's one)."""
    made = []
    for index in range(count):
        team = demo_team(index)
        seed(factory, team, today=today, daily=daily, seed_value=2026 + index)
        made.append(team)
        if progress is not None:
            progress(index)
    return made
