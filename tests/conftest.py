"""Session-wide PostgreSQL, a template database migrated once, and a fresh copy of it per test."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from alembic_wfplugin import compat
from tests import pgserver
from tests.fixture_app import FIXTURE, FixtureApp, copy_fixture

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


def _forget_fixture_modules() -> None:
    for name in [name for name in sys.modules if name == "workflows" or name.startswith("workflows.")]:
        del sys.modules[name]


@pytest.fixture
def registry() -> Iterator[MutableMapping[str, Any]]:
    """orchestrator-core's ALL_WORKFLOWS, restored afterwards so that other tests see it unchanged."""
    all_workflows: MutableMapping[str, Any] = compat.workflow_registry()  # type: ignore[assignment]
    saved = dict(all_workflows)
    yield all_workflows
    all_workflows.clear()
    all_workflows.update(saved)
    _forget_fixture_modules()


@pytest.fixture
def fixture_registry(registry: MutableMapping[str, Any]) -> Iterator[MutableMapping[str, Any]]:
    """The tutorial's six workflows registered in this process, as main.py's `import workflows` does."""
    _forget_fixture_modules()
    sys.path.insert(0, str(FIXTURE))
    try:
        __import__("workflows")
        yield registry
    finally:
        sys.path.remove(str(FIXTURE))
