"""Every change kind end to end, on a copy of the registered tutorial, through the real main.py:
the revision autogenerate writes, the state after upgrade, a second autogenerate writing nothing,
and the exact state after downgrade."""

from __future__ import annotations

import re

import pytest

from tests.fixture_app import FixtureApp
from tests.scenario import downgrade_restores, entries, new_revision, retired_names, rows, upgrade_then_in_sync

# The rules these cases hold are the pure core's, the same on every orchestrator-core release (their SQL
# runs in-process on every release in test_render and the round-trip properties): through main.py on the
# default release only (the Makefile deselects them elsewhere).
pytestmark = pytest.mark.release_independent

USERS = ["User external", "User internal"]


def live(snapshot: dict[str, object]) -> list[tuple[object, ...]]:
    """The live rows of a snapshot, without deleted_at."""
    return [row[:4] + row[5:] for row in snapshot["workflows"] if row[4] is None]  # type: ignore[attr-defined]


def test_validate_workflow_moves_from_system_to_validate(registered_app: FixtureApp) -> None:
    app = registered_app
    # registered before orchestrator-core 4.0: target SYSTEM, a task, linked to the User products
    app.query(
        "INSERT INTO workflows (name, target, description, is_task)"
        " VALUES ('validate_user', 'SYSTEM', 'Validate', true)"
    )
    app.query(
        "INSERT INTO products_workflows SELECT p.product_id, w.workflow_id FROM products p, workflows w"
        " WHERE w.name = 'validate_user' AND p.product_type = 'User'"
    )
    app.add_workflow("user", "validate_user", "VALIDATE")
    before = app.snapshot()

    source = new_revision(app, "validate is a target")
    # still a task: is_task is left as it is (None)
    assert entries(source, "updated") == [
        {"name": "validate_user", "target": "VALIDATE", "is_task": None, "description": None}
    ]
    upgrade_then_in_sync(app)
    assert rows(app)["validate_user"] == ("VALIDATE", "Validate", True, None, USERS)
    downgrade_restores(app, before)


def test_product_added_after_registration_gets_its_types_workflows(registered_app: FixtureApp) -> None:
    app = registered_app
    app.query(
        "INSERT INTO products (name, description, product_type, tag, status)"
        " VALUES ('User contractor', 'A contractor', 'User', 'USER_CON', 'active')"
    )
    before = app.snapshot()
    source = new_revision(app, "link contractor")
    assert "INSERT INTO products_workflows" in source
    upgrade_then_in_sync(app)
    after = rows(app)
    for name in ("create_user", "modify_user", "terminate_user", "modify_note"):
        assert "User contractor" in after[name][4], name
    for name in ("create_user_group", "modify_user_group", "terminate_user_group"):
        assert after[name][4] == ["User Group"]
    downgrade_restores(app, before)


def test_retired_workflow_with_processes_is_soft_deleted_and_keeps_its_history(registered_app: FixtureApp) -> None:
    app = registered_app
    app.query(
        "INSERT INTO processes (workflow_id, last_status, is_task)"
        " SELECT workflow_id, status, false FROM workflows, unnest(ARRAY['completed', 'failed']) AS status"
        " WHERE name = 'modify_user'"
    )
    app.unregister("modify_user", "terminate_user")
    before = app.snapshot()
    assert len(before["processes"]) == 2  # type: ignore[arg-type]

    source = new_revision(app, "retire two")
    assert retired_names(source) == ["modify_user", "terminate_user"]
    assert "Its scheduler jobs go first" in source
    upgrade_then_in_sync(app)
    after = rows(app)
    assert "terminate_user" not in after  # never ran: deleted, links with it
    *_, deleted_at, products = after["modify_user"]
    assert deleted_at is not None and products == USERS  # soft-deleted, as orchestrator-core does
    assert app.snapshot()["processes"] == before["processes"]
    downgrade_restores(app, before)


def test_soft_deleted_workflow_declared_again_is_restored(registered_app: FixtureApp) -> None:
    app = registered_app
    app.query("UPDATE workflows SET deleted_at = '2025-06-01 12:34:56.789012+00' WHERE name = 'modify_user'")
    app.query(
        "INSERT INTO processes (workflow_id, last_status, is_task)"
        " SELECT workflow_id, 'completed', false FROM workflows WHERE name = 'modify_user'"
    )
    workflow_id = app.query("SELECT workflow_id FROM workflows WHERE name = 'modify_user'")
    before = app.snapshot()
    source = new_revision(app, "restore")
    assert [entry["name"] for entry in entries(source, "added")] == ["modify_user"]
    assert not re.search(r"\d{4}-\d{2}-\d{2} ", source.split('"""', 2)[2])  # no timestamp from this database
    upgrade_then_in_sync(app)
    assert rows(app)["modify_user"] == ("MODIFY", "Modify user", False, None, USERS)
    assert app.query("SELECT workflow_id FROM workflows WHERE name = 'modify_user'") == workflow_id  # the same row
    # the downgrade retires it again: soft-deleted now (it has a process), history kept
    app.run("db", "downgrade", "data@-1")
    assert live(app.snapshot()) == live(before)
    assert app.snapshot()["processes"] == before["processes"]


def test_description_drift_only_with_the_option(registered_app: FixtureApp) -> None:
    app = registered_app
    app.query("UPDATE workflows SET description = 'Edited in the UI' WHERE name = 'create_user'")
    module = app.directory / "workflows" / "user" / "create_user.py"
    module.write_text(
        re.sub(r"@workflow\((.*)target=", '@workflow("Create a user account", target=', module.read_text())
    )

    files = app.revision_files()
    app.autogenerate("off by default")
    assert app.revision_files() == files  # the database owns descriptions

    app.configure(wfplugin_compare_descriptions=True)
    before = app.snapshot()
    new_revision(app, "descriptions from code")
    upgrade_then_in_sync(app)
    assert rows(app)["create_user"][1] == "Create a user account"
    downgrade_restores(app, before)
