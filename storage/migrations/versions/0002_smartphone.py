"""Smartphone classes: the class catalogue, bookings with waiting lists, and the notification outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "smartphone_classes",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_smartphone_classes_capacity")),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name=op.f("ck_smartphone_classes_taken")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_smartphone_classes_times")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smartphone_classes")),
    )
    op.create_index(op.f("ix_smartphone_classes_starts_at"), "smartphone_classes", ["starts_at"])
    op.create_table(
        "smartphone_bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(16), nullable=True),
        sa.Column("class_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.Column("line_to", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("seats >= 1 AND seats <= 4", name=op.f("ck_smartphone_bookings_seats")),
        sa.CheckConstraint("status IN ('booked', 'waiting', 'cancelled')", name=op.f("ck_smartphone_bookings_status")),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["smartphone_classes.id"],
            name=op.f("fk_smartphone_bookings_class_id_smartphone_classes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smartphone_bookings")),
        sa.UniqueConstraint("number", name=op.f("uq_smartphone_bookings_number")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_smartphone_bookings_class_status", "smartphone_bookings", ["class_id", "status", "id"])
    op.create_index(op.f("ix_smartphone_bookings_sender_key"), "smartphone_bookings", ["sender_key"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("booking_number", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=True),
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
        sa.CheckConstraint("kind IN ('class_reminder', 'waitlist_promoted')", name=op.f("ck_notifications_kind")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_notifications_booking_number"), "notifications", ["booking_number"])
    op.create_index(op.f("ix_notifications_due_at"), "notifications", ["due_at"])
    op.create_index(op.f("ix_notifications_sender_key"), "notifications", ["sender_key"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("smartphone_bookings")
    op.drop_table("smartphone_classes")
