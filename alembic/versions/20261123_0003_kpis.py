"""kpis: catalog, values, ingest tokens, alert rules and episodes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('ingest_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_ingest_tokens_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_ingest_tokens_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ingest_tokens_token_hash'))
    )
    with op.batch_alter_table('ingest_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_tokens_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ingest_tokens_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('aggregation', sa.String(length=8), nullable=False),
    sa.Column('numerator_key', sa.String(length=40), nullable=True),
    sa.Column('denominator_key', sa.String(length=40), nullable=True),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('allow_over_100', sa.Boolean(), nullable=False),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=8), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_kpis_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['glossary_terms.id'], name=op.f('fk_kpis_term_id_glossary_terms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_kpis_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpis')),
    sa.UniqueConstraint('team_id', 'key', name=op.f('uq_kpis_team_id_key'))
    )
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpis_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('movement', sa.String(length=8), nullable=False),
    sa.Column('amount', db.types.ExactDecimal(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('window_hours', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_alert_rules_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_alert_rules_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_alert_rules_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rules_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_rules_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('kpi_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', db.types.ExactDecimal(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('definition_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['definition_version_id'], ['glossary_versions.id'], name=op.f('fk_kpi_values_definition_version_id_glossary_versions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_values_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_kpi_values_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_values')),
    sa.UniqueConstraint('kpi_id', 'source', 'period_kind', 'period_start', name=op.f('uq_kpi_values_kpi_id_source_period_kind_period_start'))
    )
    with op.batch_alter_table('kpi_values', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_values_kpi_id_period_start', ['kpi_id', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_values_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('alert_episodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('baseline_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('baseline', db.types.ExactDecimal(), nullable=False),
    sa.Column('reached', db.types.ExactDecimal(), nullable=False),
    sa.Column('ended_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alert_episodes_rule_id_alert_rules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_alert_episodes_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_episodes')),
    sa.UniqueConstraint('rule_id', 'number', name=op.f('uq_alert_episodes_rule_id_number'))
    )
    with op.batch_alter_table('alert_episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_episodes_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_episodes_workspace_id'))

    op.drop_table('alert_episodes')
    with op.batch_alter_table('kpi_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_values_workspace_id'))
        batch_op.drop_index('ix_kpi_values_kpi_id_period_start')

    op.drop_table('kpi_values')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_rules_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_alert_rules_team_id'))

    op.drop_table('alert_rules')
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpis_workspace_id'))

    op.drop_table('kpis')
    with op.batch_alter_table('ingest_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_tokens_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_ingest_tokens_team_id'))

    op.drop_table('ingest_tokens')
