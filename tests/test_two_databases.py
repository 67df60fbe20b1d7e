"""Issue 11's walk-through through the real main.py: one application folder, two databases ("dev" and
"prod") with different process history. Revisions are generated on dev and applied to both; after each
upgrade an autogenerate against prod finds nothing and no process row is lost."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from alembic_wfplugin import pgserver
from tests.fixture_app import FixtureApp, copy_fixture
from tests.scenario import new_revision, rows

USERS = ["User external", "User internal"]


@pytest.fixture
def dev_and_prod(
    pg: pgserver.PostgresCluster, registered_template: tuple[Path, str], tmp_path: Path
) -> Iterator[tuple[FixtureApp, FixtureApp]]:
    directory, template = registered_template
    names = [f"wfplugin_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    folder = copy_fixture(tmp_path / "app", source=directory)
    yield (
        FixtureApp(folder, pg.create_database(names[0], template)),
        FixtureApp(folder, pg.create_database(names[1], template)),
    )
    for name in names:
        pg.drop_database(name)


def add_process(app: FixtureApp, workflow: str) -> None:
    app.query(
        "INSERT INTO processes (workflow_id, last_status, is_task)"
        " SELECT workflow_id, 'completed', false FROM workflows WHERE name = :name",
        name=workflow,
    )


def in_sync(app: FixtureApp) -> None:
    files = app.revision_files()
    app.autogenerate("nothing left")
    assert app.revision_files() == files, "autogenerate against this database must write nothing"


# the same SQL on every release: on the others, tests/test_round_trip.py and test_domain_round_trip.py run
# revisions generated on one database on a second one in-process
@pytest.mark.release_independent
def test_generated_on_dev_correct_on_prod(dev_and_prod: tuple[FixtureApp, FixtureApp]) -> None:
    dev, prod = dev_and_prod
    add_process(prod, "modify_user")
    add_process(dev, "terminate_user")
    processes = {app: app.snapshot()["processes"] for app in (dev, prod)}

    # 1. both removed from the code: each database decides delete or soft-delete itself
    dev.unregister("modify_user", "terminate_user")
    new_revision(dev, "retire two")
    dev.upgrade()
    prod.upgrade()
    assert "modify_user" not in rows(dev) and rows(dev)["terminate_user"][3] is not None
    assert "terminate_user" not in rows(prod) and rows(prod)["modify_user"][3] is not None
    in_sync(prod)

    # 2. both back in the code: on dev one has no row, the other is soft-deleted; on prod the reverse
    dev.register("workflows.user.modify_user", "modify_user")
    dev.register("workflows.user.terminate_user", "terminate_user")
    source = new_revision(dev, "bring two back")
    assert not re.search(r"\d{4}-\d{2}-\d{2} ", source.split('"""', 2)[2])  # no timestamp from dev
    dev.upgrade()
    prod.upgrade()
    for app in (dev, prod):
        after = rows(app)
        assert after["modify_user"] == ("MODIFY", "Modify user", False, None, USERS)
        assert after["terminate_user"] == ("TERMINATE", "Terminate user", False, None, USERS)
        assert app.snapshot()["processes"] == processes[app]
    in_sync(prod)

    # 3. the downgrade retires them again, deciding per database; no history lost
    prod.run("db", "downgrade", "data@-1")
    after = rows(prod)
    assert "terminate_user" not in after and after["modify_user"][3] is not None
    assert prod.snapshot()["processes"] == processes[prod]


def test_what_cannot_be_reached_stops_the_upgrade_and_rolls_it_back(
    dev_and_prod: tuple[FixtureApp, FixtureApp],
) -> None:
    dev, prod = dev_and_prod
    # dev has a product of type Port (its product migration is not in this folder), prod does not
    dev.query(
        "INSERT INTO products (name, description, product_type, tag, status)"
        " VALUES ('Port 10G', 'A port', 'Port', 'PORT', 'active')"
    )
    dev.add_workflow("port", "create_port", "CREATE")
    dev.add_workflow("user", "validate_user", "VALIDATE")  # reachable on both
    new_revision(dev, "port workflows")
    before = prod.snapshot()
    version = prod.query("SELECT version_num FROM alembic_version")

    result = prod.run("db", "upgrade", "heads", check=False)

    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "create_port: product type Port" in output
    assert "Run the migration that adds those products first" in output
    # PostgreSQL's transactional DDL: nothing of the upgrade is left, not even validate_user
    assert prod.snapshot() == before
    assert prod.query("SELECT version_num FROM alembic_version") == version
