"""Every change kind end to end, on a copy of the registered tutorial, through the real main.py:
the revision autogenerate writes, the state after upgrade, a second autogenerate writing nothing,
and the exact state after downgrade."""

from __future__ import annotations

import re

import pytest

from tests.fixture_app import FixtureApp, WorkflowRow
from tests.scenario import (
    Scenario,
    downgrade_restores,
    entries,
    new_revision,
    retired_names,
    rows,
    run_scenario,
    upgrade_then_in_sync,
)

# The rules these cases hold are the pure core's, the same on every orchestrator-core release (their SQL
# runs in-process on every release in test_render and the round-trip properties): through main.py on the
# default release only (the Makefile deselects them elsewhere).
pytestmark = pytest.mark.release_independent

USERS = ("User external", "User internal")


def live(snapshot: dict[str, object]) -> list[tuple[object, ...]]:
    """The live rows of a snapshot, without deleted_at."""
    return [row[:4] + row[5:] for row in snapshot["workflows"] if row[4] is None]  # type: ignore[attr-defined]


def test_validate_workflow_moves_from_system_to_validate(registered_app: FixtureApp) -> None:
    # registered before orchestrator-core 4.0: target SYSTEM, a task, linked to the User products
    before_4_0 = Scenario(
        database=(
            "INSERT INTO workflows (name, target, description, is_task)"
            " VALUES ('validate_user', 'SYSTEM', 'Validate', true)",
            "INSERT INTO products_workflows SELECT p.product_id, w.workflow_id FROM products p, workflows w"
            " WHERE w.name = 'validate_user' AND p.product_type = 'User'",
        ),
        code=lambda app: app.add_workflow("user", "validate_user", "VALIDATE"),
        # still a task: is_task is left as it is (None)
        entries={"updated": [{"name": "validate_user", "target": "VALIDATE", "is_task": None, "description": None}]},
        rows={"validate_user": WorkflowRow("VALIDATE", "Validate", True, False, USERS)},
    )
    run_scenario(registered_app, before_4_0)


def test_product_added_after_registration_gets_its_types_workflows(registered_app: FixtureApp) -> None:
    contractor = Scenario(
        database=(
            "INSERT INTO products (name, description, product_type, tag, status)"
            " VALUES ('User contractor', 'A contractor', 'User', 'USER_CON', 'active')",
        ),
        links={
            **{name: ("User contractor", *USERS) for name in ("create_user", "modify_user", "terminate_user")},
            "modify_note": ("User Group", "User contractor", *USERS),  # a default product workflow: every product
            **{name: ("User Group",) for name in ("create_user_group", "modify_user_group", "terminate_user_group")},
        },
    )
    run_scenario(registered_app, contractor)


def test_retired_workflow_with_processes_is_soft_deleted_and_keeps_its_history(registered_app: FixtureApp) -> None:
    retired = Scenario(
        database=(
            "INSERT INTO processes (workflow_id, last_status, is_task)"
            " SELECT workflow_id, status, false FROM workflows, unnest(ARRAY['completed', 'failed']) AS status"
            " WHERE name = 'modify_user'",
        ),
        code=lambda app: app.unregister("modify_user", "terminate_user"),
        rows={
            "terminate_user": None,  # never ran: deleted, links with it
            "modify_user": WorkflowRow(
                "MODIFY", "Modify user", False, True, USERS
            ),  # soft-deleted, as orchestrator-core does
        },
    )
    source = run_scenario(registered_app, retired)
    assert retired_names(source) == ["modify_user", "terminate_user"]
    assert "Its scheduler jobs go first" in source


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
    assert app.workflows()["modify_user"] == WorkflowRow("MODIFY", "Modify user", False, False, USERS)
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
