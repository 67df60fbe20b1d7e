"""Drive a copy of ``migrations_fixture/`` (the tutorial application) the way a user does: through
``python main.py db ...`` in a subprocess, against one database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from alembic_wfplugin import compat

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "migrations_fixture"
VERSIONS = Path("migrations") / "versions" / "schema"
# The tutorial's workflows (the one list of them in the tests), in the order a revision creates them:
# by product type, then name. name -> (module, target, product type)
TUTORIAL = {
    "create_user": ("workflows.user.create_user", "CREATE", "User"),
    "modify_user": ("workflows.user.modify_user", "MODIFY", "User"),
    "terminate_user": ("workflows.user.terminate_user", "TERMINATE", "User"),
    "create_user_group": ("workflows.user_group.create_user_group", "CREATE", "UserGroup"),
    "modify_user_group": ("workflows.user_group.modify_user_group", "MODIFY", "UserGroup"),
    "terminate_user_group": ("workflows.user_group.terminate_user_group", "TERMINATE", "UserGroup"),
}
TUTORIAL_WORKFLOWS = tuple(TUTORIAL)
TUTORIAL_PRODUCTS = {"User": ("User external", "User internal"), "UserGroup": ("User Group",)}


# Every workflows row with the names of the products it is linked to (the one copy of this query in the tests).
WORKFLOW_ROWS = """
SELECT w.name, w.target, w.description, w.is_task, w.deleted_at,
       coalesce(array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL), '{}') AS products
FROM workflows w
LEFT JOIN products_workflows pw ON pw.workflow_id = w.workflow_id
LEFT JOIN products p ON p.product_id = pw.product_id
GROUP BY w.workflow_id ORDER BY w.name
"""


@dataclass(frozen=True)
class WorkflowRow:
    target: str
    description: str
    is_task: bool
    deleted: bool
    products: tuple[str, ...]


def copy_fixture(destination: Path, source: Path = FIXTURE) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    if source == FIXTURE:
        adapt_to_installed_orchestrator(destination)
    return destination


def adapt_to_installed_orchestrator(app: Path) -> None:
    """``migrations_fixture/`` is the tutorial application as written for orchestrator-core 5.5. The same
    application on another release differs in these places, rewritten here:

    1. the data branch depends on orchestrator-core's schema head, which every release moves;

    and on 4.x also in:

    2. imports: ``orchestrator.*`` instead of ``orchestrator.core.*`` (also in ``alembic.ini``'s package
       resource for orchestrator-core's schema revisions);
    3. ``env.py``: 4.x's ``DATABASE_URI`` is a plain DSN, not a secret (``db init`` writes it so);
    4. 4.x's ``@workflow`` requires a description (5.x deprecates it): the tutorial's, which is the
       name made readable.
    """
    (data_head,) = (app / VERSIONS).glob("*_create_data_head.py")
    data_head.write_text(data_head.read_text().replace(f'"{FIXTURE_SCHEMA_HEAD}"', f'"{schema_head()}"'))
    if compat.orchestrator_package() == "orchestrator.core":
        return
    for path in [*app.rglob("*.py"), app / "alembic.ini"]:
        text = path.read_text()
        text = text.replace("orchestrator.core.", "orchestrator.").replace(
            "from orchestrator.core ", "from orchestrator "
        )
        path.write_text(text)
    for path in (app / "workflows").rglob("*.py"):
        path.write_text(
            re.sub(
                r"@workflow\(target=(Target\.\w+)\)\ndef (\w+)\(",
                lambda match: (
                    f'@workflow("{match[2].replace("_", " ").capitalize()}", target={match[1]})\ndef {match[2]}('
                ),
                path.read_text(),
            )
        )
    env_py = app / "migrations" / "env.py"
    env_py.write_text(env_py.read_text().replace("DATABASE_URI.get_secret_value()", "DATABASE_URI"))


FIXTURE_SCHEMA_HEAD = "544fd845554d"  # orchestrator-core 5.5.0's, as the committed fixture's data head says


def schema_head() -> str:
    """The head of the installed orchestrator-core's own schema revisions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(FIXTURE / "migrations"))
    config.set_main_option("version_locations", compat.schema_versions_folder())
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


class FixtureApp:
    def __init__(self, directory: Path, database_url: str) -> None:
        self.directory = directory
        self.database_url = database_url

    def env(self) -> dict[str, str]:
        bin_dir = str(Path(sys.executable).parent)
        return {
            **os.environ,
            "DATABASE_URI": self.database_url,
            # the application first; then what this process was given (make mutants: the mutated copy)
            "PYTHONPATH": os.pathsep.join([str(self.directory), *filter(None, [os.environ.get("PYTHONPATH")])]),
            # main.py db revision runs `python main.py db heads` and ruff through PATH.
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python main.py <args>`` in the application's folder."""
        return self.run_command([sys.executable, "main.py", *args], check=check)

    def run_command(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command, cwd=self.directory, env=self.env(), capture_output=True, text=True, timeout=600
        )
        if check and result.returncode != 0:
            output = f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}\n{output}")
        return result

    def revision_files(self) -> set[Path]:
        return set((self.directory / VERSIONS).glob("*.py"))

    def autogenerate(self, message: str = "workflows", check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("db", "revision", "--autogenerate", "-m", message, check=check)

    def upgrade(self) -> None:
        self.run("db", "upgrade", "heads")

    def query(self, statement: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
        engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                result = connection.execute(sa.text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def domain(self) -> dict[str, list[tuple[object, ...]]]:
        engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return domain_state(connection)
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, object]:
        """What a downgrade must restore exactly: workflow rows without ids and creation times (deleted_at
        to the microsecond), links by product name, process rows."""
        workflows = self.query(WORKFLOW_ROWS)
        processes = self.query(
            "SELECT p.pid, w.name, p.last_status FROM processes p JOIN workflows w USING (workflow_id) ORDER BY p.pid"
        )
        return {"workflows": [tuple(row) for row in workflows], "processes": [tuple(row) for row in processes]}

    def configure(self, **options: object) -> None:
        """Add alembic-wfplugin options to the context.configure(...) call in migrations/env.py."""
        env_py = self.directory / "migrations" / "env.py"
        anchor = '        wfplugin_import_modules=["products", "workflows"],\n'
        text = env_py.read_text()
        assert anchor in text
        added = "".join(f"        {key}={value!r},\n" for key, value in options.items())
        env_py.write_text(text.replace(anchor, anchor + added))

    def add_workflow(self, package: str, name: str, target: str, description: str = "", register: bool = True) -> None:
        """Write a real workflow module ``workflows/<package>/<name>.py`` and register it."""
        folder = self.directory / "workflows" / package
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
        decorator_args = f"{description!r}, target=Target.{target}"  # 4.x requires a description
        (folder / f"{name}.py").write_text(
            f"from {compat.orchestrator_package()}.targets import Target\n"
            f"from {compat.orchestrator_package()}.types import State\n"
            f"from {compat.orchestrator_package()}.workflow import StepList, begin, done, step, workflow\n\n\n"
            f"@step({name!r})\n"
            f"def {name}_step(state: State) -> State:\n"
            "    return state\n\n\n"
            f"@workflow({decorator_args})\n"
            f"def {name}() -> StepList:\n"
            f"    return begin >> {name}_step >> done\n"
        )
        if register:
            self.register(f"workflows.{package}.{name}", name)

    def register(self, module: str, name: str) -> None:
        registry = self.directory / "workflows" / "__init__.py"
        registry.write_text(registry.read_text() + f'LazyWorkflowInstance("{module}", "{name}")\n')

    def unregister(self, *names: str) -> None:
        registry = self.directory / "workflows" / "__init__.py"
        lines = registry.read_text().splitlines(keepends=True)
        registry.write_text("".join(line for line in lines if not any(f'"{name}")' in line for name in names)))

    def workflows(self) -> dict[str, WorkflowRow]:
        """Every ``workflows`` row with the names of the products it is linked to."""
        return {
            name: WorkflowRow(target, description, is_task, deleted_at is not None, tuple(products))
            for name, target, description, is_task, deleted_at, products in self.query(WORKFLOW_ROWS)
        }


# The domain model tables by name (ids and timestamps differ between databases; names do not).
DOMAIN_QUERIES = {
    "products": """
        SELECT p.name, p.product_type, p.description, p.tag, p.status,
               coalesce((SELECT array_agg(fi.name || '=' || fi.value ORDER BY fi.name) FROM fixed_inputs fi
                         WHERE fi.product_id = p.product_id), '{}'),
               coalesce((SELECT array_agg(b.name ORDER BY b.name) FROM product_product_blocks ppb
                         JOIN product_blocks b USING (product_block_id) WHERE ppb.product_id = p.product_id), '{}')
        FROM products p ORDER BY p.name""",
    "product_blocks": """
        SELECT b.name, b.description, b.tag, b.status,
               coalesce((SELECT array_agg(rt.resource_type ORDER BY rt.resource_type)
                         FROM product_block_resource_types pbrt JOIN resource_types rt USING (resource_type_id)
                         WHERE pbrt.product_block_id = b.product_block_id), '{}'),
               coalesce((SELECT array_agg(d.name ORDER BY d.name) FROM product_block_relations r
                         JOIN product_blocks d ON d.product_block_id = r.depends_on_id
                         WHERE r.in_use_by_id = b.product_block_id), '{}')
        FROM product_blocks b ORDER BY b.name""",
    "resource_types": "SELECT resource_type, description FROM resource_types ORDER BY resource_type",
    "values": """
        SELECT b.name, rt.resource_type, v.value FROM subscription_instance_values v
        JOIN subscription_instances si USING (subscription_instance_id)
        JOIN product_blocks b USING (product_block_id) JOIN resource_types rt USING (resource_type_id)
        ORDER BY 1, 2, 3""",
}


def domain_state(connection: sa.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every domain model row by name, with what the revision may write to subscription instances."""
    return {
        table: [tuple(row) for row in connection.execute(sa.text(query))] for table, query in DOMAIN_QUERIES.items()
    }
