"""The plugin as alembic sees it: found through its entry point, harmless to `import alembic`, called
in both autogenerate modes, and cheap on the database."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_wfplugin import compare, compat
from alembic_wfplugin.compare import no_schema_objects
from alembic_wfplugin.workflows.changes import AddWorkflow, workflow_changes
from alembic_wfplugin.workflows.ops import WorkflowOps
from tests.fixture_app import TUTORIAL_WORKFLOWS


def test_installed_entry_point_loads_a_list_of_modules_with_setup() -> None:
    (entry_point,) = [
        ep for ep in importlib.metadata.entry_points(group="alembic.plugins") if ep.name == "alembic_wfplugin"
    ]
    modules = entry_point.load()
    assert isinstance(modules, list)
    assert all(callable(module.setup) for module in modules)


def test_import_alembic_works_finds_the_plugin_and_stays_light() -> None:
    # alembic 1.18+ sets the plugin up during `import alembic`; before 1.18, env.py's register() does
    script = textwrap.dedent(
        """
        import sys
        import alembic
        try:
            from alembic.runtime.plugins import _all_plugins
        except ImportError:
            import alembic_wfplugin
            alembic_wfplugin.register()
            from alembic.autogenerate.compare import comparators
            print(any("compare_workflows" in repr(fn) for fns in comparators._registry.values() for fn in fns))
        else:
            print("alembic_wfplugin" in _all_plugins)
        print(any(name == "orchestrator" or name.startswith("orchestrator.") for name in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


def test_register_and_plugin_together_compare_once(
    database_url: str, connection: sa.Connection, fixture_copy: Path
) -> None:
    """On alembic 1.18+, env.py may both call register() and name the plugin: one set of operations.
    In a subprocess, because register() joins alembic's global comparators for the rest of the process."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(fixture_copy)!r})
        import sqlalchemy as sa
        from alembic.autogenerate import produce_migrations
        from alembic.runtime.migration import MigrationContext
        import alembic_wfplugin, workflows
        from alembic_wfplugin.compare import no_schema_objects
        from alembic_wfplugin.workflows.ops import WorkflowOps

        alembic_wfplugin.register()
        engine = sa.create_engine({database_url!r})
        with engine.connect() as connection:
            opts = {{"autogenerate_plugins": ["alembic_wfplugin"], "include_object": no_schema_objects}}
            context = MigrationContext.configure(connection, opts=opts)
            upgrade_ops = produce_migrations(context, sa.MetaData()).upgrade_ops
        containers = [op for op in upgrade_ops.ops if isinstance(op, WorkflowOps)]
        print(len(containers), sorted(change.name for change in containers[0].changes if change.word == "add"))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    count, names = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert count == "1"  # one set of operations, not two
    assert set(ast.literal_eval(names)) == expected_created(connection)


TUTORIAL = set(TUTORIAL_WORKFLOWS)


def created(ops: WorkflowOps) -> set[str]:
    return {change.spec.name for change in ops.changes if isinstance(change, AddWorkflow)}


def expected_created(connection: sa.Connection) -> set[str]:
    """The tutorial's workflows, and orchestrator-core's own that its schema migrations did not insert
    (4.8 registers such a task)."""
    rows = set(connection.execute(sa.text("SELECT name FROM workflows")).scalars())
    return TUTORIAL | (set(compat.workflow_registry()) - rows - TUTORIAL)


def workflow_ops(upgrade_ops: UpgradeOps) -> list[WorkflowOps]:
    return [op for op in upgrade_ops.ops if isinstance(op, WorkflowOps)]


@pytest.mark.usefixtures("fixture_registry")
def test_comparator_runs_in_workflows_only_and_full_mode(connection: sa.Connection) -> None:
    BaseModel = compat._module("db.database").BaseModel

    # alembic before 1.18 ignores autogenerate_plugins; include_object=no_schema_objects is its recipe
    only = MigrationContext.configure(
        connection, opts={"autogenerate_plugins": ["alembic_wfplugin"], "include_object": no_schema_objects}
    )
    script = produce_migrations(only, BaseModel.metadata)
    (ops,) = workflow_ops(script.upgrade_ops)
    assert script.upgrade_ops.ops == [ops]  # nothing but workflow registration
    assert created(ops) == expected_created(connection)

    full = MigrationContext.configure(
        connection, opts={"autogenerate_plugins": ["alembic.autogenerate.*", "alembic_wfplugin"]}
    )
    script = produce_migrations(full, BaseModel.metadata)
    (ops,) = workflow_ops(script.upgrade_ops)
    assert created(ops) == expected_created(connection)
    assert script.upgrade_ops.ops[-1] is ops  # after the schema operations


def count_comparator_statements(connection: sa.Connection) -> tuple[int, int]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    context = MigrationContext.configure(connection, opts={"autogenerate_plugins": ["alembic_wfplugin"]})
    upgrade_ops = UpgradeOps()
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        compare.compare_workflows(AutogenContext(context), upgrade_ops)
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    (ops,) = workflow_ops(upgrade_ops)
    return len(statements), len(ops.ops)


@pytest.mark.usefixtures("fixture_registry")
def test_comparator_sends_one_statement_from_20_to_2000_workflows_and_one_for_schedules(
    connection: sa.Connection,
) -> None:
    def add_workflows(first: int, last: int) -> None:
        connection.execute(
            sa.text(
                "INSERT INTO workflows (name, target, description)"
                " SELECT 'extra_' || n, 'MODIFY', 'Extra ' || n"
                " FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n"
            ),
            {"first": first, "last": last},
        )

    # 20 workflows in the database: orchestrator-core's 7 and 13 others; the code adds 6
    queries, baseline = count_comparator_statements(connection)  # the tutorial's 6, and any core drift
    add_workflows(1, 13)
    queries, changes = count_comparator_statements(connection)
    # a second statement reads the scheduler jobs, where the release keeps them in the database (4.7+)
    has_schedules = connection.execute(sa.text("SELECT to_regclass('workflows_apscheduler_jobs') IS NOT NULL")).scalar()
    assert (queries, changes) == (1 + bool(has_schedules), baseline + 13)
    # 2,000, each linked to every product: still one statement
    add_workflows(14, 1993)
    connection.execute(
        sa.text(
            "INSERT INTO products_workflows (product_id, workflow_id)"
            " SELECT p.product_id, w.workflow_id FROM products p, workflows w WHERE w.name LIKE 'extra_%'"
        )
    )
    queries, changes = count_comparator_statements(connection)
    assert (queries, changes) == (1 + bool(has_schedules), baseline + 1993)


def test_offline_mode_is_refused_with_the_fix() -> None:
    context = MigrationContext.configure(dialect_name="postgresql", opts={"as_sql": True})
    autogen_context = AutogenContext(context, autogenerate=False)
    with pytest.raises(CommandError, match="no connection"):
        compare.compare_workflows(autogen_context, UpgradeOps())


def test_non_postgresql_database_is_refused() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"autogenerate_plugins": ["alembic_wfplugin"]})
        with pytest.raises(CommandError, match="'sqlite'"):
            compare.compare_workflows(AutogenContext(context), UpgradeOps())


def test_operations_run_in_the_documented_order() -> None:
    """retire, add, update, link, unlink (docs/how-it-decides.md)."""
    from alembic_wfplugin.workflows.model import ColumnChange, LinkChange, WorkflowChanges, WorkflowSpec, WorkflowUpdate

    spec = WorkflowSpec("w", "MODIFY", "W", False)
    changes = WorkflowChanges(
        made_live=(spec,),
        retired=(spec,),
        updated=(WorkflowUpdate("w", (ColumnChange("target", "CREATE", "MODIFY"),)),),
        linked=(LinkChange("w", ("P",)),),
        unlinked=(LinkChange("w", ("Q",)),),
    )
    kinds = [change.word for change in workflow_changes(changes)]
    assert kinds == ["retire", "add", "update", "link", "unlink"]
