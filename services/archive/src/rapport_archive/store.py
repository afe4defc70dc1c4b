"""The archive's relational store: its tables (SQLAlchemy 2 typed ORM), the engine for a
``RAPPORT_ARCHIVE_URL``, insert-or-ignore writes, retention and erasure.

One row per event, keyed by the event's own id (``decision_id``, ``instruction_id``,
``feedback_id``, the message's id; a handoff result by its handoff, status and time, since a
handoff that failed and was replayed has two results), so a redelivered stream entry is
ignored, never doubled. Every table carries ``site`` and ``conversation_id`` (erasure) and an
integer epoch-milliseconds time (retention, and arithmetic that reads the same on SQLite and
PostgreSQL). Customer text is never stored: a message row keeps only its metadata.

The schema is created and changed by the Alembic migrations in ``migrations/``, never by
``create_all``: :func:`rapport_archive.migrate.upgrade`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DAY_MS = 86_400_000


class Base(DeclarativeBase):
    pass


class DecisionRow(Base):
    """Every routing decision, both routes (shadow verdicts too, flagged)."""

    __tablename__ = "decisions"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(200))
    signal: Mapped[str | None] = mapped_column(String(200))
    policy_id: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(200))
    classifier_version: Mapped[str] = mapped_column(String(200))
    shadow: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_ms: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(Integer)  # days since 1970-01-01 (UTC)
    reasons: Mapped[str] = mapped_column(Text)  # the reasons as JSON: rule, signal, value, ...
    event: Mapped[str] = mapped_column(Text)  # the whole Decision as JSON (the audit record)

    __table_args__ = (
        Index("ix_decisions_conversation", "site", "conversation_id"),
        Index("ix_decisions_decided_ms", "decided_ms"),
    )


class MessageRow(Base):
    """A customer or bot message's metadata (channel, language, arrival; for a replay its
    classification without evidence and the customer's tier and attributes): never its text."""

    __tablename__ = "messages"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(200))  # for `rapport forget --customer`
    channel: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_ms: Mapped[int] = mapped_column(BigInteger)
    # For the policy lab's replay (revision 0002): never the text, nor the signals' evidence.
    author: Mapped[str] = mapped_column(String(16), server_default="customer")
    sent_ms: Mapped[int | None] = mapped_column(BigInteger)
    classification: Mapped[str | None] = mapped_column(Text)  # Classification JSON
    customer: Mapped[str | None] = mapped_column(Text)  # tier and attributes, JSON
    bot_fallback: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_messages_received_ms", "received_ms"),
        Index("ix_messages_customer", "site", "customer_id"),
        Index("ix_messages_site_sent_ms", "site", "sent_ms"),
    )


class HandoffResultRow(Base):
    """What happened to each handoff."""

    __tablename__ = "handoff_results"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    handoff_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    at_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    decision_id: Mapped[str | None] = mapped_column(String(200))
    adapter: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_handoff_results_conversation", "site", "conversation_id"),
        Index("ix_handoff_results_at_ms", "at_ms"),
    )


class OwnershipRow(Base):
    """Ownership changes: the router's ``hold`` (a person owns the conversation now) and
    ``resume`` (it is the bot's again) instructions; ``respond`` is not a change and is not
    kept."""

    __tablename__ = "ownership_changes"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    instruction_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_ownership_conversation", "site", "conversation_id"),
        Index("ix_ownership_at_ms", "at_ms"),
    )


class FeedbackRow(Base):
    """People's verdicts on decisions (the latest per decision counts)."""

    __tablename__ = "feedback"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    feedback_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    decision_id: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(32))
    route: Mapped[str | None] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_feedback_conversation", "site", "conversation_id"),
        Index("ix_feedback_at_ms", "at_ms"),
    )


# Each table with the column its retention and erasure go by.
TABLES: dict[str, tuple[type[Base], str]] = {
    "decisions": (DecisionRow, "decided_ms"),
    "messages": (MessageRow, "received_ms"),
    "handoff_results": (HandoffResultRow, "at_ms"),
    "ownership_changes": (OwnershipRow, "at_ms"),
    "feedback": (FeedbackRow, "at_ms"),
}


class ArchiveURLError(ValueError):
    """A ``RAPPORT_ARCHIVE_URL`` that cannot be used; the message says what to set."""


def engine_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (the driver the package ships);
    SQLite keeps its URL."""
    for head in ("postgresql://", "postgres://"):
        if url.startswith(head):
            return "postgresql+psycopg://" + url.removeprefix(head)
    return url


def redact_url(url: str) -> str:
    try:
        return make_url(engine_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def make_engine(url: str) -> Engine:
    """The engine for ``url``. A SQLite file's directory is created; SQLite runs in WAL mode
    so the console reads while the archive writes."""
    try:
        parsed = make_url(engine_url(url))
    except ArgumentError:
        raise ArchiveURLError(
            "RAPPORT_ARCHIVE_URL is not a database URL; set it to sqlite:///<path> or "
            "postgresql://user:password@host/database"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ArchiveURLError(
            f"RAPPORT_ARCHIVE_URL names {parsed.get_backend_name()!r}; the archive supports "
            "sqlite:///<path> and postgresql://user:password@host/database"
        )
    return create_engine(parsed, pool_pre_ping=True)


@dataclass
class Rows:
    """Rows to insert, per table."""

    by_table: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.by_table.setdefault(table, []).append(row)

    def extend(self, other: Rows) -> None:
        for table, rows in other.by_table.items():
            self.by_table.setdefault(table, []).extend(rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_table.values())


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``; a row whose key is already there is left as it is (a redelivery)."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(pg_insert(table).on_conflict_do_nothing(), list(rows))
    elif name == "sqlite":
        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), list(rows))
    else:  # pragma: no cover - make_engine refuses other databases
        raise ArchiveURLError(f"no insert-or-ignore for {name}")


def write(engine: Engine, rows: Rows) -> None:
    """All of ``rows`` in one transaction."""
    with engine.begin() as conn:
        for name, table_rows in rows.by_table.items():
            model, _ = TABLES[name]
            insert_ignore(conn, model.__table__, table_rows)  # type: ignore[arg-type]


def delete_older_than(engine: Engine, days: int, now_ms: int | None = None) -> dict[str, int]:
    """Retention: delete every row older than ``days``; the rows deleted, per table."""
    cutoff = (now_ms if now_ms is not None else int(time.time() * 1000)) - days * DAY_MS
    removed: dict[str, int] = {}
    with engine.begin() as conn:
        for name, (model, column) in TABLES.items():
            result = conn.execute(delete(model).where(model.__table__.c[column] < cutoff))
            removed[name] = int(result.rowcount or 0)
    return removed


def conversations_of_customer(engine: Engine, site: str, customer_id: str) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(MessageRow.conversation_id)
            .where(MessageRow.site == site, MessageRow.customer_id == customer_id)
            .distinct()
        )
        return {(site, str(conversation)) for (conversation,) in found}


def forget(
    engine: Engine, targets: Iterable[tuple[str, str]], dry_run: bool = False
) -> dict[str, int]:
    """Erase every row of the (site, conversation id) pairs; the rows removed (or that would
    be, with ``dry_run``), per table."""
    counts = dict.fromkeys(TABLES, 0)
    with engine.begin() as conn:
        for site, conversation in targets:
            for name, (model, _) in TABLES.items():
                columns = model.__table__.c
                where = (columns.site == site, columns.conversation_id == conversation)
                if dry_run:
                    n = conn.execute(select(func.count()).select_from(model).where(*where))
                    counts[name] += int(n.scalar_one())
                else:
                    counts[name] += int(conn.execute(delete(model).where(*where)).rowcount or 0)
    return counts


def forget_summary(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def reasons_json(reasons: Iterable[Any]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in reasons], sort_keys=True)
