"""Alembic environment: the archive runs its migrations on a connection it hands over
(``config.attributes["connection"]``), or on ``sqlalchemy.url`` when Alembic's own command
line is used."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from rapport_archive.store import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()
