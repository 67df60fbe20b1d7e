"""How much alembic-wfplugin adds to an autogenerate run, and how that grows with the registry.

For 20, 200 and 2,000 registered workflows (a tenth as many product types, half as many products), it
builds a database on the embedded PostgreSQL and a code registry of real ``@workflow`` modules in which
5% of the workflows are new, 5% removed, 5% retargeted and 5% relinked. Then it measures:

- the wall time of alembic's ``command.revision(..., autogenerate=True)`` with the plugin enabled and
  disabled (the same env.py otherwise: alembic's schema comparison on orchestrator-core's metadata),
  median of several runs each, alternating; each run in a fresh process that has imported
  orchestrator-core and the application's registry, as ``python main.py db revision`` has, timing only
  the command;
- the SQL statements the plugin's comparator sends (SQLAlchemy's ``before_cursor_execute``);
- the peak memory the comparator allocates (``tracemalloc``);
- the same comparator with workflows read from their source instead of imported
  (``wfplugin_read_workflows="source"``).

The last line is ``overhead_ratio=<plugin median / plain median> queries=<n> peak_mib=<m>`` for 2,000.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from alembic_wfplugin import pgserver  # noqa: E402
from tests.fixture_app import FixtureApp, copy_fixture  # noqa: E402

VERBS = ("create", "modify", "terminate", "validate", "reconcile")
TARGETS = {"create": "CREATE", "modify": "MODIFY", "terminate": "TERMINATE", "validate": "VALIDATE",
           "reconcile": "RECONCILE"}  # fmt: skip
PACKAGE = "benchwf"

ENV_PY = """
import os

from alembic import context
from sqlalchemy import create_engine, pool

from orchestrator.core.db.database import BaseModel

# os.environ, not orchestrator-core's settings: those are read once per process, and the benchmark
# moves from one database to the next.
config = context.config
engine = create_engine(os.environ["DATABASE_URI"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=BaseModel.metadata,
        compare_type=True,
        **config.attributes["configure"],
    )
    with context.begin_transaction():
        context.run_migrations()
"""


@dataclass
class Registry:
    """What the code declares: (module, function, target) per workflow."""

    workflows: list[tuple[str, str, str]]
    product_types: dict[str, str]  # the options' mapping for the relinked workflows


def build(size: int, root: Path, url: str) -> Registry:
    """Write the workflow modules under ``root`` and fill the database at ``url``."""
    types = max(1, size // 10)
    new, removed, retargeted, relinked = (max(1, size // 20),) * 4
    package = root / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    code: list[tuple[str, str, str]] = []
    rows: list[tuple[str, str, str]] = []  # (name, target, product_type) in the database
    for index in range(size + new):
        type_index = index % types
        product_type = f"Type{type_index:04d}"
        verb = VERBS[(index // types) % len(VERBS)]
        name = f"{verb}_type{type_index:04d}_{index}"
        target = TARGETS[verb]
        folder = package / f"type{type_index:04d}"
        if not folder.exists():
            folder.mkdir()
            (folder / "__init__.py").write_text("")
        (folder / f"{name}.py").write_text(
            "from orchestrator.core.targets import Target\n"
            "from orchestrator.core.workflow import StepList, begin, done, step, workflow\n\n\n"
            f"@step('Do {name}')\ndef do_{name}(state: dict) -> dict:\n    return state\n\n\n"
            f"@workflow(target=Target.{target})\ndef {name}() -> StepList:\n    return begin >> do_{name} >> done\n"
        )
        module = f"{PACKAGE}.type{type_index:04d}.{name}"
        if index < size:
            rows.append((name, target, product_type))
        if index >= removed:  # the first `removed` are in the database only
            code.append((module, name, target))
    for position in range(removed, removed + retargeted):  # retargeted: the database holds another target
        name, target, product_type = rows[position]
        rows[position] = (name, "SYSTEM" if target != "SYSTEM" else "MODIFY", product_type)
    mapping = {}
    for position in range(removed + retargeted, removed + retargeted + relinked):
        name, _, product_type = rows[position]
        other = f"Type{(int(product_type[4:]) + 1) % types:04d}"
        mapping[name] = other  # relinked: the options move it to another product type

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status)"
                " SELECT format('Product %s-%s', t, p), 'x', format('Type%s', lpad(t::text, 4, '0')),"
                " format('TAG%s', p), 'active' FROM generate_series(0, :types - 1) t, generate_series(0, :per - 1) p"
            ),
            {"types": types, "per": max(1, size // 2 // types)},
        )
        connection.execute(
            sa.text(
                "INSERT INTO workflows (name, target, description, is_task)"
                " SELECT name, target, 'Benchmark', target IN ('SYSTEM', 'VALIDATE')"
                " FROM unnest(CAST(:names AS text[]), CAST(:targets AS text[])) AS t(name, target)"
            ),
            {"names": [r[0] for r in rows], "targets": [r[1] for r in rows]},
        )
        connection.execute(
            sa.text(
                "INSERT INTO products_workflows (product_id, workflow_id)"
                " SELECT p.product_id, w.workflow_id FROM workflows w"
                " JOIN unnest(CAST(:names AS text[]), CAST(:types AS text[])) AS t(name, product_type)"
                " ON t.name = w.name JOIN products p ON p.product_type = t.product_type"
            ),
            {"names": [r[0] for r in rows], "types": [r[2] for r in rows]},
        )
        connection.execute(
            sa.text(
                "INSERT INTO products_workflows (product_id, workflow_id)"
                " SELECT p.product_id, w.workflow_id FROM products p, workflows w"
                " WHERE w.name = 'modify_note' ON CONFLICT DO NOTHING"
            )
        )
    engine.dispose()
    return Registry(code, mapping)


def write_registry(registry: Registry, root: Path) -> None:
    """The application's registry, as a real app has it: ``LazyWorkflowInstance`` lines in a package."""
    lines = [f"LazyWorkflowInstance({module!r}, {name!r})\n" for module, name, _ in registry.workflows]
    (root / PACKAGE / "registry.py").write_text(
        "from orchestrator.core.workflows import LazyWorkflowInstance\n\n" + "".join(lines)
    )


def register(registry: Registry, root: Path) -> None:
    """The same registry in this process (for the comparator figures)."""
    from orchestrator.core.workflows import ALL_WORKFLOWS

    for name in [name for name, lazy in ALL_WORKFLOWS.items() if lazy.package.startswith(PACKAGE)]:
        del ALL_WORKFLOWS[name]
    forget_workflow_modules()
    __import__(f"{PACKAGE}.registry")


def forget_workflow_modules() -> None:
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def unimport_workflow_modules() -> None:
    """Forget the workflow modules but keep the registry: a cold comparator, as in a fresh process."""
    for name in [name for name in sys.modules if name.startswith(PACKAGE + ".type")]:
        del sys.modules[name]


RUN_ONE = """
import json, os, sys, time
from pathlib import Path
from alembic import command
from alembic.config import Config

app_dir, configure = Path(sys.argv[1]), json.loads(sys.argv[2])
import benchwf.registry  # the application's `import workflows`, as main.py does

cfg = Config(str(app_dir / "alembic.ini"), ini_section="standalone")
cfg.attributes["configure"] = configure
versions = app_dir / "migrations" / "versions" / "schema"
before = set(versions.iterdir())
start = time.perf_counter()
command.revision(cfg, message="bench", autogenerate=True, head="data@head")
elapsed = time.perf_counter() - start
for path in set(versions.iterdir()) - before:
    path.unlink()
print(f"ELAPSED {elapsed}")
"""


def revision_seconds(app_dir: Path, root: Path, url: str, configure: dict[str, Any]) -> float:
    """One ``command.revision(..., autogenerate=True)`` in a fresh process, as ``main.py db revision``
    runs: only the command is timed, not the interpreter start or the imports before it."""
    env = {**os.environ, "DATABASE_URI": url, "PYTHONPATH": os.pathsep.join([str(root), str(REPO)])}
    result = subprocess.run(
        [sys.executable, "-c", RUN_ONE, str(app_dir), json.dumps(configure)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("ELAPSED ")]
    return float(line.split()[1])


def comparator_figures(url: str, options: dict[str, Any]) -> tuple[int, float, float, int]:
    """(statements, peak MiB, seconds, operations) of the comparator with cold workflow modules; time
    and memory from separate runs, as tracemalloc slows Python down."""
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import UpgradeOps
    from alembic.runtime.migration import MigrationContext

    from alembic_wfplugin import compare

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"autogenerate_plugins": ["alembic_wfplugin"], **options})

        def run() -> UpgradeOps:
            upgrade_ops = UpgradeOps()
            unimport_workflow_modules()
            compare.compare_workflows(AutogenContext(context), upgrade_ops)
            return upgrade_ops

        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        sa.event.listen(connection, "before_cursor_execute", count)
        tracemalloc.start()
        upgrade_ops = run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sa.event.remove(connection, "before_cursor_execute", count)
    engine.dispose()
    operations = sum(len(container.ops) for container in upgrade_ops.ops)  # type: ignore[attr-defined]
    return statements, peak / 2**20, seconds, operations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,200,2000")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per mode (median)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="wfplugin-bench-") as tmp, pgserver.running() as cluster:
        template = cluster.create_database("bench_template")
        FixtureApp(copy_fixture(Path(tmp) / "template_app"), template).upgrade()
        for size in sizes:
            root = Path(tmp) / f"code{size}"
            url = cluster.create_database(f"bench_{size}", template="bench_template")
            app_dir = copy_fixture(Path(tmp) / f"app{size}")
            (app_dir / "migrations" / "env.py").write_text(ENV_PY)
            os.environ["DATABASE_URI"] = url
            registry = build(size, root, url)
            write_registry(registry, root)
            sys.path.insert(0, str(root))
            register(registry, root)
            options = {"wfplugin_product_types": registry.product_types, "wfplugin_allow_removing_all": True}
            plain = {"autogenerate_plugins": ["alembic.autogenerate.*"]}
            with_plugin = {"autogenerate_plugins": ["alembic.autogenerate.*", "alembic_wfplugin"], **options}
            from_source = {**with_plugin, "wfplugin_read_workflows": "source"}
            plain_times, plugin_times, source_times = [], [], []
            for _ in range(args.runs):
                plain_times.append(revision_seconds(app_dir, root, url, plain))
                plugin_times.append(revision_seconds(app_dir, root, url, with_plugin))
                source_times.append(revision_seconds(app_dir, root, url, from_source))
            queries, peak, seconds, operations = comparator_figures(url, options)
            _, source_peak, source_seconds, source_ops = comparator_figures(
                url, {**options, "wfplugin_read_workflows": "source"}
            )
            assert source_ops == operations, (source_ops, operations)
            results.append(
                (
                    size,
                    statistics.median(plain_times),
                    statistics.median(plugin_times),
                    statistics.median(source_times),
                    queries,
                    peak,
                    seconds,
                    source_seconds,
                    source_peak,
                    operations,
                )
            )
            sys.path.remove(str(root))
            shutil.rmtree(root)
    print()
    print(
        "workflows  plain s  plugin s  ratio  plugin (source) s  ratio  queries"
        "  comparator s (import / source)  peak MiB (import / source)  ops"
    )
    for size, plain_s, plugin_s, source_s, queries, peak, seconds, source_seconds, source_peak, operations in results:
        print(
            f"{size:>9}  {plain_s:7.3f}  {plugin_s:8.3f}  {plugin_s / plain_s:5.2f}  {source_s:17.3f}"
            f"  {source_s / plain_s:5.2f}  {queries:7}"
            f"  {seconds:13.3f} / {source_seconds:6.3f}  {peak:17.1f} / {source_peak:6.1f}  {operations:4}"
        )
    size, plain_s, plugin_s, _, queries, peak, *_ = results[-1]
    print(f"overhead_ratio={plugin_s / plain_s:.3f} queries={queries} peak_mib={peak:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
