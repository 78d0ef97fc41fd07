"""Create the listings table.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
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
        "listings",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("bedrooms", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Integer, nullable=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("price >= 0", name="listings_price_nonnegative"),
        sa.CheckConstraint("bedrooms >= 0", name="listings_bedrooms_nonnegative"),
    )
    op.create_index("listings_created_at_idx", "listings", ["created_at"])


def downgrade() -> None:
    op.drop_index("listings_created_at_idx", table_name="listings")
    op.drop_table("listings")
