"""LINE events received while a backend is down are kept until answered: status, payload and answer on line_events.

Existing rows were all handled: they become 'done'.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "status IN ('received', 'waiting', 'sending', 'done')"


def _line_events_0001() -> sa.Table:
    """line_events as 0001 made it: SQLite rebuilds the table from this, PostgreSQL alters it in place."""
    return sa.Table(
        "line_events",
        sa.MetaData(),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_line_events"),
        sa.Index("ix_line_events_seen_at", "seen_at"),
    )


def upgrade() -> None:
    with op.batch_alter_table("line_events", copy_from=_line_events_0001()) as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="done"))
        batch.add_column(sa.Column("chat_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_until", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_line_events_status"), sa.text(STATUS_CHECK))
        batch.create_index(op.f("ix_line_events_status"), ["status"])
        batch.create_index(op.f("ix_line_events_chat_id"), ["chat_id"])


def downgrade() -> None:
    # 0003 cannot hold an unanswered event: they are dropped (the resident was told the assistant was unavailable).
    op.execute("DELETE FROM line_events WHERE status <> 'done'")
    with op.batch_alter_table("line_events") as batch:
        batch.drop_index(op.f("ix_line_events_chat_id"))
        batch.drop_index(op.f("ix_line_events_status"))
        batch.drop_constraint(op.f("ck_line_events_status"), type_="check")
        for column in ("attempts", "lease_until", "answer", "payload", "chat_id", "status"):
            batch.drop_column(column)
