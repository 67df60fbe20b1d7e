"""Issue 16's cases through the real main.py, on a copy of the registered tutorial: after ONE revision
the links are what the rule in docs/how-it-decides.md says, product by product, and a rerun writes nothing."""

from __future__ import annotations

import pytest

from tests.fixture_app import FixtureApp
from tests.test_bad_input import fails_cleanly
from tests.test_changes import new_revision, rows, upgrade_then_in_sync

# The rules these cases hold are the pure core's, the same on every orchestrator-core release (their SQL
# runs in-process on every release in test_render and the round-trip properties): through main.py on the
# default release only (the Makefile deselects them elsewhere).
pytestmark = pytest.mark.release_independent

USER_WORKFLOWS = ("create_user", "modify_user", "terminate_user")
GROUP_WORKFLOWS = ("create_user_group", "modify_user_group", "terminate_user_group")


def add_product(app: FixtureApp, name: str, product_type: str, tag: str) -> None:
    """A product as orchestrator-core's product helpers add it: linked to the default workflow only."""
    app.query(
        "INSERT INTO products (name, description, product_type, tag, status)"
        " VALUES (:name, 'x', :product_type, :tag, 'active')",
        name=name,
        product_type=product_type,
        tag=tag,
    )
    app.query(
        "INSERT INTO products_workflows SELECT p.product_id, w.workflow_id FROM products p, workflows w"
        " WHERE p.name = :name AND w.name = 'modify_note'",
        name=name,
    )


def linked(app: FixtureApp) -> dict[str, list[str]]:
    return {name: list(row[4]) for name, row in rows(app).items() if row[3] is None}  # type: ignore[call-overload]


def test_two_products_of_one_type_added_together(registered_app: FixtureApp) -> None:
    app = registered_app
    add_product(app, "User contractor", "User", "USER_CON")
    add_product(app, "User guest", "User", "USER_GST")
    new_revision(app, "two new user products")
    upgrade_then_in_sync(app)
    after = linked(app)
    for name in USER_WORKFLOWS:
        assert after[name] == ["User contractor", "User external", "User guest", "User internal"], name
    for name in GROUP_WORKFLOWS:
        assert after[name] == ["User Group"], name


def test_new_product_beside_mapped_workflows(registered_app: FixtureApp) -> None:
    app = registered_app
    # restating today's links by type for one workflow, by tag for another
    app.configure(wfplugin_product_types={"create_user": "User", "terminate_user": ["User:USER_INT", "User:USER_EXT"]})
    add_product(app, "User contractor", "User", "USER_CON")
    new_revision(app, "a new user product")
    upgrade_then_in_sync(app)
    after = linked(app)
    assert after["create_user"] == ["User contractor", "User external", "User internal"]  # its mapping
    assert after["modify_user"] == ["User contractor", "User external", "User internal"]  # the type's new product
    assert after["terminate_user"] == ["User external", "User internal"]  # exactly its tags
    assert after["modify_note"] == ["User Group", "User contractor", "User external", "User internal"]


def test_new_default_product_workflows_are_linked_to_every_product_at_once(registered_app: FixtureApp) -> None:
    app = registered_app
    app.add_workflow("misc", "audit_everything", "SYSTEM")  # a task, and no product hint at all
    app.add_workflow("misc", "notify_owner", "MODIFY")
    app.configure(wfplugin_default_product_workflows=["modify_note", "audit_everything", "notify_owner"])
    new_revision(app, "default workflows")
    upgrade_then_in_sync(app)
    every = ["User Group", "User external", "User internal"]
    after = rows(app)
    assert after["audit_everything"][:4] == ("SYSTEM", "Audit everything", True, None)
    assert list(after["audit_everything"][4]) == every  # type: ignore[call-overload]
    assert after["notify_owner"][:4] == ("MODIFY", "Notify owner", False, None)
    assert list(after["notify_owner"][4]) == every  # type: ignore[call-overload]


def test_misspelled_default_product_workflow_is_refused(registered_app: FixtureApp) -> None:
    registered_app.configure(wfplugin_default_product_workflows=["modify_notes"])
    fails_cleanly(registered_app, "modify_notes", "did you mean 'modify_note'")


def test_misspelled_product_linked_by_hand_is_refused(registered_app: FixtureApp) -> None:
    registered_app.configure(wfplugin_products_linked_by_hand=["User extern"])
    fails_cleanly(registered_app, "'User extern'", "did you mean 'User external'")


def test_task_that_becomes_a_product_workflow_is_linked_in_the_same_revision(registered_app: FixtureApp) -> None:
    app = registered_app
    app.query("INSERT INTO workflows (name, target, description, is_task) VALUES ('sync_user', 'SYSTEM', 'Sync', true)")
    app.add_workflow("user", "sync_user", "MODIFY")
    new_revision(app, "sync is a user workflow now")
    upgrade_then_in_sync(app)
    assert rows(app)["sync_user"] == ("MODIFY", "Sync", False, None, ["User external", "User internal"])


def test_product_linked_by_hand_is_left_alone(registered_app: FixtureApp) -> None:
    app = registered_app
    add_product(app, "User legacy", "User", "USER_OLD")  # phased out: only modify_note, on purpose
    app.configure(wfplugin_products_linked_by_hand=["User legacy"])
    files = app.revision_files()
    app.autogenerate("nothing to do")
    assert app.revision_files() == files
    assert linked(app)["modify_user"] == ["User external", "User internal"]

    # a new product of the same type beside it is still linked, and the one linked by hand is not
    add_product(app, "User contractor", "User", "USER_CON")
    new_revision(app, "contractor")
    upgrade_then_in_sync(app)
    after = linked(app)
    for name in USER_WORKFLOWS:
        assert after[name] == ["User contractor", "User external", "User internal"], name


def test_descriptions_postgresql_cannot_store_are_refused_at_generation(registered_app: FixtureApp) -> None:
    app = registered_app
    app.add_workflow("user", "validate_user", "VALIDATE")
    app.configure(wfplugin_descriptions={"validate_user": "broken \ud800 text"})
    fails_cleanly(app, "wfplugin_descriptions['validate_user']", "lone surrogate")
