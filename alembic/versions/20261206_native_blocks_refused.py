"""native_blocks_refused: workspaces.native_blocks_refused_at, when Slack last refused a chart block

A workspace whose Slack answered `invalid_blocks` for a native chart (data_visualization) or
table block gets its agendas' charts as PNG uploads until a day after this instant, instead of
being offered the native blocks (and refusing them) on every post. NULL: never refused.

Revision ID: native_blocks_refused
Revises: customer_feedback
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = 'native_blocks_refused'
down_revision: Union[str, None] = 'customer_feedback'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('workspaces', sa.Column('native_blocks_refused_at', db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspaces') as batch_op:
        batch_op.drop_column('native_blocks_refused_at')
