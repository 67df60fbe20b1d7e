"""The link rule through the real main.py, on a copy of the registered tutorial, one case per part of the
rule in docs/how-it-decides.md (new products of a type, default product workflows, products linked by
hand): after ONE revision the links are what the rule says, product by product, and a rerun writes
nothing. Every other case of the rule, and the refusals of options naming nothing, are the pure core's
(tests/test_diff.py: a product beside a mapped workflow, a task that becomes a product workflow,
misspelled names, descriptions PostgreSQL cannot store)."""

from __future__ import annotations

import pytest

from tests.fixture_app import FixtureApp
from tests.scenario import new_revision, rows, upgrade_then_in_sync

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
