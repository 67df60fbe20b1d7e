"""pytest-alembic's standard `test_model_definitions_match_ddl`, with the plugin switched on, fails
while workflow registration has drifted and passes once it is in sync: run as a WFO team would,
from a test module in the application."""

from __future__ import annotations

import sys
import textwrap

from tests.fixture_app import FixtureApp

TEST_MODULE = textwrap.dedent(
    """
    import os

    import pytest
    import sqlalchemy as sa
    from alembic.config import Config
    from pytest_alembic.tests import test_model_definitions_match_ddl  # noqa: F401


    @pytest.fixture
    def alembic_config():
        # plain alembic does not know orchestrator-core's own schema revisions: the [standalone] section
        return Config("alembic.ini", ini_section="standalone")


    @pytest.fixture
    def alembic_engine():
        return sa.create_engine(os.environ["DATABASE_URI"])
    """
)


def run_pytest_alembic(app: FixtureApp) -> tuple[int, str]:
    (app.directory / "test_migrations.py").write_text(TEST_MODULE)
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_migrations.py",
        "-o", "pytest_alembic_tests_path=no-builtin-tests",
    ]  # fmt: skip
    result = app.run_command(command, check=False)
    return result.returncode, result.stdout + result.stderr


def test_model_definitions_match_ddl_fails_on_drift_and_passes_in_sync(app: FixtureApp) -> None:
    code, output = run_pytest_alembic(app)
    assert code == 1, output
    assert "out of sync" in output
    assert "added = [" in output and '"create_user"' in output  # the upgrade it would have generated

    app.autogenerate("register")
    app.upgrade()
    code, output = run_pytest_alembic(app)
    assert code == 0, output
    assert "1 passed" in output
