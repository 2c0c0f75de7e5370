"""Benefits: "For You" reminder subscriptions; the notifications outbox takes benefit reminders and e-mail addresses.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_0002 = "kind IN ('class_reminder', 'waitlist_promoted')"
KINDS_0003 = "kind IN ('class_reminder', 'waitlist_promoted', 'benefit_reminder')"


def _notifications(kinds: str, recipient_length: int) -> sa.Table:
    """The notifications table as it is before the change: SQLite rebuilds it from this (its CHECK constraints are
    not reflected reliably), PostgreSQL alters it in place and ignores it."""
    return sa.Table(
        "notifications",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("booking_number", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(recipient_length), nullable=True),
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(kinds, name="ck_notifications_kind"),
        sa.CheckConstraint("attempts >= 0", name="ck_notifications_attempts"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
        sa.Index("ix_notifications_booking_number", "booking_number"),
        sa.Index("ix_notifications_due_at", "due_at"),
        sa.Index("ix_notifications_sender_key", "sender_key"),
        sqlite_autoincrement=True,
    )


def _change_notifications(*, kinds_from: str, kinds_to: str, length_from: int, length_to: int) -> None:
    with op.batch_alter_table("notifications", copy_from=_notifications(kinds_from, length_from)) as batch:
        batch.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_notifications_kind"), sa.text(kinds_to))
        batch.alter_column(
            "recipient",
            existing_type=sa.String(length_from),
            type_=sa.String(length_to),
            existing_nullable=True,
        )


def upgrade() -> None:
    op.create_table(
        "benefit_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=True),
        sa.Column("child_birth_month", sa.Date(), nullable=False),
        sa.Column("ward", sa.String(32), nullable=True),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("channel IN ('line', 'email')", name=op.f("ck_benefit_subscriptions_channel")),
        sa.CheckConstraint(
            "stopped_at IS NOT NULL OR recipient IS NOT NULL", name=op.f("ck_benefit_subscriptions_recipient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_benefit_subscriptions_token")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_benefit_subscriptions_sender_key"), "benefit_subscriptions", ["sender_key"])
    op.create_index(op.f("ix_benefit_subscriptions_stopped_at"), "benefit_subscriptions", ["stopped_at"])
    _change_notifications(kinds_from=KINDS_0002, kinds_to=KINDS_0003, length_from=64, length_to=254)


def downgrade() -> None:
    # What 0002 cannot hold: benefit reminders, and e-mail recipients longer than its 64 characters.
    op.execute("DELETE FROM notifications WHERE kind = 'benefit_reminder' OR length(recipient) > 64")
    _change_notifications(kinds_from=KINDS_0003, kinds_to=KINDS_0002, length_from=254, length_to=64)
    op.drop_table("benefit_subscriptions")
