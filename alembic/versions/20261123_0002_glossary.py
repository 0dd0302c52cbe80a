"""glossary: terms, versions, approvals, change requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('glossary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_glossary_terms_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_glossary_terms_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_terms')),
    sa.UniqueConstraint('team_id', 'key', name=op.f('uq_glossary_terms_team_id_key'))
    )
    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_terms_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('glossary_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('owner_side', sa.String(length=16), nullable=False),
    sa.Column('formula', sa.Text(), nullable=False),
    sa.Column('source_system', sa.Text(), nullable=False),
    sa.Column('examples', sa.Text(), nullable=False),
    sa.Column('non_examples', sa.Text(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'agreed', 'superseded', 'withdrawn', name='glossary_version_status', native_enum=False, length=32), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agreed_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['term_id'], ['glossary_terms.id'], name=op.f('fk_glossary_versions_term_id_glossary_terms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_glossary_versions_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_versions')),
    sa.UniqueConstraint('term_id', 'number', name=op.f('uq_glossary_versions_term_id_number'))
    )
    with op.batch_alter_table('glossary_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_versions_term_id'), ['term_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_glossary_versions_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('glossary_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('sides', sa.JSON(), nullable=False),
    sa.Column('at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['glossary_versions.id'], name=op.f('fk_glossary_approvals_version_id_glossary_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_glossary_approvals_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_approvals')),
    sa.UniqueConstraint('version_id', 'user_id', name=op.f('uq_glossary_approvals_version_id_user_id'))
    )
    with op.batch_alter_table('glossary_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_approvals_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_glossary_approvals_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('glossary_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['glossary_versions.id'], name=op.f('fk_glossary_change_requests_version_id_glossary_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_glossary_change_requests_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_change_requests'))
    )
    with op.batch_alter_table('glossary_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_change_requests_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_glossary_change_requests_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('glossary_change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_change_requests_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_glossary_change_requests_version_id'))

    op.drop_table('glossary_change_requests')
    with op.batch_alter_table('glossary_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_approvals_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_glossary_approvals_version_id'))

    op.drop_table('glossary_approvals')
    with op.batch_alter_table('glossary_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_versions_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_glossary_versions_term_id'))

    op.drop_table('glossary_versions')
    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_terms_workspace_id'))

    op.drop_table('glossary_terms')
