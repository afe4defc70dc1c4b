"""The archive's tables: decisions, messages (metadata only), handoff results, ownership
changes and feedback.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("signal", sa.String(length=200), nullable=True),
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.String(length=200), nullable=False),
        sa.Column("classifier_version", sa.String(length=200), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_ms", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("site", "decision_id"),
    )
    op.create_index(
        "ix_decisions_conversation", "decisions", ["site", "conversation_id"], unique=False
    )
    op.create_index("ix_decisions_decided_ms", "decisions", ["decided_ms"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("feedback_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("decision_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site", "feedback_id"),
    )
    op.create_index("ix_feedback_at_ms", "feedback", ["at_ms"], unique=False)
    op.create_index(
        "ix_feedback_conversation", "feedback", ["site", "conversation_id"], unique=False
    )
    op.create_table(
        "handoff_results",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("handoff_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("decision_id", sa.String(length=200), nullable=True),
        sa.Column("adapter", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "handoff_id", "status", "at_ms"),
    )
    op.create_index("ix_handoff_results_at_ms", "handoff_results", ["at_ms"], unique=False)
    op.create_index(
        "ix_handoff_results_conversation",
        "handoff_results",
        ["site", "conversation_id"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site", "conversation_id", "message_id"),
    )
    op.create_index("ix_messages_customer", "messages", ["site", "customer_id"], unique=False)
    op.create_index("ix_messages_received_ms", "messages", ["received_ms"], unique=False)
    op.create_table(
        "ownership_changes",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("instruction_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site", "instruction_id"),
    )
    op.create_index("ix_ownership_at_ms", "ownership_changes", ["at_ms"], unique=False)
    op.create_index(
        "ix_ownership_conversation", "ownership_changes", ["site", "conversation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ownership_conversation", table_name="ownership_changes")
    op.drop_index("ix_ownership_at_ms", table_name="ownership_changes")
    op.drop_table("ownership_changes")
    op.drop_index("ix_messages_received_ms", table_name="messages")
    op.drop_index("ix_messages_customer", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_handoff_results_conversation", table_name="handoff_results")
    op.drop_index("ix_handoff_results_at_ms", table_name="handoff_results")
    op.drop_table("handoff_results")
    op.drop_index("ix_feedback_conversation", table_name="feedback")
    op.drop_index("ix_feedback_at_ms", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_decisions_decided_ms", table_name="decisions")
    op.drop_index("ix_decisions_conversation", table_name="decisions")
    op.drop_table("decisions")
