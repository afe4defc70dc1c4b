"""What the policy lab needs to replay archived history (issue 16 item 5): each message row
also keeps its author (bot turns are archived too: their fallback flag moves the router's
state), when it was sent, its classification with every signal's evidence text removed, and
the customer's tier and attributes (what a policy can match). Still no customer text.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("author", sa.String(length=16), nullable=False, server_default="customer")
        )
        batch.add_column(sa.Column("sent_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("classification", sa.Text(), nullable=True))
        batch.add_column(sa.Column("customer", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bot_fallback", sa.Boolean(), nullable=True))
        batch.create_index("ix_messages_site_sent_ms", ["site", "sent_ms"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_site_sent_ms")
        for column in ("bot_fallback", "customer", "classification", "sent_ms", "author"):
            batch.drop_column(column)
