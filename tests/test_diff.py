"""The pure core, without a database: which workflows are made live, retired and updated, and how each
is linked (the rule in ``alembic_wfplugin/links.py``). Each link-rule case applies the changes to the
database state and diffs again: a correct revision leaves nothing for the next autogenerate."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping

import pytest

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.options import Options
from alembic_wfplugin.products import Product, ProductSelector
from alembic_wfplugin.workflows.diff import description_of, diff_workflows, link_spec
from alembic_wfplugin.workflows.model import (
    ColumnChange,
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    LinkChange,
    Links,
    WorkflowChanges,
    WorkflowRename,
    WorkflowSpec,
    WorkflowUpdate,
)

GROUP = Product("User Group", "UserGroup", "GROUP")
INTERNAL = Product("User internal", "User", "USER_INT")
EXTERNAL = Product("User external", "User", "USER_EXT")
PRODUCTS = (EXTERNAL, GROUP, INTERNAL)
CONTRACTOR = Product("User contractor", "User", "USER_CON")
GUEST = Product("User guest", "User", "USER_GST")
LEGACY = Product("User legacy", "User", "USER_OLD")
USER = (ProductSelector("User"),)
DEFAULTS = ("modify_note",)  # orchestrator-core's DEFAULT_PRODUCT_WORKFLOWS


def declared(name: str, module: str, target: str = "CREATE", description: str = "") -> DeclaredWorkflow:
    return DeclaredWorkflow(name=name, module=module, target=target, description=description)


def database(*rows: DefinedWorkflow, products: tuple[Product, ...] = PRODUCTS) -> DatabaseState:
    return DatabaseState(workflows={row.name: row for row in rows}, products=products)


def code(*workflows: DeclaredWorkflow) -> dict[str, DeclaredWorkflow]:
    return {workflow.name: workflow for workflow in workflows}


def names(products: Iterable[Product]) -> list[str]:
    return sorted(product.name for product in products)


# --- the tutorial as registered: three User workflows, three UserGroup workflows, modify_note, a task ---

USER_WORKFLOWS = ("create_user", "modify_user", "terminate_user")
GROUP_WORKFLOWS = ("create_user_group", "modify_user_group", "terminate_user_group")
TARGETS = {"create": "CREATE", "modify": "MODIFY", "terminate": "TERMINATE"}


def registered_code(*extra: DeclaredWorkflow) -> dict[str, DeclaredWorkflow]:
    workflows = [
        declared(name, f"workflows.{package}.{name}", TARGETS[name.split("_")[0]])
        for package, group in (("user", USER_WORKFLOWS), ("user_group", GROUP_WORKFLOWS))
        for name in group
    ]
    core = [
        DeclaredWorkflow("modify_note", "orchestrator.workflows.modify_note", "MODIFY", "", True),
        DeclaredWorkflow(
            "task_validate_products", "orchestrator.workflows.tasks.validate_products", "SYSTEM", "", True
        ),
    ]
    return code(*workflows, *core, *extra)


def registered_database(
    *new_products: Product, rows: Iterable[DefinedWorkflow] = (), linked: Mapping[str, Iterable[Product]] | None = None
) -> DatabaseState:
    """The tutorial's rows; ``new_products`` as orchestrator-core's product helpers add them (linked to
    ``modify_note`` only); ``linked`` overrides a workflow's links; ``rows`` adds or replaces rows."""
    products = (*PRODUCTS, *new_products)
    workflows = [
        *(
            DefinedWorkflow(name, TARGETS[name.split("_")[0]], name, False, products=(EXTERNAL, INTERNAL))
            for name in USER_WORKFLOWS
        ),
        *(
            DefinedWorkflow(name, TARGETS[name.split("_")[0]], name, False, products=(GROUP,))
            for name in GROUP_WORKFLOWS
        ),
        DefinedWorkflow("modify_note", "MODIFY", "Modify note", False, products=tuple(sorted(products))),
        DefinedWorkflow("task_validate_products", "SYSTEM", "Validate products", True),
    ]
    by_name = {row.name: row for row in workflows}
    for name, linked_products in (linked or {}).items():
        by_name[name] = dataclasses.replace(by_name[name], products=tuple(sorted(linked_products)))
    by_name.update((row.name, row) for row in rows)
    return DatabaseState(workflows=by_name, products=products)


# --- applying changes, as the rendered revision does -------------------------------------------------


def apply(database: DatabaseState, changes: WorkflowChanges) -> DatabaseState:
    """The database state after a revision that applies ``changes``: made_live rows live with the spec's
    target and is_task, linked to what its links pick among the products not kept (and still to the kept
    ones they were linked to); retired rows soft-deleted; updated columns set; links added and removed by
    product name. Asserts every change finds the state it expects."""
    rows = dict(database.workflows)
    # products that rows are still linked to (a product the domain side removes) first, then the products
    by_name = {product.name: product for row in rows.values() for product in row.products}
    by_name.update((product.name, product) for product in database.products)

    def linked_to(row: DefinedWorkflow, product_names: Iterable[str]) -> DefinedWorkflow:
        return dataclasses.replace(row, products=tuple(sorted(by_name[name] for name in set(product_names))))

    for rename in changes.renamed:  # in place, where the old name has a row and the new one none
        assert rename.old in rows and rename.new not in rows, rename
        rows[rename.new] = dataclasses.replace(rows.pop(rename.old), name=rename.new)
    for spec in changes.retired:
        assert not rows[spec.name].deleted, spec.name
        rows[spec.name] = dataclasses.replace(rows[spec.name], deleted=True)  # links stay, as a soft-delete
    renamed = {rename.new for rename in changes.renamed}
    for spec in changes.made_live:
        old = rows.get(spec.name)
        assert old is None or old.deleted or spec.name in renamed, spec.name
        kept = set(spec.kept_links)
        wanted = set(spec.links.resolve(product for product in database.products if product.name not in kept))
        description = spec.description
        if old is not None:
            wanted |= {product.name for product in old.products if product.name in kept}
            description = spec.description if spec.overwrite_description else old.description
        rows[spec.name] = linked_to(DefinedWorkflow(spec.name, spec.target, description, spec.is_task), wanted)
    for update in changes.updated:
        row = rows[update.name]
        assert not row.deleted, update.name
        for change in update.changes:
            assert getattr(row, change.column) == change.old, (update.name, change)
            if change.column == "is_task":
                assert isinstance(change.new, bool)
                row = dataclasses.replace(row, is_task=change.new)
            elif change.column == "target":
                assert isinstance(change.new, str)
                row = dataclasses.replace(row, target=change.new)
            else:
                assert change.column == "description" and isinstance(change.new, str)
                row = dataclasses.replace(row, description=change.new)
        rows[update.name] = row
    for link in changes.linked:
        row = rows[link.workflow]
        have = {product.name for product in row.products}
        assert not row.deleted and link.products and not have & set(link.products), link
        rows[link.workflow] = linked_to(row, have | set(link.products))
    for link in changes.unlinked:
        row = rows[link.workflow]
        have = {product.name for product in row.products}
        assert not row.deleted and link.products and set(link.products) <= have, link
        rows[link.workflow] = linked_to(row, have - set(link.products))
    return DatabaseState(workflows=rows, products=database.products)


def settle(
    workflows: Mapping[str, DeclaredWorkflow],
    before: DatabaseState,
    options: Options | None = None,
    default_workflows: Iterable[str] = DEFAULTS,
) -> tuple[WorkflowChanges, DatabaseState]:
    """The changes, and the state after applying them; the next diff finds nothing to do."""
    options = options or Options()
    changes = diff_workflows(workflows, before, options, tuple(default_workflows))
    after = apply(before, changes)
    assert diff_workflows(workflows, after, options, tuple(default_workflows)) == WorkflowChanges()
    return changes, after


def live_links(state: DatabaseState) -> dict[str, list[str]]:
    return {name: names(row.products) for name, row in state.workflows.items() if not row.deleted}


def test_apply_helper_follows_the_made_live_semantics() -> None:
    """The helper itself: a soft-deleted row comes back with its description (unless overwritten), its
    links replaced by the spec's, and its links to kept products untouched."""
    old = DefinedWorkflow("modify_user", "SYSTEM", "Old", True, deleted=True, products=(GROUP, LEGACY))
    spec = WorkflowSpec("modify_user", "MODIFY", "New", False, Links(selectors=USER), kept_links=("User legacy",))
    state = apply(database(old, products=(*PRODUCTS, LEGACY)), WorkflowChanges(made_live=(spec,)))
    assert state.workflows["modify_user"] == DefinedWorkflow(
        "modify_user", "MODIFY", "Old", False, products=(EXTERNAL, INTERNAL, LEGACY)
    )
    overwritten = dataclasses.replace(spec, overwrite_description=True)
    state = apply(database(old, products=(*PRODUCTS, LEGACY)), WorkflowChanges(made_live=(overwritten,)))
    assert state.workflows["modify_user"].description == "New"


# --- inference (rule 4) -----------------------------------------------------------------------------


def test_new_workflows_are_inferred_from_package_and_name_and_sorted_by_product_type_then_name() -> None:
    changes = diff_workflows(
        code(
            declared("terminate_user", "workflows.user.terminate_user", "TERMINATE"),
            declared("create_user_group", "workflows.user_group.create_user_group"),
            declared("create_user", "workflows.user.create_user"),
        ),
        database(),
        Options(),
    )
    assert changes.made_live == (
        WorkflowSpec("create_user", "CREATE", "Create user", False, Links(selectors=USER)),
        WorkflowSpec("terminate_user", "TERMINATE", "Terminate user", False, Links(selectors=USER)),
        WorkflowSpec(
            "create_user_group", "CREATE", "Create user group", False, Links(selectors=(ProductSelector("UserGroup"),))
        ),
    )
    assert changes == WorkflowChanges(made_live=changes.made_live)


@pytest.mark.parametrize(
    ("name", "module", "expected"),
    [
        # the parent package alone decides (the name says nothing)
        ("modify_sync_ports", "workflows.user.modify_sync_ports", "User"),
        # the name alone decides (flat module layout)
        ("create_user_group", "workflows.create_user_group", "UserGroup"),
        # a RECONCILE workflow registered from another workflow's module
        ("reconcile_user", "workflows.user.modify_user", "User"),
    ],
)
def test_inference_uses_either_hint(name: str, module: str, expected: str) -> None:
    changes = diff_workflows(code(declared(name, module, "MODIFY")), database(), Options())
    assert changes.made_live[0].links == Links(selectors=(ProductSelector(expected),))


def test_inference_normalises_case_and_separators() -> None:
    products = (Product("L2VPN", "L2Vpn", "L2VPN"), Product("Sn8 port", "SN8_Port", "SP"))
    changes = diff_workflows(
        code(
            declared("create_l2vpn", "workflows.l2vpn.create_l2vpn"),
            declared("create_sn8_port", "workflows.sn8port.create_sn8_port"),
        ),
        database(products=products),
        Options(),
    )
    assert {spec.name: spec.links for spec in changes.made_live} == {
        "create_l2vpn": Links(selectors=(ProductSelector("L2Vpn"),)),
        "create_sn8_port": Links(selectors=(ProductSelector("SN8_Port"),)),
    }


def test_two_matching_product_types_are_ambiguous_and_fail() -> None:
    # the package says User, the name says UserGroup: no single match
    with pytest.raises(WorkflowPluginError, match="create_user_group"):
        diff_workflows(code(declared("create_user_group", "workflows.user.create_user_group")), database(), Options())


def test_a_live_row_linked_to_no_product_is_inferred_too() -> None:
    row = DefinedWorkflow("modify_user", "MODIFY", "m", False)
    changes = diff_workflows(
        code(declared("modify_user", "workflows.user.modify_user", "MODIFY")), database(row), Options()
    )
    assert changes.linked == (LinkChange("modify_user", ("User external", "User internal")),)
    with pytest.raises(WorkflowPluginError, match="modify_thing"):
        diff_workflows(
            code(declared("modify_thing", "workflows.misc.modify_thing", "MODIFY")),
            database(DefinedWorkflow("modify_thing", "MODIFY", "m", False)),
            Options(),
        )


def test_links_to_products_this_revision_removes_do_not_count() -> None:
    """Domain models remove User internal (the products are those after the revision): a row linked only
    to it is decided by rule 4 now, as the next autogenerate would decide it, not kept by rule 3 and
    unlinked into a row the next run cannot decide."""
    after_removal = (EXTERNAL, GROUP)
    row = DefinedWorkflow("modify_user", "MODIFY", "m", False, products=(INTERNAL,))
    workflow = declared("modify_user", "workflows.user.modify_user", "MODIFY")
    changes, after = settle(code(workflow), database(row, products=after_removal), default_workflows=())
    assert [(link.workflow, link.products) for link in changes.linked] == [("modify_user", ("User external",))]
    assert [(link.workflow, link.products) for link in changes.unlinked] == [("modify_user", ("User internal",))]
    assert "inferred" in changes.linked[0].reason
    assert live_links(after) == {"modify_user": ["User external"]}
    group_row = DefinedWorkflow("modify_user_group", "MODIFY", "m", False, products=(GROUP,))
    group_workflow = declared("modify_user_group", "workflows.user_group.modify_user_group", "MODIFY")
    with pytest.raises(WorkflowPluginError, match=r"(?s)Cannot tell which product type.*modify_user_group"):
        diff_workflows(code(group_workflow), database(group_row, products=(EXTERNAL, INTERNAL)), Options())


def test_every_unresolved_workflow_is_listed_in_one_error_with_the_fix() -> None:
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(
            code(
                declared("create_port", "workflows.port.create_port"),
                declared("validate_node", "workflows.node.validate_node", "VALIDATE"),
                declared("create_user", "workflows.user.create_user"),
            ),
            database(),
            Options(),
        )
    message = str(error.value)
    assert "create_port (CREATE, in workflows.port.create_port)" in message
    assert "validate_node (VALIDATE, in workflows.node.validate_node)" in message
    assert "create_user " not in message  # resolved, so not listed
    assert "product types in the database: User, UserGroup" in message
    assert 'wfplugin_product_types={"create_port": "ProductType", "validate_node": "ProductType"}' in message
    assert "No revision file was written" in message


def test_option_mapping_wins_over_inference_and_may_name_several_types_and_tags() -> None:
    options = Options(
        product_types={
            "create_user": (ProductSelector("UserGroup"),),
            "create_port": (ProductSelector("User", "USER_INT"), ProductSelector("UserGroup")),
        }
    )
    changes = diff_workflows(
        code(declared("create_user", "workflows.user.create_user"), declared("create_port", "workflows.port.x")),
        database(),
        options,
    )
    assert {spec.name: spec.links for spec in changes.made_live} == {
        "create_user": Links(selectors=(ProductSelector("UserGroup"),)),
        "create_port": Links(selectors=(ProductSelector("User", "USER_INT"), ProductSelector("UserGroup"))),
    }


def test_unmapped_system_workflow_is_a_task_and_validate_sets_is_task() -> None:
    changes = diff_workflows(
        code(
            declared("task_clean_ports", "workflows.tasks.task_clean_ports", "SYSTEM"),
            declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
        ),
        database(),
        Options(),
    )
    task, validate = changes.made_live
    assert task == WorkflowSpec("task_clean_ports", "SYSTEM", "Task clean ports", True, Links())
    assert validate == WorkflowSpec("validate_user", "VALIDATE", "Validate user", True, Links(selectors=USER))


# --- descriptions -----------------------------------------------------------------------------------


def test_description_precedence_decorator_then_option_then_readable_name() -> None:
    options = Options(descriptions={"create_user": "From options", "modify_user": "From options"})
    assert description_of(declared("create_user", "m", description="From code"), options) == "From code"
    assert description_of(declared("modify_user", "m"), options) == "From options"
    assert description_of(declared("terminate_user_group", "m"), options) == "Terminate user group"


def test_description_longer_than_the_column_is_an_error() -> None:
    with pytest.raises(WorkflowPluginError, match="2001 characters"):
        description_of(declared("create_user", "m", description="x" * 2001), Options())
    assert len(description_of(declared("create_user", "m", description="x" * 2000), Options())) == 2000
    with pytest.raises(WorkflowPluginError, match="'create_user' has 2001 characters"):
        diff_workflows(
            code(declared("create_user", "workflows.user.create_user", description="x" * 2001)), database(), Options()
        )


def test_description_with_nul_is_an_error_before_upgrade_would_fail() -> None:
    with pytest.raises(WorkflowPluginError, match="NUL"):
        description_of(declared("create_user", "m", description="a\x00b"), Options())


# --- retired, kept, made live again -----------------------------------------------------------------


def test_retired_workflows_carry_their_row_and_links() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "Create a user", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_internal", "MODIFY", "Only internal", False, products=(INTERNAL,)),
        DefinedWorkflow("modify_mixed", "MODIFY", "Mixed", False, products=(GROUP, INTERNAL)),
        DefinedWorkflow("task_x", "SYSTEM", "A task", True),
        DefinedWorkflow("gone_already", "CREATE", "soft-deleted", False, deleted=True, products=(GROUP,)),
    )
    changes = diff_workflows({}, database(*rows), Options(allow_removing_all=True))
    assert changes.made_live == ()
    assert {spec.name: spec for spec in changes.retired} == {
        "create_user": WorkflowSpec("create_user", "CREATE", "Create a user", False, Links(selectors=USER)),
        "modify_internal": WorkflowSpec(
            "modify_internal", "MODIFY", "Only internal", False, Links(selectors=(ProductSelector("User", "USER_INT"),))
        ),
        "modify_mixed": WorkflowSpec(
            "modify_mixed",
            "MODIFY",
            "Mixed",
            False,
            Links(selectors=(ProductSelector("User", "USER_INT"), ProductSelector("UserGroup"))),
        ),
        "task_x": WorkflowSpec("task_x", "SYSTEM", "A task", True, Links()),
    }
    # retired rows' links are their own, products linked by hand included, and no kept_links
    with_legacy = database(
        DefinedWorkflow("modify_old", "MODIFY", "m", False, products=(LEGACY,)),
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        products=(*PRODUCTS, LEGACY),
    )
    changes = diff_workflows(
        code(declared("create_user", "workflows.user.create_user")),
        with_legacy,
        Options(products_linked_by_hand=("User legacy",)),
    )
    assert changes.retired == (
        WorkflowSpec("modify_old", "MODIFY", "m", False, Links(selectors=(ProductSelector("User", "USER_OLD"),))),
    )
    assert changes.retired[0].kept_links == ()


def test_workflows_in_both_are_left_alone() -> None:
    row = DefinedWorkflow("create_user", "CREATE", "Create user", False, products=(EXTERNAL, INTERNAL))
    changes = diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(row), Options())
    assert changes.is_empty()
    assert changes == WorkflowChanges()


def test_declared_but_soft_deleted_is_made_live_like_an_absent_row_with_links_by_the_rule() -> None:
    rows = (
        # old links to one User product only: the rule links it to every User product again
        DefinedWorkflow("validate_user", "SYSTEM", "Validated by hand", False, deleted=True, products=(INTERNAL,)),
        # a task once linked to a product: target SYSTEM, so linked to none now
        DefinedWorkflow("task_sync", "SYSTEM", "Sync", True, deleted=True, products=(GROUP,)),
    )
    declared_code = code(
        declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
        declared("task_sync", "workflows.tasks.task_sync", "SYSTEM"),
    )
    changes, after = settle(declared_code, database(*rows), Options(), ())
    assert changes.made_live == (
        WorkflowSpec("task_sync", "SYSTEM", "Task sync", True, Links()),
        WorkflowSpec("validate_user", "VALIDATE", "Validate user", True, Links(selectors=USER)),
    )
    assert "soft-deleted in the database" in changes.made_live[1].reason
    assert changes == WorkflowChanges(made_live=changes.made_live)
    # its description is kept (the spec's is for a row created anew)
    assert after.workflows["validate_user"] == DefinedWorkflow(
        "validate_user", "VALIDATE", "Validated by hand", True, products=(EXTERNAL, INTERNAL)
    )
    assert after.workflows["task_sync"].products == ()


def test_link_spec_uses_selectors_where_exact_and_names_elsewhere() -> None:
    second_internal = Product("User internal 2", "User", "USER_INT")
    products = (*PRODUCTS, second_internal)
    assert link_spec([EXTERNAL, INTERNAL, second_internal], products) == Links(selectors=USER)
    assert link_spec([EXTERNAL], products) == Links(selectors=(ProductSelector("User", "USER_EXT"),))
    # one of two USER_INT products: no selector picks exactly it
    assert link_spec([INTERNAL, GROUP], products) == Links(
        selectors=(ProductSelector("UserGroup"),), products=("User internal",)
    )
    assert link_spec([], products) == Links()
    # whatever it says picks exactly the linked products
    for linked in ([EXTERNAL], [INTERNAL, GROUP], [EXTERNAL, second_internal], list(products)):
        assert link_spec(linked, products).resolve(products) == {product.name for product in linked}


# --- option validation ------------------------------------------------------------------------------


def test_options_naming_unknown_workflows_or_product_types_are_errors() -> None:
    options = Options(
        product_types={"create_usr": USER, "create_user": (ProductSelector("Usr"),)},
        descriptions={"modify_usr": "typo"},
    )
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(), options)
    message = str(error.value)
    assert "wfplugin_product_types names workflow 'create_usr'" in message
    assert "wfplugin_descriptions names workflow 'modify_usr'" in message
    assert "maps to product type 'Usr', which no product in the database has (did you mean 'User'?)" in message


def test_option_with_unknown_tag_is_an_error() -> None:
    options = Options(product_types={"create_user": (ProductSelector("User", "USER_X"),)})
    with pytest.raises(WorkflowPluginError, match="no User product has tag 'USER_X'"):
        diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(), options)


# --- drift of live rows -----------------------------------------------------------------------------


def test_target_drift_updates_target_and_is_task_and_descriptions_are_ignored_by_default() -> None:
    rows = (
        DefinedWorkflow("validate_user", "SYSTEM", "Validate user", True, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_user", "MODIFY", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
    )
    changes, _ = settle(
        code(
            declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
            declared("modify_user", "workflows.user.modify_user", "MODIFY", description="From code"),
        ),
        database(*rows),
        Options(),
        (),
    )
    # SYSTEM and VALIDATE are both tasks: only the target changes
    assert changes == WorkflowChanges(
        updated=(WorkflowUpdate("validate_user", (ColumnChange("target", "SYSTEM", "VALIDATE"),), "User"),)
    )


def test_is_task_follows_the_target() -> None:
    row = DefinedWorkflow("modify_thing", "SYSTEM", "x", True, products=(GROUP,))
    changes, _ = settle(
        code(declared("modify_thing", "workflows.user_group.m", "MODIFY")), database(row), Options(), ()
    )
    assert changes.updated == (
        WorkflowUpdate(
            "modify_thing",
            (ColumnChange("target", "SYSTEM", "MODIFY"), ColumnChange("is_task", True, False)),
            "UserGroup",
        ),
    )
    assert changes.linked == changes.unlinked == ()


def test_description_comparison_when_switched_on_code_wins_where_it_states_one() -> None:
    rows = (
        DefinedWorkflow("modify_user", "MODIFY", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_user", "CREATE", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("terminate_user", "TERMINATE", "Kept", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("validate_user", "VALIDATE", "Old", True, deleted=True),
        DefinedWorkflow("reconcile_user", "RECONCILE", "Old", False, deleted=True),
    )
    options = Options(compare_descriptions=True, descriptions={"create_user": "From options"})
    changes, after = settle(
        code(
            declared("modify_user", "workflows.user.modify_user", "MODIFY", description="From code"),
            declared("create_user", "workflows.user.create_user"),
            declared("terminate_user", "workflows.user.terminate_user", "TERMINATE"),  # states none
            declared("validate_user", "workflows.user.validate_user", "VALIDATE", description="Checks a user"),
            declared("reconcile_user", "workflows.user.reconcile_user", "RECONCILE"),  # states none
        ),
        database(*rows),
        options,
        (),
    )
    assert [(u.name, u.changes) for u in changes.updated] == [
        ("create_user", (ColumnChange("description", "Edited in the UI", "From options"),)),
        ("modify_user", (ColumnChange("description", "Edited in the UI", "From code"),)),
    ]
    # a soft-deleted row made live: its description is overwritten only where the code states one
    assert {spec.name: spec.overwrite_description for spec in changes.made_live} == {
        "reconcile_user": False,
        "validate_user": True,
    }
    assert after.workflows["validate_user"].description == "Checks a user"
    assert after.workflows["reconcile_user"].description == "Old"
    assert after.workflows["terminate_user"].description == "Kept"


def test_description_comparison_off_never_overwrites_a_soft_deleted_row() -> None:
    row = DefinedWorkflow("validate_user", "VALIDATE", "Old", True, deleted=True)
    changes = diff_workflows(
        code(declared("validate_user", "workflows.user.validate_user", "VALIDATE", description="New")),
        database(row),
        Options(),
    )
    assert changes.made_live == (WorkflowSpec("validate_user", "VALIDATE", "New", True, Links(selectors=USER)),)


# --- rule 3: links as they are, plus new products ---------------------------------------------------


def test_a_product_added_after_registration_gets_the_workflows_of_its_type() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_internal", "MODIFY", "m", False, products=(INTERNAL,)),  # narrowed: left alone
        DefinedWorkflow("modify_note", "MODIFY", "n", False, products=(EXTERNAL, GROUP, INTERNAL)),
    )
    declared_code = code(
        declared("create_user", "workflows.user.create_user"),
        declared("modify_internal", "workflows.user.modify_internal", "MODIFY"),
        declared("modify_note", "orchestrator.core.workflows.modify_note", "MODIFY"),
    )
    state = database(*rows, products=(*PRODUCTS, CONTRACTOR))
    changes, _ = settle(declared_code, state)
    # the default workflow gets it as a default, create_user as a workflow of every other User product
    assert changes == WorkflowChanges(
        linked=(
            LinkChange("create_user", ("User contractor",), "User"),
            LinkChange("modify_note", ("User contractor",), "User"),
        )
    )
    off, _ = settle(declared_code, state, Options(link_new_products=False))
    assert off == WorkflowChanges(linked=(LinkChange("modify_note", ("User contractor",), "User"),))


def test_a_product_with_workflows_of_its_own_is_not_relinked() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_contractor", "CREATE", "c", False, products=(CONTRACTOR,)),
    )
    declared_code = code(
        declared("create_user", "workflows.user.create_user"),
        declared("create_contractor", "workflows.user.create_contractor"),
    )
    changes, _ = settle(declared_code, database(*rows, products=(*PRODUCTS, CONTRACTOR)))
    assert changes.is_empty()


def test_links_of_retired_and_soft_deleted_workflows_do_not_make_a_product_established() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_contractor", "CREATE", "c", False, products=(CONTRACTOR,)),  # retired now
        DefinedWorkflow("modify_contractor", "MODIFY", "m", False, deleted=True, products=(CONTRACTOR,)),
    )
    changes, _ = settle(
        code(declared("create_user", "workflows.user.create_user")), database(*rows, products=(*PRODUCTS, CONTRACTOR))
    )
    assert [spec.name for spec in changes.retired] == ["create_contractor"]
    assert changes.linked == (LinkChange("create_user", ("User contractor",), "User"),)


def test_option_product_types_for_existing_workflows_add_and_remove_links() -> None:
    rows = (
        DefinedWorkflow("modify_user", "MODIFY", "m", False, products=(EXTERNAL, GROUP)),
        DefinedWorkflow("modify_note", "MODIFY", "n", False, products=(GROUP,)),
    )
    options = Options(product_types={"modify_user": USER, "modify_note": USER})
    changes, _ = settle(
        code(
            declared("modify_user", "workflows.user.modify_user", "MODIFY"),
            declared("modify_note", "orchestrator.core.workflows.modify_note", "MODIFY"),
        ),
        database(*rows),
        options,
    )
    assert changes.linked == (
        LinkChange("modify_user", ("User internal",), "User"),
        LinkChange("modify_note", ("User external", "User internal"), "UserGroup"),
    )
    # a default workflow is linked to every product, even when product_types maps it
    assert changes.unlinked == (LinkChange("modify_user", ("User Group",), "User"),)


def test_mass_removal_without_application_workflows_in_the_code_is_refused() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_note", "MODIFY", "n", False),
    )
    core_only = {
        "modify_note": DeclaredWorkflow("modify_note", "orchestrator.workflows.modify_note", "MODIFY", "", True)
    }
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(core_only, database(*rows), Options(), DEFAULTS)
    assert "import workflows" in str(error.value) and "wfplugin_allow_removing_all=True" in str(error.value)
    assert "holds 1 of them (create_user)" in str(error.value)
    allowed = diff_workflows(core_only, database(*rows), Options(allow_removing_all=True), DEFAULTS)
    assert [spec.name for spec in allowed.retired] == ["create_user"]
    # one application workflow declared: a removal, not a missing import
    one = {**core_only, **code(declared("create_user_group", "workflows.user_group.create_user_group"))}
    assert [spec.name for spec in diff_workflows(one, database(*rows), Options(), DEFAULTS).retired] == ["create_user"]


ADOPTED = "links: as they are, plus new User contractor (linked to every established product of its type)"


def test_every_change_says_why() -> None:
    rows = (
        DefinedWorkflow("validate_user", "SYSTEM", "v", True, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_old", "MODIFY", "m", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_user", "MODIFY", "m", False, products=(EXTERNAL, GROUP, INTERNAL)),
        DefinedWorkflow("task_sync", "SYSTEM", "t", True, deleted=True),
    )
    changes = diff_workflows(
        code(
            declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
            declared("create_user", "workflows.user.create_user"),
            declared("create_user_group", "workflows.user_group.create_user_group"),
            declared("modify_user", "workflows.user.modify_user", "MODIFY"),
            declared("task_sync", "workflows.tasks.task_sync", "SYSTEM"),
        ),
        database(*rows, products=(*PRODUCTS, CONTRACTOR)),
        Options(product_types={"modify_user": USER}),
    )
    assert {spec.name: spec.reason for spec in changes.made_live} == {
        "create_user_group": "declared in workflows/user_group/create_user_group.py, no row; "
        "links: every UserGroup product (inferred from the code)",
        "task_sync": "declared in workflows/tasks/task_sync.py, soft-deleted in the database; "
        "links: none (target SYSTEM: a task)",
    }
    assert [spec.reason for spec in changes.retired] == ["in the database, not declared in the code"]
    assert [update.reason for update in changes.updated] == [
        "target is 'SYSTEM' in the database, 'VALIDATE' in the code"
    ]
    assert {link.workflow: link.reason for link in changes.linked} == {
        "create_user": ADOPTED,
        "modify_user": "links: User (wfplugin_product_types)",
        "validate_user": ADOPTED,
    }
    assert [(link.workflow, link.reason) for link in changes.unlinked] == [
        ("modify_user", "links: User (wfplugin_product_types)")
    ]
    every: list[WorkflowSpec | WorkflowUpdate | LinkChange] = [
        *changes.made_live,
        *changes.retired,
        *changes.updated,
        *changes.linked,
        *changes.unlinked,
    ]
    assert all(change.reason for change in every)


def test_reasons_do_not_depend_on_the_hash_seed() -> None:
    program = """
from alembic_wfplugin.workflows.diff import diff_workflows
from alembic_wfplugin.products import Product
from alembic_wfplugin.workflows.model import DatabaseState, DeclaredWorkflow, DefinedWorkflow
from alembic_wfplugin.options import Options
old = (Product("User a", "User", "A"), Product("User b", "User", "B"))
new = tuple(Product(f"User new {i}", "User", f"N{i}") for i in range(6))
row = DefinedWorkflow("modify_user", "MODIFY", "m", False, products=old)
state = DatabaseState({"modify_user": row}, old + new)
workflow = DeclaredWorkflow("modify_user", "workflows.user.modify_user", "MODIFY", "")
print(diff_workflows({"modify_user": workflow}, state, Options()).linked[0].reason)
"""
    reasons = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 6)
    }
    assert len(reasons) == 1, reasons


# --- the link rule, case by case: exact links, and nothing left for the next autogenerate -----------


def test_two_products_of_one_type_added_together_are_linked_to_every_workflow_of_the_type() -> None:
    changes, after = settle(registered_code(), registered_database(CONTRACTOR, GUEST))
    both = ("User contractor", "User guest")
    assert changes == WorkflowChanges(linked=tuple(LinkChange(name, both, "User") for name in USER_WORKFLOWS))
    links = live_links(after)
    for name in USER_WORKFLOWS:
        assert links[name] == ["User contractor", "User external", "User guest", "User internal"], name
    for name in GROUP_WORKFLOWS:
        assert links[name] == ["User Group"], name
    assert links["modify_note"] == names((*PRODUCTS, CONTRACTOR, GUEST))
    assert links["task_validate_products"] == []


@pytest.mark.parametrize(
    ("mapping", "create_user_links", "create_user_gets_it"),
    [
        (USER, (EXTERNAL, INTERNAL), True),  # restating today's links by type
        ((ProductSelector("User", "USER_INT"),), (INTERNAL,), False),  # by a tag the new product lacks
    ],
)
def test_a_new_product_beside_a_mapped_workflow_is_linked_to_the_others_of_its_type(
    mapping: tuple[ProductSelector, ...], create_user_links: tuple[Product, ...], create_user_gets_it: bool
) -> None:
    before = registered_database(CONTRACTOR, linked={"create_user": create_user_links})
    options = Options(product_types={"create_user": mapping})
    changes, after = settle(registered_code(), before, options)
    mapped = [LinkChange("create_user", ("User contractor",), "User")] if create_user_gets_it else []
    assert changes == WorkflowChanges(
        linked=(
            *mapped,
            LinkChange("modify_user", ("User contractor",), "User"),
            LinkChange("terminate_user", ("User contractor",), "User"),
        )
    )
    links = live_links(after)
    assert links["create_user"] == names(create_user_links + ((CONTRACTOR,) if create_user_gets_it else ()))
    assert links["modify_user"] == links["terminate_user"] == ["User contractor", "User external", "User internal"]
    for name in GROUP_WORKFLOWS:
        assert links[name] == ["User Group"], name


def test_new_default_product_workflows_are_linked_to_every_product_whatever_their_target() -> None:
    declared_code = registered_code(
        declared("new_default", "workflows.user.new_default", "MODIFY"),  # its package says User: ignored
        declared("audit_everything", "workflows.misc.audit_everything", "SYSTEM"),  # a task
        declared("notify_owner", "workflows.misc.notify_owner", "MODIFY"),  # no product hint at all
    )
    options = Options(default_product_workflows=("modify_note", "new_default", "audit_everything", "notify_owner"))
    changes, after = settle(declared_code, registered_database(), options, ())
    every = Links(every_product=True)
    assert changes == WorkflowChanges(
        made_live=(
            WorkflowSpec("audit_everything", "SYSTEM", "Audit everything", True, every),
            WorkflowSpec("new_default", "MODIFY", "New default", False, every),
            WorkflowSpec("notify_owner", "MODIFY", "Notify owner", False, every),
        )
    )
    assert all(spec.reason.endswith("links: every product (a default product workflow)") for spec in changes.made_live)
    links = live_links(after)
    for name in ("audit_everything", "new_default", "notify_owner", "modify_note"):
        assert links[name] == names(PRODUCTS), name
    # the options replace orchestrator-core's setting
    without_note = Options(default_product_workflows=("new_default", "audit_everything", "notify_owner"))
    assert diff_workflows(declared_code, after, without_note, DEFAULTS) == WorkflowChanges()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            Options(default_product_workflows=("modify_notes",)),
            "wfplugin_default_product_workflows names workflow 'modify_notes', which no LazyWorkflowInstance "
            "declares (did you mean 'modify_note'?)",
        ),
        (
            Options(product_types={"modify_usr": USER}),
            "wfplugin_product_types names workflow 'modify_usr', which no LazyWorkflowInstance declares "
            "(did you mean 'modify_user'?)",
        ),
        (
            Options(descriptions={"create_user_grop": "Create a group"}),
            "wfplugin_descriptions names workflow 'create_user_grop', which no LazyWorkflowInstance declares "
            "(did you mean 'create_user_group'?)",
        ),
        (
            Options(products_linked_by_hand=("User extern",)),
            "wfplugin_products_linked_by_hand names product 'User extern', which the database does not hold "
            "(did you mean 'User external'?)",
        ),
    ],
)
def test_options_naming_unknown_workflows_or_products_are_refused_with_a_hint(options: Options, expected: str) -> None:
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(registered_code(), registered_database(), options, DEFAULTS)
    assert expected in str(error.value)


def test_a_task_that_becomes_a_product_workflow_is_updated_and_linked() -> None:
    row = DefinedWorkflow("modify_thing", "SYSTEM", "Do a thing", True)
    changes, after = settle(
        registered_code(declared("modify_thing", "workflows.user.modify_thing", "MODIFY")),
        registered_database(rows=[row]),
    )
    assert changes == WorkflowChanges(
        updated=(
            WorkflowUpdate(
                "modify_thing",
                (ColumnChange("target", "SYSTEM", "MODIFY"), ColumnChange("is_task", True, False)),
            ),
        ),
        linked=(LinkChange("modify_thing", ("User external", "User internal")),),
    )
    assert changes.linked[0].reason == "links: every User product (inferred from the code)"
    assert after.workflows["modify_thing"] == DefinedWorkflow(
        "modify_thing", "MODIFY", "Do a thing", False, products=(EXTERNAL, INTERNAL)
    )


def test_a_product_linked_by_hand_is_neither_linked_nor_unlinked() -> None:
    by_hand = Options(products_linked_by_hand=("User legacy",))
    # linked to modify_note only: the User workflows would take it as a new product, but not by hand
    assert diff_workflows(registered_code(), registered_database(LEGACY), Options(), DEFAULTS).linked == tuple(
        LinkChange(name, ("User legacy",), "User") for name in USER_WORKFLOWS
    )
    assert diff_workflows(registered_code(), registered_database(LEGACY), by_hand, DEFAULTS) == WorkflowChanges()
    # another new product of the same type beside it is linked; the one linked by hand is not
    changes, after = settle(registered_code(), registered_database(LEGACY, CONTRACTOR), by_hand)
    assert changes == WorkflowChanges(
        linked=tuple(LinkChange(name, ("User contractor",), "User") for name in USER_WORKFLOWS)
    )
    links = live_links(after)
    for name in USER_WORKFLOWS:
        assert links[name] == ["User contractor", "User external", "User internal"], name
    assert links["modify_note"] == names((*PRODUCTS, CONTRACTOR, LEGACY))


def test_a_product_linked_by_hand_is_not_linked_by_default_workflows_nor_unlinked_by_a_mapping() -> None:
    # linked to create_user only, not to modify_note
    before = registered_database(LEGACY, linked={"modify_note": PRODUCTS, "create_user": (EXTERNAL, INTERNAL, LEGACY)})
    options = Options(
        products_linked_by_hand=("User legacy",),
        product_types={"create_user": (ProductSelector("User", "USER_INT"),)},
        default_product_workflows=("modify_note", "notify_owner"),
    )
    declared_code = registered_code(declared("notify_owner", "workflows.misc.notify_owner", "MODIFY"))
    changes, after = settle(declared_code, before, options, ())
    assert changes == WorkflowChanges(
        made_live=(
            WorkflowSpec("notify_owner", "MODIFY", "Notify owner", False, Links(every_product=True), ("User legacy",)),
        ),
        unlinked=(LinkChange("create_user", ("User external",), "User"),),
    )
    links = live_links(after)
    assert links["modify_note"] == links["notify_owner"] == names(PRODUCTS)
    assert links["create_user"] == ["User internal", "User legacy"]


@pytest.mark.parametrize("bad", ["broken \ud800 text", "nul \x00 inside"])
@pytest.mark.parametrize("where", ["decorator, new row", "decorator, compared", "option"])
def test_descriptions_postgresql_cannot_store_are_refused_naming_the_workflow(bad: str, where: str) -> None:
    problem = "lone surrogate" if "\ud800" in bad else "NUL"
    workflow = declared("validate_user", "workflows.user.validate_user", "VALIDATE", description=bad)
    rows: list[DefinedWorkflow] = []
    options = Options()
    if where == "decorator, compared":
        rows = [DefinedWorkflow("validate_user", "VALIDATE", "Validate user", True, products=(EXTERNAL, INTERNAL))]
        options = Options(compare_descriptions=True)
    elif where == "option":
        workflow = dataclasses.replace(workflow, description="")
        options = Options(descriptions={"validate_user": bad})
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(registered_code(workflow), registered_database(rows=rows), options, DEFAULTS)
    message = str(error.value)
    assert problem in message
    assert ("wfplugin_descriptions['validate_user']" if where == "option" else "workflow 'validate_user'") in message


def test_product_types_mapping_to_no_product_removes_every_link() -> None:
    options = Options(product_types={"modify_user": ()})
    changes, after = settle(registered_code(), registered_database(CONTRACTOR), options)
    assert changes == WorkflowChanges(
        linked=(
            LinkChange("create_user", ("User contractor",), "User"),
            LinkChange("terminate_user", ("User contractor",), "User"),
        ),
        unlinked=(LinkChange("modify_user", ("User external", "User internal"), "User"),),
    )
    assert changes.unlinked[0].reason == "links: no products (wfplugin_product_types)"
    assert live_links(after)["modify_user"] == []
    # and a new workflow mapped so is made live linked to none
    new = registered_code(declared("modify_user_extra", "workflows.user.modify_user_extra", "MODIFY"))
    made, _ = settle(new, registered_database(), Options(product_types={"modify_user_extra": ()}))
    assert made.made_live == (WorkflowSpec("modify_user_extra", "MODIFY", "Modify user extra", False, Links()),)


def test_a_default_workflow_that_is_also_mapped_is_an_error() -> None:
    options = Options(default_product_workflows=("modify_note",), product_types={"modify_note": ()})
    with pytest.raises(WorkflowPluginError, match="'modify_note' is both in wfplugin_default_product_workflows"):
        diff_workflows(registered_code(), registered_database(), options)


def test_a_workflow_linked_only_to_products_linked_by_hand_keeps_its_links() -> None:
    """Rule 3, not rule 4: it is not linked to every product of its inferred type."""
    legacy = Product("User legacy", "User", "USER_OLD")
    database = registered_database()
    row = DefinedWorkflow("migrate_user", "MODIFY", "m", False, products=(legacy,))
    database = DatabaseState({**database.workflows, "migrate_user": row}, (*database.products, legacy))
    code = registered_code(DeclaredWorkflow("migrate_user", "workflows.user.migrate_user", "MODIFY", ""))
    changes = diff_workflows(code, database, Options(products_linked_by_hand=("User legacy",)))
    assert [link.workflow for link in changes.linked] == []


RENAME = Options(renames={"workflows": {"modify_user": "update_user"}})
UPDATE_USER = declared("update_user", "workflows.user.update_user", "MODIFY")


def renamed_code() -> dict[str, DeclaredWorkflow]:
    workflows = registered_code(UPDATE_USER)
    del workflows["modify_user"]
    return workflows


def test_a_renamed_workflow_is_the_same_row_under_its_new_name() -> None:
    before = registered_database(linked={"modify_user": (EXTERNAL,)})
    changes, after = settle(renamed_code(), before, RENAME)
    was = Links(selectors=(ProductSelector("User", "USER_EXT"),))  # as link_spec describes the row's links
    previous = WorkflowSpec("update_user", "MODIFY", "modify_user", False, was)
    assert changes.renamed == (WorkflowRename("modify_user", "update_user", previous, False),)
    assert not changes.retired and not changes.updated and not changes.linked
    (spec,) = changes.made_live  # the code's end state, from the row it was: its links as they are
    assert (spec.name, spec.links, spec.target) == ("update_user", Links(products=("User external",)), "MODIFY")
    assert "renamed from 'modify_user'" in spec.reason
    assert "modify_user" not in after.workflows and live_links(after)["update_user"] == ["User external"]
    # already applied here: nothing to do, and no warning
    assert diff_workflows(renamed_code(), after, RENAME, DEFAULTS) == WorkflowChanges()
    assert diff_workflows(renamed_code(), after, RENAME, DEFAULTS).warnings == ()


def test_a_renamed_soft_deleted_row_comes_back_and_its_target_follows_the_code() -> None:
    row = DefinedWorkflow("modify_user", "CREATE", "m", False, deleted=True, products=(INTERNAL,))
    changes, after = settle(renamed_code(), registered_database(rows=[row]), RENAME)
    (rename,) = changes.renamed
    assert rename.was_deleted and rename.previous.target == "CREATE"
    (spec,) = changes.made_live
    assert spec.target == "MODIFY" and "inferred" in spec.reason  # a soft-deleted row's links do not count
    assert live_links(after)["update_user"] == ["User external", "User internal"]


def test_renames_that_cannot_apply_here_are_warnings_and_wrong_ones_errors() -> None:
    both = registered_database(rows=[DefinedWorkflow("update_user", "MODIFY", "u", False, products=(EXTERNAL,))])
    changes = diff_workflows(renamed_code(), both, RENAME, DEFAULTS)
    assert not changes.renamed and [spec.name for spec in changes.retired] == ["modify_user"]
    assert changes.warnings == (
        "wfplugin_renames['workflows']['modify_user']: the database holds both "
        "'modify_user' and 'update_user'; nothing renamed",
    )
    typo = Options(renames={"workflows": {"modify_usr": "update_user"}})
    neither = registered_database()
    workflows = renamed_code()
    changes = diff_workflows(
        workflows,
        dataclasses.replace(
            neither, workflows={name: row for name, row in neither.workflows.items() if name != "modify_user"}
        ),
        typo,
        DEFAULTS,
    )
    assert "holds neither 'modify_usr' (did you mean 'modify_user_group'?) nor 'update_user'" in changes.warnings[0]
    for renames, expected in (
        ({"modify_user": "updte_user"}, "no LazyWorkflowInstance declares 'updte_user' (did you mean 'update_user'?)"),
        ({"create_user": "update_user"}, "the code still declares 'create_user'"),
        ({"modify_user": "update_user", "terminate_user": "update_user"}, "several workflows are renamed to"),
    ):
        code_ = renamed_code()
        code_.pop("terminate_user", None) if "terminate_user" in renames else None
        with pytest.raises(WorkflowPluginError, match=re.escape(expected)):
            diff_workflows(code_, registered_database(), Options(renames={"workflows": renames}), DEFAULTS)
