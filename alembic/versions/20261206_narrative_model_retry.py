"""narrative_model_retry: narratives.retry_model_after, when a failed model may be asked again

A narrative stored because the model failed (the offline narrator's, with its fallback_reason)
stands for the model's for that set of figures until this instant: `/alinea insights` and the
agenda show it instead of asking the model again on every request. NULL for a narrative the
model wrote, and for one the offline narrator wrote by the team's choice.

Revision ID: narrative_model_retry
Revises: claim_leases
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = 'narrative_model_retry'
down_revision: Union[str, None] = 'claim_leases'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('narratives', sa.Column('retry_model_after', db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('narratives') as batch_op:
        batch_op.drop_column('retry_model_after')
