"""The link rule through the real main.py, on a copy of the registered tutorial, one case per part of the
rule in docs/how-it-decides.md (new products of a type, default product workflows, products linked by
hand): after ONE revision the links are what the rule says, product by product, and a rerun writes
nothing. Every other case of the rule, and the refusals of options naming nothing, are the pure core's
(tests/test_diff.py: a product beside a mapped workflow, a task that becomes a product workflow,
misspelled names, descriptions PostgreSQL cannot store)."""

from __future__ import annotations

import pytest

from tests.fixture_app import FixtureApp, WorkflowRow
from tests.scenario import Scenario, run_scenario

# The rules these cases hold are the pure core's, the same on every orchestrator-core release (their SQL
# runs in-process on every release in test_render and the round-trip properties): through main.py on the
# default release only (the Makefile deselects them elsewhere).
pytestmark = pytest.mark.release_independent

USER_WORKFLOWS = ("create_user", "modify_user", "terminate_user")
GROUP_WORKFLOWS = ("create_user_group", "modify_user_group", "terminate_user_group")


def new_product(name: str, product_type: str, tag: str) -> tuple[str, str]:
    """A product as orchestrator-core's product helpers add it: linked to the default workflow only."""
    return (
        "INSERT INTO products (name, description, product_type, tag, status)"
        f" VALUES ('{name}', 'x', '{product_type}', '{tag}', 'active')",
        "INSERT INTO products_workflows SELECT p.product_id, w.workflow_id FROM products p, workflows w"
        f" WHERE p.name = '{name}' AND w.name = 'modify_note'",
    )


def test_two_products_of_one_type_added_together(registered_app: FixtureApp) -> None:
    two_new = Scenario(
        database=(*new_product("User contractor", "User", "USER_CON"), *new_product("User guest", "User", "USER_GST")),
        links={
            **{name: ("User contractor", "User external", "User guest", "User internal") for name in USER_WORKFLOWS},
            **{name: ("User Group",) for name in GROUP_WORKFLOWS},
        },
    )
    run_scenario(registered_app, two_new)


def test_new_default_product_workflows_are_linked_to_every_product_at_once(registered_app: FixtureApp) -> None:
    def two_new_workflows(app: FixtureApp) -> None:
        app.add_workflow("misc", "audit_everything", "SYSTEM")  # a task, and no product hint at all
        app.add_workflow("misc", "notify_owner", "MODIFY")

    every = ("User Group", "User external", "User internal")
    defaults = Scenario(
        code=two_new_workflows,
        options={"wfplugin_default_product_workflows": ["modify_note", "audit_everything", "notify_owner"]},
        rows={
            "audit_everything": WorkflowRow("SYSTEM", "Audit everything", True, False, every),
            "notify_owner": WorkflowRow("MODIFY", "Notify owner", False, False, every),
        },
    )
    run_scenario(registered_app, defaults)


def test_product_linked_by_hand_is_left_alone(registered_app: FixtureApp) -> None:
    app = registered_app
    for statement in new_product("User legacy", "User", "USER_OLD"):  # phased out: only modify_note, on purpose
        app.query(statement)
    app.configure(wfplugin_products_linked_by_hand=["User legacy"])
    files = app.revision_files()
    app.autogenerate("nothing to do")
    assert app.revision_files() == files
    assert app.workflows()["modify_user"].products == ("User external", "User internal")

    # a new product of the same type beside it is still linked, and the one linked by hand is not
    beside = Scenario(
        database=new_product("User contractor", "User", "USER_CON"),
        links={name: ("User contractor", "User external", "User internal") for name in USER_WORKFLOWS},
    )
    run_scenario(app, beside)
