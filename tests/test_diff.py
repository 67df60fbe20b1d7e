"""The pure core, without a database: which workflows are added and removed, and how each is linked."""

from __future__ import annotations

import pytest

from alembic_wfplugin.diff import description_of, diff_workflows, link_spec
from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.model import (
    ColumnChange,
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    LinkChange,
    Product,
    ProductSelector,
    WorkflowSpec,
    WorkflowUpdate,
)
from alembic_wfplugin.options import Options

GROUP = Product("User Group", "UserGroup", "GROUP")
INTERNAL = Product("User internal", "User", "USER_INT")
EXTERNAL = Product("User external", "User", "USER_EXT")
PRODUCTS = (EXTERNAL, GROUP, INTERNAL)
DELETED_AT = "2026-01-02T03:04:05.678901+00:00"


def declared(name: str, module: str, target: str = "CREATE", description: str = "") -> DeclaredWorkflow:
    return DeclaredWorkflow(name=name, module=module, target=target, description=description)


def database(*rows: DefinedWorkflow, products: tuple[Product, ...] = PRODUCTS) -> DatabaseState:
    return DatabaseState(workflows={row.name: row for row in rows}, products=products)


def code(*workflows: DeclaredWorkflow) -> dict[str, DeclaredWorkflow]:
    return {workflow.name: workflow for workflow in workflows}


def test_added_workflows_are_inferred_from_package_and_name_and_sorted_by_product_type_then_name() -> None:
    changes = diff_workflows(
        code(
            declared("terminate_user", "workflows.user.terminate_user", "TERMINATE"),
            declared("create_user_group", "workflows.user_group.create_user_group"),
            declared("create_user", "workflows.user.create_user"),
        ),
        database(),
        Options(),
    )
    assert changes.added == (
        WorkflowSpec("create_user", "CREATE", "Create user", False, (ProductSelector("User"),)),
        WorkflowSpec("terminate_user", "TERMINATE", "Terminate user", False, (ProductSelector("User"),)),
        WorkflowSpec("create_user_group", "CREATE", "Create user group", False, (ProductSelector("UserGroup"),)),
    )
    assert changes.removed == ()


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
    assert changes.added[0].selectors == (ProductSelector(expected),)


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
    assert {spec.name: spec.selectors for spec in changes.added} == {
        "create_l2vpn": (ProductSelector("L2Vpn"),),
        "create_sn8_port": (ProductSelector("SN8_Port"),),
    }


def test_two_matching_product_types_are_ambiguous_and_fail() -> None:
    # the package says User, the name says UserGroup: no single match
    with pytest.raises(WorkflowPluginError, match="create_user_group"):
        diff_workflows(code(declared("create_user_group", "workflows.user.create_user_group")), database(), Options())


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
    assert {spec.name: spec.selectors for spec in changes.added} == {
        "create_user": (ProductSelector("UserGroup"),),
        "create_port": (ProductSelector("User", "USER_INT"), ProductSelector("UserGroup")),
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
    task, validate = changes.added
    assert task == WorkflowSpec("task_clean_ports", "SYSTEM", "Task clean ports", True)
    assert task.is_plain_task
    assert validate.is_task and validate.selectors == (ProductSelector("User"),)


def test_description_precedence_decorator_then_option_then_readable_name() -> None:
    options = Options(descriptions={"create_user": "From options", "modify_user": "From options"})
    assert description_of(declared("create_user", "m", description="From code"), options) == "From code"
    assert description_of(declared("modify_user", "m"), options) == "From options"
    assert description_of(declared("terminate_user_group", "m"), options) == "Terminate user group"


def test_description_longer_than_the_column_is_an_error() -> None:
    with pytest.raises(WorkflowPluginError, match="2001 characters"):
        description_of(declared("create_user", "m", description="x" * 2001), Options())
    assert len(description_of(declared("create_user", "m", description="x" * 2000), Options())) == 2000


def test_removed_workflows_carry_their_row_and_links() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "Create a user", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_internal", "MODIFY", "Only internal", False, products=(INTERNAL,)),
        DefinedWorkflow("task_x", "SYSTEM", "A task", True),
        DefinedWorkflow("gone_already", "CREATE", "soft-deleted", False, deleted_at=DELETED_AT),
    )
    changes = diff_workflows({}, database(*rows), Options(allow_removing_all=True))
    assert changes.added == ()
    assert {spec.name: spec for spec in changes.removed} == {
        "create_user": WorkflowSpec("create_user", "CREATE", "Create a user", False, (ProductSelector("User"),)),
        "modify_internal": WorkflowSpec(
            "modify_internal", "MODIFY", "Only internal", False, (ProductSelector("User", "USER_INT"),)
        ),
        "task_x": WorkflowSpec("task_x", "SYSTEM", "A task", True),
    }


def test_workflows_in_both_are_left_alone() -> None:
    row = DefinedWorkflow("create_user", "CREATE", "Create user", False, products=(EXTERNAL, INTERNAL))
    changes = diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(row), Options())
    assert changes.is_empty()


def test_declared_but_soft_deleted_is_restored_with_its_drift_not_created() -> None:
    row = DefinedWorkflow("validate_user", "SYSTEM", "Validate", False, deleted_at=DELETED_AT, products=(INTERNAL,))
    changes = diff_workflows(
        code(declared("validate_user", "workflows.user.validate_user", "VALIDATE")), database(row), Options()
    )
    assert changes.added == ()
    assert changes.updated == (
        WorkflowUpdate(
            "validate_user",
            (
                ColumnChange("deleted_at", DELETED_AT, None),
                ColumnChange("target", "SYSTEM", "VALIDATE"),
                ColumnChange("is_task", False, True),
            ),
            "User",
        ),
    )


def test_link_spec_uses_selectors_where_exact_and_names_elsewhere() -> None:
    second_internal = Product("User internal 2", "User", "USER_INT")
    products = (*PRODUCTS, second_internal)
    assert link_spec([EXTERNAL, INTERNAL, second_internal], products) == ((ProductSelector("User"),), ())
    assert link_spec([EXTERNAL], products) == ((ProductSelector("User", "USER_EXT"),), ())
    # one of two USER_INT products: no selector picks exactly it
    assert link_spec([INTERNAL, GROUP], products) == ((ProductSelector("UserGroup"),), ("User internal",))
    assert link_spec([], products) == ((), ())


def test_options_naming_unknown_workflows_or_product_types_are_errors() -> None:
    options = Options(
        product_types={"create_usr": (ProductSelector("User"),), "create_user": (ProductSelector("Usr"),)},
        descriptions={"modify_usr": "typo"},
    )
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(), options)
    message = str(error.value)
    assert "wfplugin_product_types names workflow 'create_usr'" in message
    assert "wfplugin_descriptions names workflow 'modify_usr'" in message
    assert "maps to product type 'Usr', which no product in the database has" in message


def test_option_with_unknown_tag_is_an_error() -> None:
    options = Options(product_types={"create_user": (ProductSelector("User", "USER_X"),)})
    with pytest.raises(WorkflowPluginError, match="no User product has tag 'USER_X'"):
        diff_workflows(code(declared("create_user", "workflows.user.create_user")), database(), options)


def test_description_with_nul_is_an_error_before_upgrade_would_fail() -> None:
    with pytest.raises(WorkflowPluginError, match="NUL"):
        description_of(declared("create_user", "m", description="a\x00b"), Options())


def test_target_drift_updates_target_and_is_task_and_descriptions_are_ignored_by_default() -> None:
    rows = (
        DefinedWorkflow("validate_user", "SYSTEM", "Validate user", True, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_user", "MODIFY", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
    )
    changes = diff_workflows(
        code(
            declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
            declared("modify_user", "workflows.user.modify_user", "MODIFY", description="From code"),
        ),
        database(*rows),
        Options(),
    )
    # SYSTEM and VALIDATE are both tasks: only the target changes
    assert changes.updated == (
        WorkflowUpdate("validate_user", (ColumnChange("target", "SYSTEM", "VALIDATE"),), "User"),
    )


def test_is_task_follows_the_target() -> None:
    row = DefinedWorkflow("modify_thing", "SYSTEM", "x", True, products=(GROUP,))
    changes = diff_workflows(
        code(declared("modify_thing", "workflows.user_group.m", "MODIFY")), database(row), Options()
    )
    assert changes.updated[0].changes == (
        ColumnChange("target", "SYSTEM", "MODIFY"),
        ColumnChange("is_task", True, False),
    )


def test_description_comparison_when_switched_on_code_wins_where_it_states_one() -> None:
    rows = (
        DefinedWorkflow("modify_user", "MODIFY", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_user", "CREATE", "Edited in the UI", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("terminate_user", "TERMINATE", "Kept", False, products=(EXTERNAL, INTERNAL)),
    )
    options = Options(compare_descriptions=True, descriptions={"create_user": "From options"})
    changes = diff_workflows(
        code(
            declared("modify_user", "workflows.user.modify_user", "MODIFY", description="From code"),
            declared("create_user", "workflows.user.create_user"),
            declared("terminate_user", "workflows.user.terminate_user", "TERMINATE"),  # states none
        ),
        database(*rows),
        options,
    )
    assert [(u.name, u.changes) for u in changes.updated] == [
        ("create_user", (ColumnChange("description", "Edited in the UI", "From options"),)),
        ("modify_user", (ColumnChange("description", "Edited in the UI", "From code"),)),
    ]


THIRD = Product("User contractor", "User", "USER_CON")


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
    changes = diff_workflows(declared_code, database(*rows, products=(*PRODUCTS, THIRD)), Options(), ["modify_note"])
    # the default workflow gets it as a default, create_user as a workflow of every other User product
    assert changes.linked == (
        LinkChange("create_user", ("User contractor",), "User"),
        LinkChange("modify_note", ("User contractor",), "User"),
    )
    assert changes.unlinked == ()
    off = diff_workflows(
        declared_code, database(*rows, products=(*PRODUCTS, THIRD)), Options(link_new_products=False), ["modify_note"]
    )
    assert off.linked == (LinkChange("modify_note", ("User contractor",), "User"),)


def test_a_product_with_workflows_of_its_own_is_not_relinked() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_contractor", "CREATE", "c", False, products=(THIRD,)),
    )
    declared_code = code(
        declared("create_user", "workflows.user.create_user"),
        declared("create_contractor", "workflows.user.create_contractor"),
    )
    changes = diff_workflows(declared_code, database(*rows, products=(*PRODUCTS, THIRD)), Options())
    assert changes.linked == ()


def test_option_product_types_for_existing_workflows_add_and_remove_links() -> None:
    rows = (
        DefinedWorkflow("modify_user", "MODIFY", "m", False, products=(EXTERNAL, GROUP)),
        DefinedWorkflow("modify_note", "MODIFY", "n", False, products=(GROUP,)),
    )
    options = Options(
        product_types={"modify_user": (ProductSelector("User"),), "modify_note": (ProductSelector("User"),)}
    )
    changes = diff_workflows(
        code(
            declared("modify_user", "workflows.user.modify_user", "MODIFY"),
            declared("modify_note", "orchestrator.core.workflows.modify_note", "MODIFY"),
        ),
        database(*rows),
        options,
        ["modify_note"],
    )
    assert changes.linked == (
        LinkChange("modify_user", ("User internal",), "User"),
        LinkChange("modify_note", ("User external", "User internal"), "UserGroup"),
    )
    # the default workflow is never unlinked, even from products of other types
    assert changes.unlinked == (LinkChange("modify_user", ("User Group",), "User"),)


def test_mass_removal_without_application_workflows_in_the_code_is_refused() -> None:
    rows = (
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_note", "MODIFY", "n", False),
    )
    core_only = code(declared("modify_note", "orchestrator.core.workflows.modify_note", "MODIFY"))
    with pytest.raises(WorkflowPluginError) as error:
        diff_workflows(core_only, database(*rows), Options())
    assert "import workflows" in str(error.value) and "wfplugin_allow_removing_all=True" in str(error.value)
    allowed = diff_workflows(core_only, database(*rows), Options(allow_removing_all=True))
    assert [spec.name for spec in allowed.removed] == ["create_user"]


def test_every_change_says_why() -> None:
    rows = (
        DefinedWorkflow("validate_user", "SYSTEM", "v", True, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("create_user", "CREATE", "c", False, products=(EXTERNAL, INTERNAL)),
        DefinedWorkflow("modify_old", "MODIFY", "m", False, products=(EXTERNAL, INTERNAL)),
    )
    changes = diff_workflows(
        code(
            declared("validate_user", "workflows.user.validate_user", "VALIDATE"),
            declared("create_user", "workflows.user.create_user"),
            declared("create_user_group", "workflows.user_group.create_user_group"),
        ),
        database(*rows, products=(*PRODUCTS, THIRD)),
        Options(),
    )
    assert changes.reasons == {
        "create_user_group": "declared in workflows/user_group/create_user_group.py, not in the database",
        "modify_old": "in the database, not declared in the code",
    }
    assert changes.updated[0].reason == "target is 'SYSTEM' in the database, 'VALIDATE' in the code"
    assert [link.reason for link in changes.linked] == [
        "products added after it was registered; it is linked to every other product of their type"
    ] * 2
