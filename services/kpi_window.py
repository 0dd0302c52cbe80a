"""A team's KPIs and every value they hold in a window of dates, read with two queries.

An agenda computes the series of every KPI of its team over the same twelve periods; read one
by one, that is three queries per KPI (its row, its values, their definition versions) and a
rate's parts again. Each query gives the GIL away and waits for it to come back, so with other
threads busy the number of queries, not their cost, sets how long an agenda takes to build.
`kpis.series(..., window=...)` reads from here instead when the window covers its periods.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import GlossaryVersion, Kpi, KpiValue


def version_numbers(session: Session, version_ids: set[int]) -> dict[int, int]:
    """Each glossary definition version's number, by id (what a series marks a change with)."""
    if not version_ids:
        return {}
    found = session.execute(select(GlossaryVersion.id, GlossaryVersion.number).where(GlossaryVersion.id.in_(version_ids)))
    return {version_id: number for version_id, number in found}


class KpiWindow:
    def __init__(self, session: Session, *, kpis: Iterable[Kpi], start: date, end: date):
        """`kpis`: the team's KPIs in use (`kpis.active_kpis`)."""
        self.start, self.end = start, end
        self._kpis = {kpi.key: kpi for kpi in kpis}
        self._rows: defaultdict[int, list[KpiValue]] = defaultdict(list)
        if self._kpis:
            rows = session.scalars(
                select(KpiValue)
                .where(KpiValue.kpi_id.in_([kpi.id for kpi in self._kpis.values()]),
                       KpiValue.period_start >= start, KpiValue.period_start < end)
                .order_by(KpiValue.period_start, KpiValue.recorded_at)
            )  # fmt: skip
            for row in rows:
                self._rows[row.kpi_id].append(row)
        self.version_numbers = version_numbers(session, {row.definition_version_id for rows in self._rows.values() for row in rows} - {None})

    def covers(self, start: date, end: date) -> bool:
        return self.start <= start and end <= self.end

    def kpi(self, key: str) -> Kpi | None:
        """The team's KPI in use under `key` (as typed: trimmed, any case), or None."""
        return self._kpis.get(key.strip().lower())

    def values(self, kpi_id: int) -> list[KpiValue]:
        """Its values in the window, oldest period first, the latest recorded last within a period."""
        return self._rows.get(kpi_id, [])
