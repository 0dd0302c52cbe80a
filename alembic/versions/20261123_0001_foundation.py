"""foundation: workspaces, teams, audit, events, job runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('workspaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slack_team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_locale', sa.String(length=8), nullable=False),
    sa.Column('default_timezone', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('installed', 'uninstalled', name='workspace_state', native_enum=False, length=32), nullable=False),
    sa.Column('installed_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    sa.UniqueConstraint('slack_team_id', name=op.f('uq_workspaces_slack_team_id'))
    )
    op.create_table('alignment_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('weekly_meeting_weekday', sa.Integer(), nullable=False),
    sa.Column('weekly_meeting_time', sa.Time(), nullable=False),
    sa.Column('weekly_meeting_minutes', sa.Integer(), nullable=False),
    sa.Column('monthly_meeting_nth', sa.Integer(), nullable=False),
    sa.Column('monthly_meeting_weekday', sa.Integer(), nullable=False),
    sa.Column('monthly_meeting_time', sa.Time(), nullable=False),
    sa.Column('monthly_meeting_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_alignment_teams_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alignment_teams')),
    sa.UniqueConstraint('workspace_id', 'channel_id', name=op.f('uq_alignment_teams_workspace_id_channel_id')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_alignment_teams_workspace_id_name'))
    )
    with op.batch_alter_table('alignment_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alignment_teams_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('running', 'done', 'failed', name='job_run_status', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_job_runs_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('workspace_id', 'job', 'subject', 'period', name=op.f('uq_job_runs_workspace_id_job_subject_period'))
    )
    op.create_table('processed_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('received_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_processed_events_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processed_events')),
    sa.UniqueConstraint('workspace_id', 'event_id', name=op.f('uq_processed_events_workspace_id_event_id'))
    )
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_events_received_at'), ['received_at'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_audit_log_team_id_alignment_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_audit_log_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_workspace_id_at', ['workspace_id', 'at'], unique=False)

    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.Enum('marketing_lead', 'sales_lead', 'admin', name='team_role', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_team_members_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_team_members_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_members')),
    sa.UniqueConstraint('team_id', 'slack_user_id', 'role', name=op.f('uq_team_members_team_id_slack_user_id_role'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_members_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_team_members_team_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_workspace_id_at')

    op.drop_table('audit_log')
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_events_received_at'))

    op.drop_table('processed_events')
    op.drop_table('job_runs')
    with op.batch_alter_table('alignment_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alignment_teams_workspace_id'))

    op.drop_table('alignment_teams')
    op.drop_table('workspaces')
