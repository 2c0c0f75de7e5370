"""Offered payloads: the /intent payloads of buttons the assistant offered to each sender (keyed hashes only).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offered_payloads",
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.Column("payload_key", sa.String(64), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender_key", "payload_key", name="pk_offered_payloads"),
    )
    op.create_index("ix_offered_payloads_offered_at", "offered_payloads", ["offered_at"])


def downgrade() -> None:
    op.drop_index("ix_offered_payloads_offered_at", table_name="offered_payloads")
    op.drop_table("offered_payloads")
