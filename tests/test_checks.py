"""The warnings for what orchestrator-core's task_validate_products reports and only code can fix (pure)."""

from __future__ import annotations

from alembic_wfplugin.products import Product
from alembic_wfplugin.workflows.checks import lacking_targets, scheduled_but_undeclared, untranslated
from alembic_wfplugin.workflows.model import (
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    WorkflowChanges,
    WorkflowRename,
    WorkflowSpec,
)

USER = Product("User", "User", "U")
GROUP = Product("Group", "Group", "G")
OLD = Product("Old", "Old", "O", status="end of life")


def workflow(name: str, target: str) -> DeclaredWorkflow:
    return DeclaredWorkflow(name, f"workflows.{name}", target, "")


def test_untranslated_names_every_declared_workflow_without_an_entry_and_where_to_add_it() -> None:
    assert untranslated(["b", "a", "c"], {"c", "other"}, "/app/translations") == [
        "2 declared workflow(s) have no translation, so orchestrator-core's task_validate_products fails "
        "(check_workflows_for_matching_targets_and_descriptions): a, b. "
        'Add them under "workflow" in /app/translations/en-GB.json.'
    ]
    assert "TRANSLATIONS_DIR unset" in untranslated(["a"], set(), None)[0]
    assert untranslated(["a"], {"a"}, None) == []
    many = untranslated([f"w{index:02d}" for index in range(25)], set(), None)[0]
    assert "w19 and 5 more. Add them" in many and "w20" not in many


def test_lacking_targets_counts_end_links_of_active_products_and_not_modify_note() -> None:
    declared = {
        "create": workflow("create", "CREATE"),
        "modify": workflow("modify", "MODIFY"),
        "modify_note": workflow("modify_note", "MODIFY"),
        "terminate": workflow("terminate", "TERMINATE"),
        "validate": workflow("validate", "VALIDATE"),
        "task": workflow("task", "SYSTEM"),
    }
    end_links = {
        "create": {"User", "Group", "Old"},
        "modify": {"User"},
        "modify_note": {"User", "Group", "Old"},
        "terminate": {"User", "Group"},
        "validate": {"User"},
        "task": {"Group"},
    }
    (warning,) = lacking_targets(declared, end_links, [USER, GROUP, OLD])
    assert "1 active product(s)" in warning and "'Group' (no MODIFY, VALIDATE)" in warning
    assert "'User'" not in warning and "'Old'" not in warning  # complete; not active
    assert lacking_targets({}, {}, [OLD]) == []


def test_scheduled_but_undeclared_lists_jobs_of_retired_soft_deleted_and_live_undeclared_rows() -> None:
    rows = {name: DefinedWorkflow(name, "MODIFY", "", False) for name in ("kept", "gone", "old", "renamed", "stray")}
    database = DatabaseState(
        workflows=rows,
        products=(),
        schedules=(("gone", "j1", False), ("kept", "j2", False), ("old", "j3", True), ("renamed", "j4", False)),
    )
    spec = WorkflowSpec("gone", "MODIFY", "", False)
    changes = WorkflowChanges(retired=(spec,), renamed=(WorkflowRename("renamed", "new", spec),))
    (warning,) = scheduled_but_undeclared({"kept": workflow("kept", "MODIFY")}, database, changes)
    assert "'j1' of 'gone' (this revision retires it and removes the job)" in warning
    assert "'j3' of 'old' (soft-deleted: remove the job in orchestrator-core's UI or API)" in warning
    assert "j2" not in warning and "j4" not in warning
    assert scheduled_but_undeclared({}, DatabaseState(workflows=rows, products=()), WorkflowChanges()) == []
