"""A survey export in Slack: the check (a dry run) and what was saved, with the KPI import's
Save all / Cancel buttons (Save all has its own action id; Cancel is the KPI import's own).

Pure functions of the service's report. Theme names and the file name are escaped here; no
comment from the file is ever shown (it may still hold what the scrubber did not recognise).
"""

from __future__ import annotations

from bot.blocks import Block, Reply, escape_mrkdwn, header, section
from bot.blocks.kpi_import import decision_buttons, decision_value, titled_sections
from services.i18n import t
from services.survey_import import SurveyReport

COMMIT = "survey-import-commit"
DECISION_BLOCK = "survey-import-decision"
REMOVED_LABELS = {
    "email": "survey_import.removed.email", "phone": "survey_import.removed.phone",
    "id_number": "survey_import.removed.id_number", "mention": "survey_import.removed.mention",
    "url": "survey_import.removed.url",
}  # fmt: skip


def report_reply(
    report: SurveyReport, locale: str, *, team: str, file_name: str, file_id: str, stale: bool = False,
    team_channel: str | None = None,
) -> Reply:
    file_name, team = escape_mrkdwn(file_name), escape_mrkdwn(team)
    counts = {"count": report.answers, "new": report.new, "unchanged": report.unchanged}
    if report.committed:
        title, summary = t(locale, "survey_import.title_done"), t(locale, "survey_import.committed", team=team, **counts)
    elif not report.ok:
        title = t(locale, "survey_import.title")
        summary = t(locale, "survey_import.summary_rejected", file=file_name, rejected=len(report.rejected), total=report.answers)
    elif not report.new:
        title, summary = t(locale, "survey_import.title"), t(locale, "survey_import.summary_nothing_new", file=file_name, count=report.answers)
    else:
        title, summary = t(locale, "survey_import.title"), t(locale, "survey_import.summary_ok", file=file_name, team=team, **counts)
    if stale and report.new:
        summary = f"{t(locale, 'kpi_import.ui.stale')}\n\n{summary}"
    details = _details(report, locale)
    blocks: list[Block] = [header(title), section("\n".join([summary, *details]))]
    if report.rejected:
        lines = [
            f"• *{t(locale, 'kpi_import.ui.line', line=row.line)}:* {escape_mrkdwn(t(locale, row.message_id, **row.params))}"
            for row in report.rejected
        ]
        blocks += titled_sections(t(locale, "kpi_import.ui.rejected_title"), lines, locale)
    if report.ok and not report.committed and report.new:
        blocks.append(decision_buttons(locale, DECISION_BLOCK, COMMIT, decision_value(file_id, report.digest, team_channel)))
    return Reply(summary, blocks)


def _details(report: SurveyReport, locale: str) -> list[str]:
    """Themes found, personal data removed and answers left out, each a line when there is any."""
    lines = []
    if report.themes:
        found = ", ".join(f"{escape_mrkdwn(name)} ({count})" for name, count in report.themes.items())
        lines.append(t(locale, "survey_import.themes", themes=found))
    if report.removed:
        removed = ", ".join(t(locale, REMOVED_LABELS[kind], count=count) for kind, count in report.removed.items())
        lines.append(t(locale, "survey_import.removed", removed=removed))
    if report.without_comment:
        lines.append(t(locale, "survey_import.without_comment", count=report.without_comment))
    return lines
