"""customer_feedback: feedback items, the team's feedback themes, and the tags between them

Items keep only text whose personal data was removed at intake, with counts of what was removed
by kind; `external_id` (the sender's id) is unique per team so a batch sent twice stores nothing
twice. Themes are archived rather than deleted so old tags keep their meaning.

Revision ID: customer_feedback
Revises: narrative_model_retry
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = 'customer_feedback'
down_revision: Union[str, None] = 'narrative_model_retry'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('feedback_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('removed', sa.JSON(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('themes_from', sa.String(length=8), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('received_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_feedback_items_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_feedback_items_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_items')),
    sa.UniqueConstraint('team_id', 'external_id', name=op.f('uq_feedback_items_team_id_external_id')),
    sa.UniqueConstraint('team_id', 'number', name=op.f('uq_feedback_items_team_id_number'))
    )
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_team_id_received_at', ['team_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_items_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('feedback_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['alignment_teams.id'], name=op.f('fk_feedback_themes_team_id_alignment_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_feedback_themes_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_themes')),
    sa.UniqueConstraint('team_id', 'key', name=op.f('uq_feedback_themes_team_id_key'))
    )
    with op.batch_alter_table('feedback_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_themes_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_themes_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('feedback_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_tags_item_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['feedback_themes.id'], name=op.f('fk_feedback_tags_theme_id_feedback_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_feedback_tags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_tags')),
    sa.UniqueConstraint('item_id', 'theme_id', name=op.f('uq_feedback_tags_item_id_theme_id'))
    )
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_tags_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_tags_theme_id'), ['theme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_tags_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_tags_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_tags_theme_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_tags_item_id'))

    op.drop_table('feedback_tags')
    with op.batch_alter_table('feedback_themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_themes_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_themes_team_id'))

    op.drop_table('feedback_themes')
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_items_workspace_id'))
        batch_op.drop_index('ix_feedback_items_team_id_received_at')

    op.drop_table('feedback_items')
