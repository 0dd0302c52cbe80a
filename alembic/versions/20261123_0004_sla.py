"""sla: commitments, versions and acceptances, evaluations, risk flags, breaches and their steps;
teams gain working hours (the escalation clock)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sla_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_sla_commitments_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_sla_commitments_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_commitments_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_commitments')),
    sa.UniqueConstraint('team_id', 'number', name=op.f('uq_sla_commitments_team_id_number')),
    sa.UniqueConstraint('team_id', 'side', 'kpi_id', name=op.f('uq_sla_commitments_team_id_side_kpi_id'))
    )
    with op.batch_alter_table('sla_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_commitments_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('comparator', sa.String(length=2), nullable=False),
    sa.Column('target', db.types.ExactDecimal(precision=24, scale=6), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('responsible_user_id', sa.String(length=32), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ack_window_hours', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'active', 'superseded', 'withdrawn', name='sla_status', native_enum=False, length=32), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('active_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['sla_commitments.id'], name=op.f('fk_sla_versions_commitment_id_sla_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['glossary_terms.id'], name=op.f('fk_sla_versions_term_id_glossary_terms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_versions_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_versions')),
    sa.UniqueConstraint('commitment_id', 'number', name=op.f('uq_sla_versions_commitment_id_number'))
    )
    with op.batch_alter_table('sla_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_versions_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_versions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('sides', sa.JSON(), nullable=False),
    sa.Column('at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['sla_versions.id'], name=op.f('fk_sla_acceptances_version_id_sla_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_acceptances_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_acceptances')),
    sa.UniqueConstraint('version_id', 'user_id', name=op.f('uq_sla_acceptances_version_id_user_id'))
    )
    with op.batch_alter_table('sla_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_acceptances_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_acceptances_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('value', db.types.ExactDecimal(precision=24, scale=6), nullable=True),
    sa.Column('target', db.types.ExactDecimal(precision=24, scale=6), nullable=False),
    sa.Column('gap', db.types.ExactDecimal(precision=24, scale=6), nullable=True),
    sa.Column('evaluated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['sla_commitments.id'], name=op.f('fk_sla_evaluations_commitment_id_sla_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['sla_versions.id'], name=op.f('fk_sla_evaluations_version_id_sla_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_evaluations_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_evaluations')),
    sa.UniqueConstraint('commitment_id', 'period_start', name=op.f('uq_sla_evaluations_commitment_id_period_start'))
    )
    with op.batch_alter_table('sla_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_evaluations_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_evaluations_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_risk_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value_so_far', db.types.ExactDecimal(precision=24, scale=6), nullable=True),
    sa.Column('flagged_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['sla_commitments.id'], name=op.f('fk_sla_risk_flags_commitment_id_sla_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['sla_versions.id'], name=op.f('fk_sla_risk_flags_version_id_sla_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_risk_flags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_risk_flags')),
    sa.UniqueConstraint('commitment_id', 'period_start', name=op.f('uq_sla_risk_flags_commitment_id_period_start'))
    )
    with op.batch_alter_table('sla_risk_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_risk_flags_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_risk_flags_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('responsible_user_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', 'closed', name='sla_breach_status', native_enum=False, length=32), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('posted_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=32), nullable=True),
    sa.Column('acknowledged_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('plan_owner', sa.String(length=32), nullable=True),
    sa.Column('plan_due', sa.Date(), nullable=True),
    sa.Column('ended_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('end_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['sla_commitments.id'], name=op.f('fk_sla_breaches_commitment_id_sla_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['sla_evaluations.id'], name=op.f('fk_sla_breaches_evaluation_id_sla_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_sla_breaches_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_breaches_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_breaches')),
    sa.UniqueConstraint('evaluation_id', name=op.f('uq_sla_breaches_evaluation_id')),
    sa.UniqueConstraint('team_id', 'number', name=op.f('uq_sla_breaches_team_id_number'))
    )
    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_breaches_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_breaches_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_breaches_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sla_breach_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('claim', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['breach_id'], ['sla_breaches.id'], name=op.f('fk_sla_breach_steps_breach_id_sla_breaches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sla_breach_steps_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_breach_steps')),
    sa.UniqueConstraint('claim', name=op.f('uq_sla_breach_steps_claim'))
    )
    with op.batch_alter_table('sla_breach_steps', schema=None) as batch_op:
        batch_op.create_index('ix_sla_breach_steps_breach_id_kind', ['breach_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_breach_steps_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('alignment_teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_days', sa.String(length=16), server_default='0,1,2,3,4', nullable=False))
        batch_op.add_column(sa.Column('work_start', sa.Time(), server_default='08:00:00', nullable=False))
        batch_op.add_column(sa.Column('work_end', sa.Time(), server_default='17:00:00', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('alignment_teams', schema=None) as batch_op:
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')
        batch_op.drop_column('work_days')

    with op.batch_alter_table('sla_breach_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_breach_steps_workspace_id'))
        batch_op.drop_index('ix_sla_breach_steps_breach_id_kind')

    op.drop_table('sla_breach_steps')
    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_breaches_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sla_breaches_team_id'))
        batch_op.drop_index(batch_op.f('ix_sla_breaches_commitment_id'))

    op.drop_table('sla_breaches')
    with op.batch_alter_table('sla_risk_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_risk_flags_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sla_risk_flags_commitment_id'))

    op.drop_table('sla_risk_flags')
    with op.batch_alter_table('sla_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_evaluations_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sla_evaluations_commitment_id'))

    op.drop_table('sla_evaluations')
    with op.batch_alter_table('sla_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_acceptances_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sla_acceptances_version_id'))

    op.drop_table('sla_acceptances')
    with op.batch_alter_table('sla_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_versions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_sla_versions_commitment_id'))

    op.drop_table('sla_versions')
    with op.batch_alter_table('sla_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_commitments_workspace_id'))

    op.drop_table('sla_commitments')
