"""Initial tables: LINE event ids and languages, reference requests, unanswered questions.

Revision ID: 0001
Revises:
Create Date: 2026-01-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_line_events")),
    )
    op.create_index(op.f("ix_line_events_seen_at"), "line_events", ["seen_at"])
    op.create_table(
        "line_users",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_line_users")),
    )
    op.create_table(
        "reference_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(16), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("library", sa.String(64), nullable=True),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'in_progress', 'answered', 'closed')", name=op.f("ck_reference_requests_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_reference_requests_number")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_reference_requests_sender_key"), "reference_requests", ["sender_key"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    op.create_index(op.f("ix_unanswered_questions_created_at"), "unanswered_questions", ["created_at"])


def downgrade() -> None:
    op.drop_table("unanswered_questions")
    op.drop_table("reference_requests")
    op.drop_table("line_users")
    op.drop_table("line_events")
