"""The archive's store for a test: a SQLite file, or a schema of its own on the real
PostgreSQL (``RAPPORT_TEST_POSTGRES_URL``, default the machine's 127.0.0.1:5432, database
``test``), dropped afterwards. PostgreSQL being unreachable fails the test, saying so: it is
never skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from rapport_archive.migrate import upgrade
from rapport_archive.store import make_engine

POSTGRES_URL = os.environ.get(
    "RAPPORT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


def postgres_schema_url(schema: str) -> str:
    joiner = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL (not migrated yet), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {POSTGRES_URL} is unreachable ({str(exc).strip().splitlines()[0]}); "
            "the archive tests need a real one: start it, or point RAPPORT_TEST_POSTGRES_URL "
            "at one",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield postgres_schema_url(schema)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A migrated store."""
    made = make_engine(store_url)
    upgrade(made)
    yield made
    made.dispose()
