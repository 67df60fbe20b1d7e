"""Session-wide PostgreSQL, a template database migrated once, and a fresh copy of it per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pgserver
from tests.fixture_app import FixtureApp, copy_fixture

TEMPLATE = "wfplugin_template"


@pytest.fixture(scope="session")
def pg() -> Iterator[pgserver.PostgresCluster]:
    with pgserver.running() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def template_database(pg: pgserver.PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """orchestrator-core's schema and the fixture's products, migrated once with the real
    ``python main.py db upgrade heads``; each test gets a copy."""
    url = pg.create_database(TEMPLATE)
    FixtureApp(copy_fixture(tmp_path_factory.mktemp("template") / "app"), url).upgrade()
    yield TEMPLATE
    pg.drop_database(TEMPLATE)


@pytest.fixture
def database_url(pg: pgserver.PostgresCluster, template_database: str) -> Iterator[str]:
    name = f"wfplugin_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(name, template=template_database)
    yield url
    pg.drop_database(name)


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> FixtureApp:
    """A private copy of migrations_fixture/ on a private database at head."""
    return FixtureApp(copy_fixture(tmp_path / "app"), database_url)
