"""Fixtures shared by several test modules.

PostgreSQL: tests that ask for ``pg_schema`` run against the server at $PLANNER_TEST_POSTGRES_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test), each in a fresh schema dropped
afterwards; they are skipped with a message when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

PG_URL = os.environ.get(
    "PLANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL URL the tests use ($PLANNER_TEST_POSTGRES_URL or the local default)."""
    return PG_URL


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped after the test; skip when no server answers."""
    engine = create_engine(pg_url)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        pytest.skip(
            f"no PostgreSQL server answers at {pg_url} ({error.orig}); "
            "set PLANNER_TEST_POSTGRES_URL"
        )
    schema = f"planner_test_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
