"""Bad input, through the real main.py: one error that names the culprit and the fix, no revision file,
and an untouched database."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_wfplugin import compare, pgserver
from alembic_wfplugin.errors import WorkflowPluginError
from tests.fixture_app import FixtureApp
from tests.revision_code import GENERATED_CALLS, calls


def fails_cleanly(app: FixtureApp, *expected: str) -> str:
    """Run autogenerate, expect it to fail with ``expected`` in its output, and to change nothing."""
    files = app.revision_files()
    before = app.snapshot()
    result = app.autogenerate("should not be written", check=False)
    output = " ".join((result.stdout + result.stderr).split())  # typer wraps long lines
    assert result.returncode != 0
    for text in expected:
        assert text in output, f"{text!r} not in output:\n{output[-3000:]}"
    assert app.revision_files() == files
    assert app.snapshot() == before
    return output


def broken_registration(body: str) -> Callable[[FixtureApp], None]:
    """Write ``workflows/user/broken.py`` with ``body`` and register its ``create_broken``."""

    def breaks(app: FixtureApp) -> None:
        (app.directory / "workflows" / "user" / "broken.py").write_text(body)
        app.register("workflows.user.broken", "create_broken")

    return breaks


BROKEN_REGISTRATIONS: dict[str, tuple[Callable[[FixtureApp], None], list[str]]] = {
    "module does not exist": (
        lambda app: app.register("workflows.user.no_such_module", "create_nothing"),
        ['LazyWorkflowInstance("workflows.user.no_such_module", "create_nothing")', "does not exist"],
    ),
    "module lacks the function": (
        lambda app: app.register("workflows.user.create_user", "create_usr"),
        ['LazyWorkflowInstance("workflows.user.create_user", "create_usr")', "has no attribute 'create_usr'"],
    ),
    "module raises on import": (
        broken_registration("raise RuntimeError('cannot reach the IPAM')\n"),
        ['LazyWorkflowInstance("workflows.user.broken", "create_broken")', "RuntimeError: cannot reach the IPAM"],
    ),
    "attribute is not a workflow": (
        broken_registration("def create_broken():\n    return None\n"),
        ["workflows.user.broken.create_broken is not a workflow", "@workflow(...)"],
    ),
}


# Python's import semantics, not orchestrator-core's: one case runs on every release, the others on the
# default release only.
EVERY_RELEASE = "module raises on import"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=() if case == EVERY_RELEASE else pytest.mark.release_independent)
        for case in BROKEN_REGISTRATIONS
    ],
)
def test_broken_registration(registered_app: FixtureApp, case: str) -> None:
    breaks, expected = BROKEN_REGISTRATIONS[case]
    breaks(registered_app)
    fails_cleanly(registered_app, *expected, "Fix the module path or function name in the LazyWorkflowInstance")


@pytest.mark.release_independent  # the pure core's refusal; test_misspelled_option shows one on every release
def test_option_mapping_to_a_product_type_no_product_has(registered_app: FixtureApp) -> None:
    registered_app.configure(wfplugin_product_types={"create_user": "Usr"})
    fails_cleanly(registered_app, "maps to product type 'Usr', which no product in the database has", "User")


@pytest.mark.release_independent  # the pure core's refusal; test_misspelled_option shows one on every release
def test_option_naming_an_undeclared_workflow(registered_app: FixtureApp) -> None:
    registered_app.configure(wfplugin_descriptions={"create_usr": "typo"})
    fails_cleanly(registered_app, "wfplugin_descriptions names workflow 'create_usr', which no LazyWorkflowInstance")


def test_misspelled_option(registered_app: FixtureApp) -> None:
    registered_app.configure(wfplugin_product_type={"create_user": "User"})
    fails_cleanly(registered_app, "did you mean wfplugin_product_types?")


def test_missing_import_of_the_workflows_package_is_refused(registered_app: FixtureApp) -> None:
    # A main.py without `import workflows` and an env.py without wfplugin_import_modules: the registry
    # holds only orchestrator-core's own workflows.
    main_py = registered_app.directory / "main.py"
    main_py.write_text(main_py.read_text().replace("import workflows", "# import workflows"))
    env_py = registered_app.directory / "migrations" / "env.py"
    env_py.write_text(env_py.read_text().replace('wfplugin_import_modules=["products", "workflows"],', ""))
    fails_cleanly(registered_app, "declares none of the application's workflows", "import workflows")


def test_database_not_at_head_shows_alembics_message(registered_app: FixtureApp) -> None:
    registered_app.run("db", "revision", "-m", "written by hand, not applied")
    output = fails_cleanly(registered_app, "Target database is not up to date")
    # alembic stops before our comparator runs: no frame of ours in the traceback
    assert not re.search(r"alembic_wfplugin/\w+\.py:\d+ in", output)


@pytest.fixture
def empty_database(pg: pgserver.PostgresCluster) -> Iterator[str]:
    url = pg.create_database("wfplugin_empty")
    yield url
    pg.drop_database("wfplugin_empty")


def test_database_without_orchestrator_schema(empty_database: str) -> None:
    message = r"no orchestrator-core schema.*db upgrade heads"
    engine = sa.create_engine(empty_database, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"autogenerate_plugins": ["alembic_wfplugin"]})
        # alembic's own error at the comparator's edge (the alembic command line prints "FAILED: ...") ...
        with pytest.raises(CommandError, match=message) as raised:
            compare.compare_workflows(AutogenContext(context), UpgradeOps())
        assert isinstance(raised.value.__cause__, WorkflowPluginError)
        connection.rollback()
        # ... the plugin's own inside it
        with pytest.raises(WorkflowPluginError, match=message):
            compare._compare(AutogenContext(context), UpgradeOps())
    engine.dispose()


HOSTILE_DESCRIPTIONS = {
    "retired_quotes": 'it\'s "quoted" and \'\'\'triple\'\'\' and """triple"""',
    "retired_escapes": "back\\slash \\n not a newline, a real\nnewline and a\rcarriage return\ttab",
    "retired_templates": "${mako_expression} <%text>x</%text> %(interpolation)s {format} % 100",
    "retired_unicode": "Überprüfung ✓ 日本語 \u2028 \xa0",
    "retired_long": "x" * 1990 + "\"'\\\n end",
}


# the renderer's literals; their SQL round trip runs in-process on every release (tests/test_render.py)
@pytest.mark.release_independent
def test_hostile_database_strings_are_literals_and_come_back_byte_for_byte(registered_app: FixtureApp) -> None:
    app = registered_app
    for name, description in HOSTILE_DESCRIPTIONS.items():
        app.query(
            "INSERT INTO workflows (name, target, description) VALUES (:name, 'MODIFY', :description)",
            name=name,
            description=description,
        )
    odd_name = "retired_'\"${name}"
    app.query("INSERT INTO workflows (name, target, description) VALUES (:name, 'MODIFY', 'odd name')", name=odd_name)
    before = app.snapshot()

    files = app.revision_files()
    app.autogenerate("retire hostile")
    (revision,) = app.revision_files() - files
    source = revision.read_text()
    tree = ast.parse(source)
    compile(source, str(revision), "exec")
    called = calls(tree)
    assert called <= GENERATED_CALLS, called - GENERATED_CALLS
    assert {"conn.execute", "sa.text"} <= called
    # plain SQL: nothing from orchestrator-core (or the plugin) is imported
    imported = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert not [line for line in imported if "orchestrator" in line or "wfplugin" in line], imported
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert set(HOSTILE_DESCRIPTIONS.values()) <= literals and odd_name in literals
    ruff = shutil.which("ruff")
    assert ruff
    assert subprocess.run([ruff, "format", "--isolated", "--check", str(revision)]).returncode == 0

    app.upgrade()
    assert not set(HOSTILE_DESCRIPTIONS) & {row[0] for row in app.snapshot()["workflows"]}  # type: ignore[attr-defined]
    app.run("db", "downgrade", "data@-1")
    assert app.snapshot() == before
