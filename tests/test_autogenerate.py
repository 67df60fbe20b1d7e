"""End to end through the fixture's real `python main.py db ...`, against a real database."""

from __future__ import annotations

import ast
import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixture_app import TUTORIAL, TUTORIAL_PRODUCTS, TUTORIAL_WORKFLOWS, FixtureApp, WorkflowRow
from tests.scenario import Scenario, entries, retired_names, run_scenario

# what the first revision leaves: every tutorial workflow with its readable name, linked to its type's products
TUTORIAL_ROWS = {
    name: WorkflowRow(target, name.replace("_", " ").capitalize(), False, False, TUTORIAL_PRODUCTS[product_type])
    for name, (_module, target, product_type) in TUTORIAL.items()
}


def autogenerate_one(app: FixtureApp, message: str) -> Path:
    before = app.revision_files()
    app.autogenerate(message)
    new = app.revision_files() - before
    assert len(new) == 1, f"expected one new revision, got {sorted(new)}"
    return new.pop()


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def register_tutorial(app: FixtureApp) -> Path:
    revision = autogenerate_one(app, "add User and UserGroup workflows")
    app.upgrade()
    return revision


def test_tutorial_revision_upgrade_again_and_downgrade(app: FixtureApp) -> None:
    before = app.workflows()
    revision = register_tutorial(app)

    source = revision.read_text()
    # plain SQL: nothing from orchestrator-core, whose modules move between releases (4.x -> 5.x)
    assert imported_modules(source) == {"sqlalchemy", "alembic"}
    ruff = shutil.which("ruff")
    assert ruff
    formatted = subprocess.run([ruff, "format", "--isolated", "--check", str(revision)], capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    # ordered by product type, then name (tasks, with no product type, first)
    created = [str(entry["name"]) for entry in entries(source, "added")]
    assert [name for name in created if name in TUTORIAL_ROWS] == list(TUTORIAL_WORKFLOWS)

    after = app.workflows()
    assert {name: after[name] for name in TUTORIAL_ROWS} == TUTORIAL_ROWS
    # orchestrator-core's own rows: unchanged, or (4.8's task_validate_product_type) is_task made to follow
    # the target, as for any workflow
    assert {name: after[name] for name in before} == {
        name: dataclasses.replace(row, is_task=row.target in ("SYSTEM", "VALIDATE")) for name, row in before.items()
    }
    # Some orchestrator-core releases (4.8) register a task that their own schema migrations do not
    # insert; it is compared like any other workflow, and added as a task.
    for name in set(after) - set(before) - set(TUTORIAL_ROWS):
        row = after[name]
        assert name.startswith("task_") and (row.target, row.is_task, row.deleted) == ("SYSTEM", True, False)
        assert row.description  # 4.x's decorators state one
        assert after[name].products == ()

    # in sync: a second autogenerate writes nothing
    files = app.revision_files()
    second = app.autogenerate("nothing to do")
    assert app.revision_files() == files
    # a workflows-only run names only what it compared
    assert "No changes in workflow registration detected; no revision file written" in second.stdout + second.stderr

    app.run("db", "downgrade", "data@-1")
    assert app.workflows() == before


# the retire rule and its SQL are the pure core's and run in-process on every release (tests/test_round_trip.py)
@pytest.mark.release_independent
def test_removed_registrations_are_deleted_and_their_downgrade_recreates_them(app: FixtureApp) -> None:
    register_tutorial(app)
    # never ran: deleted, with their links; the downgrade writes them back as they were
    removed = Scenario(
        code=lambda app: app.unregister("modify_user", "terminate_user_group"),
        rows={"modify_user": None, "terminate_user_group": None},
    )
    source = run_scenario(app, removed)
    assert retired_names(source) == ["modify_user", "terminate_user_group"]


def test_unresolvable_product_type_fails_with_one_error_and_writes_nothing(app: FixtureApp) -> None:
    port = app.directory / "workflows" / "port"
    port.mkdir()
    (port / "__init__.py").write_text("")
    create_user = (app.directory / "workflows" / "user" / "create_user.py").read_text()
    (port / "create_port.py").write_text(create_user.replace("create_user", "create_port"))
    registry = app.directory / "workflows" / "__init__.py"
    registry.write_text(registry.read_text() + 'LazyWorkflowInstance("workflows.port.create_port", "create_port")\n')
    before_rows = app.workflows()
    before_version = app.query("SELECT version_num FROM alembic_version")
    files = app.revision_files()

    result = app.autogenerate("add port", check=False)

    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())  # typer wraps the traceback's text
    assert "Cannot tell which product type these workflows belong to" in output
    assert "create_port (CREATE, in workflows.port.create_port)" in output
    assert "wfplugin_product_types" in output
    assert app.revision_files() == files
    assert app.workflows() == before_rows
    assert app.query("SELECT version_num FROM alembic_version") == before_version


def test_plain_revision_without_autogenerate_is_still_written(app: FixtureApp) -> None:
    files = app.revision_files()
    app.run("db", "revision", "-m", "by hand")
    assert len(app.revision_files() - files) == 1


def test_alembic_check_fails_while_drifted_and_passes_in_sync(app: FixtureApp) -> None:
    check = ["alembic", "-c", "alembic.ini", "-n", "standalone", "check"]
    drifted = app.run_command(check, check=False)
    assert drifted.returncode != 0
    assert "New upgrade operations detected" in drifted.stdout + drifted.stderr
    assert "('add_workflow', 'create_user', 'CREATE', 'User')" in drifted.stdout + drifted.stderr

    register_tutorial(app)
    in_sync = app.run_command(check, check=False)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr


ORCHESTRATOR_HOOK = """
    # orchestrator-core's own hook, as `db init` writes it
    def process_revision_directives(context, revision, directives):  # type: ignore
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    engine = engine_from_config("""


def test_unchanged_orchestrator_env_py_writes_no_empty_revision_either(app: FixtureApp) -> None:
    """With only the plugin switched on, orchestrator-core's own process_revision_directives stays in
    env.py; it never fires through main.py, so the plugin drops the empty revision after it."""
    env_py = app.directory / "migrations" / "env.py"
    text = env_py.read_text().replace("\n    engine = engine_from_config(", ORCHESTRATOR_HOOK, 1)
    env_py.write_text(
        text.replace(
            "process_revision_directives=skip_empty_revision", "process_revision_directives=process_revision_directives"
        )
    )
    register_tutorial(app)
    files = app.revision_files()
    app.autogenerate("nothing to do")
    assert app.revision_files() == files
    app.run("db", "revision", "-m", "by hand")  # a plain revision is still written
    assert len(app.revision_files() - files) == 1
