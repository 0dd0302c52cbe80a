"""The agenda itself, by hand: `/alinea agenda preview|vista [weekly|monthly]` and
`/alinea agenda post|publicar [weekly|monthly]` (routed here from commands/agenda.py).

- `preview` shows the person the next agenda privately, exactly as it will be posted, from the
  facts of `services.agendas.next_meeting`: no claim, no post (charts are not rendered; their
  numbers are in the text).
- `post_now` (the team's admins, or Slack workspace admins) posts the agenda of the meeting due
  now, else of this period's meeting, through `AgendaPoster` with the person as the claimer: it
  is still once per period, so a second `post`, or the scheduler's run, finds it done and the
  person gets a link to the one already posted.
"""

from __future__ import annotations

from services.offline_narrator import OfflineNarrator
from bot.agenda_posts import AgendaNotPosted, AgendaPoster, build
from bot.blocks import Reply
from bot.blocks.agenda_pieces import post_time_text
from bot.blocks.agenda_preview import already_posted_reply, notice, posted_reply, preview_reply
from bot.notifier import Notifier
from domain.locales import team_locale
from commands.context import CommandRequest, is_workspace_admin, team_of
from db.models import TeamRole
from db.session import read_only
from domain.commands import fold
from domain.errors import UserError
from domain.meetings import AgendaKind
from services import agendas
from services.i18n import t
from services.teams import roles_of

KIND_WORDS: dict[str, AgendaKind] = {
    "weekly": AgendaKind.WEEKLY, "semanal": AgendaKind.WEEKLY, "week": AgendaKind.WEEKLY, "semana": AgendaKind.WEEKLY,
    "monthly": AgendaKind.MONTHLY, "mensual": AgendaKind.MONTHLY, "month": AgendaKind.MONTHLY, "mes": AgendaKind.MONTHLY,
}  # fmt: skip


def kind_of(word: str | None) -> AgendaKind:
    """`weekly|semanal` (the default) or `monthly|mensual`; anything else says what to type."""
    text = (word or "").strip()
    if not text:
        return AgendaKind.WEEKLY
    kind = KIND_WORDS.get(fold(text))
    if kind is None:
        raise UserError("agenda.ui.unknown_kind", word=text)
    return kind


def preview(request: CommandRequest, kind_word: str | None) -> Reply:
    kind = kind_of(kind_word)
    factory = request.runtime.session_factory
    with read_only(factory) as session:
        team = team_of(session, request.scope)
        meeting = agendas.next_meeting(team, kind, request.now)
        team_id = team.id
    built = build(factory, request.notifier, team_id=team_id, meeting=meeting, now=request.now, claim_reviews=False)
    if built.facts:  # the automatic summary: a preview spends no model tokens
        built = built.with_narrative(OfflineNarrator().narrate(built.facts, language=built.where.language, country=built.where.country))
    return preview_reply(built.agenda, built.where, post_at=max(meeting.post_at, request.now), channel_id=built.channel_id)


def post_now(request: CommandRequest, kind_word: str | None) -> Reply:
    kind = kind_of(kind_word)
    factory = request.runtime.session_factory
    with read_only(factory) as session:
        team = team_of(session, request.scope)
        team_admin = TeamRole.ADMIN in roles_of(team, request.user_id)
        meeting = agendas.due_occurrence(team, kind, request.now) or agendas.meeting_of_period(team, kind, request.now)
        upcoming = agendas.next_meeting(team, kind, request.now)
        team_id, where, channel = team.id, team_locale(team), team.channel_id
    if not team_admin and not is_workspace_admin(request.client, request.user_id):  # Slack after the read
        raise UserError("agenda.ui.post.admins_only")
    language = where.language
    if request.now >= meeting.meeting_at:
        return notice(t(language, f"agenda.ui.post.meeting_started.{kind.value}", when=post_time_text(meeting.meeting_at, where),
                        next=post_time_text(upcoming.post_at, where)))  # fmt: skip
    narrator = request.runtime.narrators.narrator(request.scope.workspace_id)
    poster = AgendaPoster(factory, request.client, team_id=team_id, narrator=narrator, clock=request.runtime.clock)
    try:
        outcome = poster.post(kind, request.now, meeting=meeting, claimed_by=request.user_id)
    except AgendaNotPosted as error:
        return notice(t(language, "agenda.ui.post.failed", channel=f"<#{error.channel_id}>"))
    channel = outcome.channel_id or channel
    link = Notifier(request.client).permalink(channel=channel, ts=outcome.ts) if outcome.ts else None
    if outcome.status == "posted":
        return posted_reply(kind, where, channel_id=channel, link=link)
    if outcome.status == "already":
        return already_posted_reply(kind, where, channel_id=channel, link=link, key=meeting.key)
    if outcome.status == "waiting" and outcome.retry_at is not None:
        return notice(t(language, "agenda.ui.post.waiting", when=post_time_text(outcome.retry_at, where)))
    if outcome.status in ("skipped", "too_late"):
        return notice(t(language, "agenda.ui.post.skipped", key=meeting.key))
    return notice(t(language, "agenda.ui.post.in_progress", channel=f"<#{channel}>"))
