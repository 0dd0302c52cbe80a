"""KPI values from a spreadsheet, in Slack: the upload modal and the check / result messages.

Pure functions of the service's report. Whatever came from the file (KPI keys, values, the
cells quoted in a rejection) is escaped here; the file name too.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, section, truncate
from domain.number_style import number_symbols
from domain.periods import Period, format_period
from services.i18n import language_of, t
from services.kpi_import import RECORDED, REPLACED, UNCHANGED, Accepted, KpiImportReport, Rejected

# Ids ---------------------------------------------------------------------------------------------

UPLOAD_VIEW = "kpi-import-upload"  # callback id of the modal
FILE_BLOCK = "kpi-import-file"  # the input block holding the file_input
FILE_INPUT = "kpi-import-file-input"  # the file_input's action id
COMMIT = "kpi-import-commit"
CANCEL = "kpi-import-cancel"
DECISION_BLOCK = "kpi-import-decision"  # the actions block with the two buttons

MAX_FILE_MB = 2
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
FILETYPES = ["csv", "txt"]
SECTION_CHARS = 2900  # under Slack's 3,000 per section
MAX_SECTIONS_PER_LIST = 5  # with headers and buttons, far under 50 blocks

OUTCOME_LABELS = {
    RECORDED: "kpi_import.outcome.recorded",
    UNCHANGED: "kpi_import.outcome.unchanged",
    REPLACED: "kpi_import.outcome.replaced",
}


# The modal ---------------------------------------------------------------------------------------


def upload_modal(locale: str, *, country: str | None, private_metadata: str) -> dict[str, Any]:
    """A file_input (one .csv or .txt) under a short explanation of the columns and an example
    written with the team's separators (`;` where the decimal mark is a comma)."""
    decimal, _ = number_symbols(language_of(locale), country)
    example = t(locale, "kpi_import.ui.example_file", sep=";" if decimal == "," else ",", dec=decimal)
    return kit.modal(
        callback_id=UPLOAD_VIEW,
        private_metadata=private_metadata,
        title=t(locale, "kpi_import.ui.modal_title"),
        submit=t(locale, "kpi_import.ui.modal_submit"),
        close=t(locale, "kpi_import.ui.modal_close"),
        blocks=[
            section(t(locale, "kpi_import.ui.modal_intro")),
            section(f"{t(locale, 'kpi_import.ui.modal_example')}\n```{example}```"),
            kit.input_block(
                block_id=FILE_BLOCK, label=t(locale, "kpi_import.ui.file_label"), hint=t(locale, "kpi_import.ui.file_hint", limit_mb=MAX_FILE_MB),
                element=kit.file_input(action_id=FILE_INPUT, filetypes=FILETYPES, max_files=1),
            ),
        ],
    )


# The check and the result ---------------------------------------------------------------------------


class Decision(NamedTuple):
    file_id: str
    digest: str
    team_channel: str | None  # the team's channel: set when the buttons live outside it (a DM)


def decision_value(file_id: str, digest: str, team_channel: str | None = None) -> str:
    """What the Commit button carries: the uploaded file (downloaded again), the report approved
    and, after them, the team's channel (`F…:digest:C…`; older buttons carry only the first two)."""
    return f"{file_id}:{digest}:{team_channel}" if team_channel else f"{file_id}:{digest}"


def read_decision(value: Any) -> Decision | None:
    file_id, colon, rest = str(value or "").partition(":")
    digest, _, team_channel = rest.partition(":")
    if not colon or not file_id or not digest:
        return None
    return Decision(file_id, digest, team_channel or None)


def report_reply(
    report: KpiImportReport, locale: str, *, team: str, file_name: str, file_id: str, stale: bool = False,
    team_channel: str | None = None,
) -> Reply:
    """The check (a dry run) with Save all / Cancel when it would write something; or, once
    committed, what was saved."""
    file_name = escape_mrkdwn(file_name)
    team = escape_mrkdwn(team)
    counts = {
        "count": len(report.accepted), "recorded": report.count(RECORDED), "replaced": report.count(REPLACED),
        "unchanged": report.count(UNCHANGED),
    }
    if report.committed:
        title, summary = t(locale, "kpi_import.ui.title_done"), t(locale, "kpi_import.report_committed", team=team, **counts)
    elif not report.ok:
        title = t(locale, "kpi_import.ui.title")
        summary = t(locale, "kpi_import.ui.summary_rejected", file=file_name, rejected=len(report.rejected), total=report.total)
    elif report.changes == 0:
        title, summary = t(locale, "kpi_import.ui.title"), t(locale, "kpi_import.ui.summary_nothing_new", file=file_name, count=len(report.accepted))
    else:
        title, summary = t(locale, "kpi_import.ui.title"), t(locale, "kpi_import.ui.summary_ok", file=file_name, team=team, **counts)
    if stale and report.changes:  # (with nothing left to save, "already saved" says it all: a second click)
        summary = f"{t(locale, 'kpi_import.ui.stale')}\n\n{summary}"
    blocks: list[Block] = [header(title), section(summary)]
    if report.rejected:
        blocks += titled_sections(t(locale, "kpi_import.ui.rejected_title"), [_rejected_line(row, locale) for row in report.rejected], locale)
    if report.accepted:
        blocks += titled_sections(t(locale, "kpi_import.ui.accepted_title"), [_accepted_line(row, locale) for row in report.accepted], locale)
    if report.ok and not report.committed and report.changes:
        blocks.append(decision_buttons(locale, DECISION_BLOCK, COMMIT, decision_value(file_id, report.digest, team_channel)))
    return Reply(summary, blocks)


def decision_buttons(locale: str, block_id: str, commit_action: str, value: str) -> Block:
    """Save all (`commit_action`) and Cancel, both carrying the decision `value`."""
    return kit.actions(block_id=block_id, elements=[
        kit.button(text=t(locale, "kpi_import.ui.commit"), action_id=commit_action, value=value, style="primary"),
        kit.button(text=t(locale, "kpi_import.ui.cancel"), action_id=CANCEL, value=value),
    ])


def cancelled_reply(locale: str) -> Reply:
    text = t(locale, "kpi_import.ui.cancelled")
    return Reply(text, [section(text)])


def _line_label(line: int, locale: str) -> str:
    return f"*{t(locale, 'kpi_import.ui.line', line=line)}:*"


def _rejected_line(row: Rejected, locale: str) -> str:
    return f"• {_line_label(row.line, locale)} {escape_mrkdwn(t(locale, row.message_id, **row.params))}"


def _accepted_line(row: Accepted, locale: str) -> str:
    language = language_of(locale)
    period = format_period(Period.parse_key(row.period), language)
    outcome = t(locale, OUTCOME_LABELS[row.outcome], previous=escape_mrkdwn(row.previous or ""))
    source = f" · {escape_mrkdwn(row.source)}" if row.source != "csv" else ""
    return f"• {_line_label(row.line, locale)} `{escape_mrkdwn(row.kpi)}` · {period} · *{escape_mrkdwn(row.shown)}* ({outcome}){source}"


def titled_sections(title: str, lines: Sequence[str], locale: str) -> list[Block]:
    """A bold title and the lines, packed into sections under Slack's limits; past the last
    section, how many more rows there are."""
    blocks: list[Block] = []
    current = f"*{title}*"
    shown = 0
    for line in lines:
        line = truncate(line, SECTION_CHARS // 2)
        if len(current) + 1 + len(line) > SECTION_CHARS:
            blocks.append(section(current))
            if len(blocks) == MAX_SECTIONS_PER_LIST:
                break
            current = line
        else:
            current = f"{current}\n{line}"
        shown += 1
    else:
        blocks.append(section(current))
    if shown < len(lines):
        blocks.append(context(t(locale, "kpi_import.ui.more", count=len(lines) - shown)))
    return blocks
