"""SQLAlchemy 2 typed models. Every table of ours carries its workspace."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.sql.expression import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base
from db.types import ExactDecimal, UTCDateTime


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native PostgreSQL enum): adding a value stays a one-line migration.
    return Enum(enum_class, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class WorkspaceState(str, enum.Enum):
    INSTALLED = "installed"
    UNINSTALLED = "uninstalled"


class TeamRole(str, enum.Enum):
    MARKETING_LEAD = "marketing_lead"
    SALES_LEAD = "sales_lead"
    ADMIN = "admin"


class Workspace(Base):
    """A Slack workspace (Slack's `team_id`) that installed Alinea."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    default_locale: Mapped[str] = mapped_column(String(8))
    default_timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[WorkspaceState] = mapped_column(enum_column(WorkspaceState, "workspace_state"))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When Slack last refused a native chart or table block here (services/native_blocks.py).
    native_blocks_refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    teams: Mapped[list[AlignmentTeam]] = relationship(back_populates="workspace")


class AlignmentTeam(Base):
    """One marketing-and-sales alignment group, bound to one Slack channel."""

    __tablename__ = "alignment_teams"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id"),
        UniqueConstraint("workspace_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(2), default="CO")
    weekly_meeting_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday = 0
    weekly_meeting_time: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    weekly_meeting_minutes: Mapped[int] = mapped_column(Integer, default=30)
    monthly_meeting_nth: Mapped[int] = mapped_column(Integer, default=1)  # 1..4, or -1 for the last
    monthly_meeting_weekday: Mapped[int] = mapped_column(Integer, default=1)  # Tuesday
    monthly_meeting_time: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    monthly_meeting_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # Working hours pause the SLA escalation clock outside them (default Mon-Fri 08:00-17:00); holidays come
    # from `country`.
    work_days: Mapped[str] = mapped_column(String(16), default="0,1,2,3,4", server_default="0,1,2,3,4")  # Monday = 0
    work_start: Mapped[time] = mapped_column(Time(), default=time(8, 0), server_default="08:00:00")
    work_end: Mapped[time] = mapped_column(Time(), default=time(17, 0), server_default="17:00:00")
    agenda_lead_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")  # agenda posted this long before
    # The team's own switch for the LLM narrator: off means the offline narrator even
    # when the operator configured a model, so no fact of this team leaves the server.
    llm_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    workspace: Mapped[Workspace] = relationship(back_populates="teams")
    members: Mapped[list[TeamMember]] = relationship(back_populates="team", cascade="all, delete-orphan")


class TeamMember(Base):
    """A person's role in an alignment team: marketing lead, sales lead or admin."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole, "team_role"))

    team: Mapped[AlignmentTeam] = relationship(back_populates="members")


class AuditEntry(Base):
    """Who changed what and when, with the value before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_id_at", "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("alignment_teams.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))  # a Slack user id, or "system"/"cli"
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery finds its id here and does nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("workspace_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class JobRunStatus(str, enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(Base):
    """A claim on one run of a job for one subject and period: the unique key makes it happen once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("workspace_id", "job", "subject", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))  # "team:<id>" or "workspace"
    period: Mapped[str] = mapped_column(String(32))  # "2026-W02", "2026-01", "2026-01-12"
    status: Mapped[JobRunStatus] = mapped_column(enum_column(JobRunStatus, "job_run_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str | None] = mapped_column(Text)


# Glossary ------------------------------------------------------------------------------------


class VersionStatus(str, enum.Enum):
    PENDING = "pending"  # proposed, waiting for a marketing lead and a sales lead
    AGREED = "agreed"  # the version in force
    SUPERSEDED = "superseded"  # was in force; a later version was agreed
    WITHDRAWN = "withdrawn"  # replaced by a newer proposal before it was agreed


class GlossaryTerm(Base):
    """A term both sides use (MQL, venta atribuible); its meaning lives in its versions."""

    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))  # folded name: matching ignores case and accents
    name: Mapped[str] = mapped_column(String(80))  # as first typed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[GlossaryVersion]] = relationship(
        back_populates="term", order_by="GlossaryVersion.number", cascade="all, delete-orphan"
    )


class GlossaryVersion(Base):
    """One proposed wording of a term. Approvals are for this exact version."""

    __tablename__ = "glossary_versions"
    __table_args__ = (UniqueConstraint("term_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("glossary_terms.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    owner_side: Mapped[str] = mapped_column(String(16))
    formula: Mapped[str] = mapped_column(Text, default="")
    source_system: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[str] = mapped_column(Text, default="")
    non_examples: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus, "glossary_version_status"))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when both sides had approved
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # superseded or withdrawn
    channel_id: Mapped[str | None] = mapped_column(String(32))  # where the proposal was posted
    message_ts: Mapped[str | None] = mapped_column(String(32))

    term: Mapped[GlossaryTerm] = relationship(back_populates="versions")
    approvals: Mapped[list[GlossaryApproval]] = relationship(
        order_by="GlossaryApproval.id", cascade="all, delete-orphan"
    )
    change_requests: Mapped[list[GlossaryChangeRequest]] = relationship(
        order_by="GlossaryChangeRequest.id", cascade="all, delete-orphan"
    )


class GlossaryApproval(Base):
    __tablename__ = "glossary_approvals"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("glossary_versions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    sides: Mapped[list[str]] = mapped_column(JSON)  # the approver's lead roles when approving
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class GlossaryChangeRequest(Base):
    __tablename__ = "glossary_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("glossary_versions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


# KPIs ------------------------------------------------------------------------------------------


class Kpi(Base):
    """A metric a team tracks: how it is measured (unit, direction, aggregation) and what it counts."""

    __tablename__ = "kpis"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))  # in the team's language
    unit: Mapped[str] = mapped_column(String(16))  # domain.kpis.Unit
    currency: Mapped[str | None] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(8))  # domain.kpis.Direction
    aggregation: Mapped[str] = mapped_column(String(8))  # domain.kpis.Aggregation
    numerator_key: Mapped[str | None] = mapped_column(String(40))
    denominator_key: Mapped[str | None] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(16))
    allow_over_100: Mapped[bool] = mapped_column(default=False)
    allow_negative: Mapped[bool] = mapped_column(default=False)  # a margin can be negative; a count cannot
    term_id: Mapped[int | None] = mapped_column(ForeignKey("glossary_terms.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(8))  # "primary", "support" (the two that lead the weekly agenda after the primary) or none
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KpiValue(Base):
    """One value of a KPI for one period from one source. A resend of the same value does nothing;
    a changed value replaces it (the audit log keeps the old one)."""

    __tablename__ = "kpi_values"
    __table_args__ = (
        UniqueConstraint("kpi_id", "source", "period_kind", "period_start"),
        Index("ix_kpi_values_kpi_id_period_start", "kpi_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))  # "slack", "csv", "api:<source the client named>"
    period_kind: Mapped[str] = mapped_column(String(8))  # "day", "week", "month"
    period_start: Mapped[date] = mapped_column(Date())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The definition in force when the value was recorded, so a trend can show where it changed.
    definition_version_id: Mapped[int | None] = mapped_column(ForeignKey("glossary_versions.id", ondelete="SET NULL"))


class IngestToken(Base):
    """A team's bearer token for the metrics API; only its hash is stored."""

    __tablename__ = "ingest_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown to admins so they can tell tokens apart
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertRule(Base):
    """"If cart abandonment rises 3 points within 48 hours": checked on each new value."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    movement: Mapped[str] = mapped_column(String(8))  # "rises" or "falls"
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    mode: Mapped[str] = mapped_column(String(8))  # "points" or "percent"
    window_hours: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8), default="quiet")  # "quiet" or "firing" (an episode is open)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertEpisode(Base):
    """One firing of a rule; the unique number makes "posted once per episode" a claim."""

    __tablename__ = "alert_episodes"
    __table_args__ = (UniqueConstraint("rule_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    baseline_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the value it moved from was recorded
    baseline: Mapped[Decimal] = mapped_column(ExactDecimal())
    reached: Mapped[Decimal] = mapped_column(ExactDecimal())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32))


# SLA commitments ---------------------------------------------------------------------------------


class SlaStatus(str, enum.Enum):
    PENDING = "pending"  # proposed, waiting for a lead of each side to accept it
    ACTIVE = "active"  # the version in force: evaluated when its periods close
    SUPERSEDED = "superseded"  # was in force; a later version was accepted
    WITHDRAWN = "withdrawn"  # replaced by a newer proposal before it was accepted


class SlaCommitment(Base):
    """One side's standing promise on one KPI (e.g. sales: follow-up hours); its terms live in
    its versions. `number` is the short id people type and see (SLA3)."""

    __tablename__ = "sla_commitments"
    __table_args__ = (UniqueConstraint("team_id", "number"), UniqueConstraint("team_id", "side", "kpi_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(16))  # "marketing" or "sales"
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[SlaVersion]] = relationship(
        back_populates="commitment", order_by="SlaVersion.number", cascade="all, delete-orphan"
    )


class SlaVersion(Base):
    """One wording of a commitment. Acceptances are for this exact version."""

    __tablename__ = "sla_versions"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("sla_commitments.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    comparator: Mapped[str] = mapped_column(String(2))  # domain.sla.Comparator: ">=" or "<="
    target: Mapped[Decimal] = mapped_column(ExactDecimal())
    period_kind: Mapped[str] = mapped_column(String(8))  # "week" or "month"
    responsible_user_id: Mapped[str | None] = mapped_column(String(32))  # None: the side's first lead
    starts_on: Mapped[date] = mapped_column(Date())  # the first period evaluated contains this day
    ack_window_hours: Mapped[int] = mapped_column(Integer)  # working hours
    term_id: Mapped[int | None] = mapped_column(ForeignKey("glossary_terms.id", ondelete="SET NULL"))
    status: Mapped[SlaStatus] = mapped_column(enum_column(SlaStatus, "sla_status"))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(32))  # where the proposal was posted
    message_ts: Mapped[str | None] = mapped_column(String(32))

    commitment: Mapped[SlaCommitment] = relationship(back_populates="versions")
    acceptances: Mapped[list[SlaAcceptance]] = relationship(order_by="SlaAcceptance.id", cascade="all, delete-orphan")


class SlaAcceptance(Base):
    __tablename__ = "sla_acceptances"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("sla_versions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    sides: Mapped[list[str]] = mapped_column(JSON)  # the accepter's lead roles when accepting
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlaEvaluation(Base):
    """A closed period of a commitment: met, breached or no data. Unique per period, so the
    evaluation happens once however often the job runs; a late value re-evaluates a NO_DATA row.
    `message_ts` is the "please log the value" post of a NO_DATA period."""

    __tablename__ = "sla_evaluations"
    __table_args__ = (UniqueConstraint("commitment_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("sla_commitments.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("sla_versions.id", ondelete="CASCADE"))
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date())
    state: Mapped[str] = mapped_column(String(16))  # domain.sla.State: met, breached, no_data
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    target: Mapped[Decimal] = mapped_column(ExactDecimal())
    gap: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32))


class SlaRiskFlag(Base):
    """"At risk" flagged once per commitment and open period: the unique key is the claim."""

    __tablename__ = "sla_risk_flags"
    __table_args__ = (UniqueConstraint("commitment_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("sla_commitments.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("sla_versions.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date())
    value_so_far: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32))


class BreachStatus(str, enum.Enum):
    OPEN = "open"  # waiting for the responsible side to acknowledge it
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"  # a later period met the target
    CLOSED = "closed"  # an admin closed it with a note


class SlaBreach(Base):
    """A breached period, posted in the team's channel, acknowledged in its thread."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("evaluation_id"), UniqueConstraint("team_id", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the short id people see (B4)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("sla_evaluations.id", ondelete="CASCADE"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("sla_commitments.id", ondelete="CASCADE"), index=True)
    responsible_user_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[BreachStatus] = mapped_column(enum_column(BreachStatus, "sla_breach_status"))
    step: Mapped[str] = mapped_column(String(16))  # domain.sla.Step: posted, reminded, escalated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the escalation clock starts here
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(32))  # domain.sla.Reason
    note: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    plan_owner: Mapped[str | None] = mapped_column(String(32))
    plan_due: Mapped[date | None] = mapped_column(Date())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # resolved or closed
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_note: Mapped[str] = mapped_column(Text, default="")

    steps: Mapped[list[SlaBreachStep]] = relationship(order_by="SlaBreachStep.id", cascade="all, delete-orphan")


class SlaBreachStep(Base):
    """Each thing that happened to a breach and was said in its thread (reminded, escalated,
    acknowledged, plan, resolved, closed). Reminders and escalations are unique per breach: the
    row is the claim, posted after commit; `message_ts` says the post went out."""

    __tablename__ = "sla_breach_steps"
    __table_args__ = (Index("ix_sla_breach_steps_breach_id_kind", "breach_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("sla_breaches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    claim: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "sla-breach-7-reminded"
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_ts: Mapped[str | None] = mapped_column(String(32))


class ObjectiveStatus(str, enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"


class OkrObjective(Base):
    """A qualitative objective of an alignment team; `number` is its short id (O2)."""

    __tablename__ = "okr_objectives"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # domain.okr.ObjectiveKind
    status: Mapped[ObjectiveStatus] = mapped_column(enum_column(ObjectiveStatus, "okr_objective_status"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    key_results: Mapped[list[OkrKeyResult]] = relationship(
        back_populates="objective", order_by="OkrKeyResult.number", cascade="all, delete-orphan"
    )


class OkrKeyResult(Base):
    """A measurable key result; `number` is its short id per team (KR3). Its value
    comes from check-ins, or from its KPI when `kpi_id` is set."""

    __tablename__ = "okr_key_results"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    objective_id: Mapped[int] = mapped_column(ForeignKey("okr_objectives.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(200))
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    unit: Mapped[str | None] = mapped_column(String(16))
    baseline: Mapped[Decimal] = mapped_column(ExactDecimal())
    target: Mapped[Decimal] = mapped_column(ExactDecimal())
    scale: Mapped[Decimal | None] = mapped_column(ExactDecimal())  # ratings: "9 of 10"
    start_on: Mapped[date] = mapped_column(Date())
    deadline: Mapped[date] = mapped_column(Date())
    owner_user_id: Mapped[str] = mapped_column(String(32))
    sides: Mapped[str] = mapped_column(String(32))  # "marketing,sales"
    contributors: Mapped[str] = mapped_column(String(64), default="")  # "customer_service,operations"
    guardrail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # metric, comparator, value, unit
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    objective: Mapped[OkrObjective] = relationship(back_populates="key_results")
    milestones: Mapped[list[OkrMilestone]] = relationship(order_by="OkrMilestone.due", cascade="all, delete-orphan")


class OkrMilestone(Base):
    __tablename__ = "okr_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("okr_key_results.id", ondelete="CASCADE"), index=True)
    due: Mapped[date] = mapped_column(Date())
    value: Mapped[Decimal] = mapped_column(ExactDecimal())


class OkrCheckIn(Base):
    """The owner's (or a member's) reading of a KR: a value (None for a confidence-only check-in
    on a KPI-backed KR), a confidence 1–10 and a note."""

    __tablename__ = "okr_checkins"
    __table_args__ = (Index("ix_okr_checkins_key_result_id_at", "key_result_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("okr_key_results.id", ondelete="CASCADE"))
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    confidence: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class OkrRetarget(Base):
    """A changed target or deadline, with who, when and why (also in the audit log)."""

    __tablename__ = "okr_retargets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("okr_key_results.id", ondelete="CASCADE"), index=True)
    old_target: Mapped[Decimal] = mapped_column(ExactDecimal())
    new_target: Mapped[Decimal] = mapped_column(ExactDecimal())
    old_deadline: Mapped[date] = mapped_column(Date())
    new_deadline: Mapped[date] = mapped_column(Date())
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class OkrReminder(Base):
    """One check-in reminder DM per owner and weekly meeting: the row is the claim, posted after
    commit; `message_ts` says it went out."""

    __tablename__ = "okr_reminders"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "meeting_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    meeting_on: Mapped[date] = mapped_column(Date())  # the weekly meeting's local date
    key_result_ids: Mapped[list[int]] = mapped_column(JSON)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32))


class OkrReviewPrompt(Base):
    """The end-of-period review question for one objective, asked once (by the review job or the
    monthly agenda, whichever comes first); answers come from its thread or a form."""

    __tablename__ = "okr_review_prompts"
    __table_args__ = (UniqueConstraint("objective_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("okr_objectives.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32), index=True)


class OkrReviewAnswer(Base):
    """One answer to a review question: achieved, learned or adjust."""

    __tablename__ = "okr_review_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("okr_objectives.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(16))  # achieved, learned, adjust
    answer: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(8))  # thread or form
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgendaStatus(str, enum.Enum):
    CLAIMED = "claimed"  # a run took it; the post may be under way
    POSTED = "posted"  # the parent message is out (its thread may still be filling)
    DONE = "done"  # parent, details and charts all out
    FAILED = "failed"  # the last attempt failed; retried from `retry_at` until the meeting starts
    SKIPPED = "skipped"  # missed while the bot was down and the meeting already happened


class Agenda(Base):
    """One meeting's agenda. Unique on (team, kind, period): this row is the claim that makes
    two replicas, a double fire, a manual run or a restart post it once."""

    __tablename__ = "agendas"
    __table_args__ = (UniqueConstraint("team_id", "kind", "period_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # domain.meetings.AgendaKind
    period_key: Mapped[str] = mapped_column(String(10))  # "2026-W12" or "2026-03"
    status: Mapped[AgendaStatus] = mapped_column(enum_column(AgendaStatus, "agenda_status"))
    meeting_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(64))  # "scheduler", "cli" or a Slack user id
    # Until when the poster holding the claim is known alive: it renews this while it posts, and
    # another run may take the claim over once it has passed. None once the run stops posting
    # (done, failed, skipped), and on claims written before leases (they keep claimed_at's rule).
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(200), default="")
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parts_posted: Mapped[list[str]] = mapped_column(JSON, default=list)  # thread parts already out


class TopicStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class AgendaTopic(Base):
    """A topic a member added for the next meeting (`/alinea agenda add|tema TEXT`); open ones
    roll over to the monthly agenda; closed with an outcome."""

    __tablename__ = "agenda_topics"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # T4
    text: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[TopicStatus] = mapped_column(enum_column(TopicStatus, "agenda_topic_status"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Experiment(Base):
    """The week's experiment, decided in the weekly meeting: a hypothesis, the metric that will
    judge it, an owner and a date; its result is reported on the next weekly agenda."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("team_id", "week_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    week_key: Mapped[str] = mapped_column(String(10))  # the ISO week it runs in: "2026-W12"
    hypothesis: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(200))  # a KPI key, or a metric in words
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    owner_user_id: Mapped[str] = mapped_column(String(32))
    due: Mapped[date] = mapped_column(Date())
    source: Mapped[str] = mapped_column(String(8), default="team")  # "team" or "ai" (a hypothesis adopted)
    decided_by: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(String(16))  # confirmed, refuted, inconclusive
    result_note: Mapped[str] = mapped_column(Text, default="")
    result_by: Mapped[str | None] = mapped_column(String(32))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LlmUsage(Base):
    """The tokens a workspace's LLM narrator used in one calendar month (UTC), against its monthly
    budget. One row per (workspace, month), claimed with an insert that ignores a
    conflict and then incremented in place (`tokens = tokens + n`), so concurrent narrators add
    up without a read-modify-write."""

    __tablename__ = "llm_usage"
    __table_args__ = (UniqueConstraint("workspace_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # "2026-03"
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StoredNarrative(Base):
    """A week's narrative (summary and hypotheses) as narrated from one set of facts: the agenda
    and `/alinea insights` reuse it instead of asking the model again, and its hypotheses carry
    the ids the Adopt and Not useful buttons point at. Unique per (team, meeting week, facts
    digest, language, source): new figures for the week make a new narrative (the old one's
    buttons keep working), and a model's narrative never hides behind an earlier fallback; a
    fallback stands in for the model's only until `retry_model_after`."""

    __tablename__ = "narratives"
    __table_args__ = (UniqueConstraint("team_id", "week_key", "facts_digest", "language", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    week_key: Mapped[str] = mapped_column(String(10))  # the meeting's ISO week: the experiment's week
    facts_digest: Mapped[str] = mapped_column(String(64))  # sha256 of the facts narrated
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))  # "llm" or "offline"
    model: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[list[str]] = mapped_column(JSON)  # sentences, checked and escaped for Slack
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    fallback_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A fallback stands for the model's narrative of these figures until then (a failed attempt
    # is remembered, not repeated on every request); NULL when the model wrote it or was not asked.
    retry_model_after: Mapped[datetime | None] = mapped_column(UTCDateTime())

    hypotheses: Mapped[list[NarrativeHypothesis]] = relationship(
        back_populates="narrative", cascade="all, delete-orphan", order_by="NarrativeHypothesis.number"
    )


class NarrativeHypothesis(Base):
    """One proposed hypothesis; adopting it records the week's experiment (source "ai")."""

    __tablename__ = "narrative_hypotheses"
    __table_args__ = (UniqueConstraint("narrative_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1.. as shown
    text: Mapped[str] = mapped_column(Text)
    experiment: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(200))
    fact_ids: Mapped[list[str]] = mapped_column(JSON)
    adopted_experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id", ondelete="SET NULL"))
    adopted_by: Mapped[str | None] = mapped_column(String(32))
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    narrative: Mapped[StoredNarrative] = relationship(back_populates="hypotheses")


class NarrativeFeedback(Base):
    """"Not useful" on a hypothesis, once per person (a second press changes nothing)."""

    __tablename__ = "narrative_feedback"
    __table_args__ = (UniqueConstraint("hypothesis_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    hypothesis_id: Mapped[int] = mapped_column(ForeignKey("narrative_hypotheses.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16), default="not_useful")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedbackTheme(Base):
    """One of a team's customer-feedback themes (starter list, edited by leads). A removed theme
    is archived, not deleted, so the items tagged with it keep their history."""

    __tablename__ = "feedback_themes"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # "response_time"; a lead's theme: its folded name
    name: Mapped[str] = mapped_column(String(80))
    words: Mapped[list[str]] = mapped_column(JSON, default=list)  # folded word beginnings and phrases
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedbackItem(Base):
    """A piece of customer feedback, its personal data already removed: the text kept is safe to
    store and to show a model. `removed` counts what was taken out by kind, never what it was.
    `external_id` is the sender's id (a survey row, a CRM ticket, a Slack message): sending it
    again changes nothing."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        UniqueConstraint("team_id", "external_id"),
        Index("ix_feedback_items_team_id_received_at", "team_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("alignment_teams.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # F12
    source: Mapped[str] = mapped_column(String(16))  # domain.feedback.SOURCES
    score: Mapped[int | None] = mapped_column(Integer)  # 0-10
    text: Mapped[str] = mapped_column(Text)
    removed: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(200))
    themes_from: Mapped[str] = mapped_column(String(8), default="words")  # who chose the themes: words, model or person
    added_by: Mapped[str] = mapped_column(String(64))  # a Slack user id, or "api" / "csv"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedbackTag(Base):
    """An item's theme: one row per (item, theme)."""

    __tablename__ = "feedback_tags"
    __table_args__ = (UniqueConstraint("item_id", "theme_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("feedback_themes.id", ondelete="CASCADE"), index=True)
