"""claim leases: an agenda run's claim carries a lease its live poster renews

Revision ID: claim_leases
Revises: 0009
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


revision: str = 'claim_leases'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable: a run claimed before this migration (by a replica still on the previous version,
    # during a rolling upgrade) has no lease and keeps the ten-minute rule on its claimed_at.
    with op.batch_alter_table('agendas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_agendas_lease_expires_at'), ['lease_expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agendas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agendas_lease_expires_at'))
        batch_op.drop_column('lease_expires_at')
