"""Interpreter transcripts: desk-tablet conversations staff saved, each with its expiry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0006"
# TEMPORARY while the session's helpers add 0004 and 0005 in parallel: chain onto the newest that exists, so the
# history never has two heads. The lead replaces this with the constant "0005" when merging.
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interpreter_transcripts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("turns", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreter_transcripts")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_interpreter_transcripts_expires_at"), "interpreter_transcripts", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_interpreter_transcripts_expires_at"), table_name="interpreter_transcripts")
    op.drop_table("interpreter_transcripts")
