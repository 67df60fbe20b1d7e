"""What a user waits for: ``python main.py db revision --autogenerate`` with and without alembic-wfplugin,
on applications whose workflow modules are shaped like real ones (``benchmarks/corpus.py``).

For each registry size (20, 200 and 2,000 workflows by default; ``--sizes 20,200,2000,10000`` adds
10,000 to show how cost grows), on the embedded PostgreSQL, it builds the application (a copy of
``migrations_fixture/`` whose ``workflows/`` is replaced by the generated one, with product-model and
service-client modules) and a database whose workflows, products and links match the code exactly.
Then, with default settings:

- the comparator alone, in this process, on the unchanged registry: cold (no cache, workflow modules
  not imported: a first run) and warm (the median of several runs after it), the SQL statements it
  sends (SQLAlchemy's ``before_cursor_execute``) and its peak memory (``tracemalloc``, cold);
- the whole process ``python main.py db revision --autogenerate``, with the plugin and without it,
  alternating, median of ``--runs`` each after one warm-up each: the same application, database and
  ``env.py``, whose ``autogenerate_plugins`` is ``["alembic.autogenerate.*", "alembic_wfplugin"]``
  or ``["alembic.autogenerate.*"]`` (schema comparison on in both); on the unchanged registry, then
  with 5% of the workflow modules edited before every run (another target, a step more);
- a plot of these times against the registry size, written to ``docs/bench.svg``.

The last line is ``command_ratio=<x> unchanged_ms=<y> queries=<n> peak_mib=<m>`` for 2,000 workflows
(x: whole command with / without the plugin, warm, unchanged; y: the comparator, warm, unchanged).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import corpus  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from alembic_wfplugin import pgserver  # noqa: E402
from tests.fixture_app import FixtureApp, copy_fixture  # noqa: E402

PLUGINS_LINE = '        autogenerate_plugins=["alembic.autogenerate.*", "alembic_wfplugin"],\n'
PLAIN_LINE = '        autogenerate_plugins=["alembic.autogenerate.*"],\n'
WARM_RUNS = 7  # in-process warm comparator runs (median)


@dataclass
class Figures:
    size: int
    cold_s: float
    warm_s: float
    statements: int
    peak_mib: float
    plain_s: float
    plugin_s: float
    plain_changed_s: float
    plugin_changed_s: float

    @property
    def ratio(self) -> float:
        return self.plugin_s / self.plain_s

    @property
    def changed_ratio(self) -> float:
        return self.plugin_changed_s / self.plain_changed_s


def write_env_py(app: Path) -> None:
    """The fixture's env.py with the schema comparison on: only the autogenerate_plugins line will differ.
    (No alembic_wfplugin.register(): on alembic 1.18+ it would switch the plugin on in both.)"""
    env_py = app / "migrations" / "env.py"
    text = env_py.read_text()
    text = text.replace("alembic_wfplugin.register()\n", "")
    text = text.replace("import alembic_wfplugin\n", "")
    text = text.replace(
        "from alembic_wfplugin import no_schema_objects, skip_empty_revision",
        "from alembic_wfplugin import skip_empty_revision",
    )
    text = text.replace("        include_object=no_schema_objects,\n", "")
    text = text.replace('        autogenerate_plugins=["alembic_wfplugin"],\n', PLUGINS_LINE)
    assert (
        PLUGINS_LINE in text
        and "register()" not in text
        and "include_object" not in text.split("context.configure(\n        connection")[1]
    )
    env_py.write_text(text)


def use_plugin(app: Path, on: bool) -> None:
    env_py = app / "migrations" / "env.py"
    text = env_py.read_text()
    current, wanted = (PLAIN_LINE, PLUGINS_LINE) if on else (PLUGINS_LINE, PLAIN_LINE)
    env_py.write_text(text.replace(current, wanted))


def fill_database(url: str, workflows: list[corpus.Workflow]) -> None:
    """Products (five per product type) and one live row per workflow, linked to its type's products,
    as an earlier revision of the plugin would have left them; modify_note linked to every product."""
    types = sorted({workflow.product_type for workflow in workflows})
    names = [workflow.name for workflow in workflows]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status)"
                " SELECT format('%s %s', t, p), 'x', t, format('TAG%s', p), 'active'"
                " FROM unnest(CAST(:types AS text[])) AS t, generate_series(0, 4) AS p"
            ),
            {"types": types},
        )
        connection.execute(
            sa.text(
                "INSERT INTO workflows (name, target, description, is_task)"
                " SELECT name, target, 'Benchmark', target IN ('SYSTEM', 'VALIDATE')"
                " FROM unnest(CAST(:names AS text[]), CAST(:targets AS text[])) AS t(name, target)"
            ),
            {"names": names, "targets": [workflow.target for workflow in workflows]},
        )
        connection.execute(
            sa.text(
                "INSERT INTO products_workflows (product_id, workflow_id)"
                " SELECT p.product_id, w.workflow_id FROM workflows AS w"
                " JOIN unnest(CAST(:names AS text[]), CAST(:types AS text[])) AS t(name, product_type)"
                " ON t.name = w.name"
                " JOIN products AS p ON p.product_type = t.product_type"
            ),
            {"names": names, "types": [workflow.product_type for workflow in workflows]},
        )
        connection.execute(
            sa.text(
                "INSERT INTO products_workflows (product_id, workflow_id)"
                " SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w"
                " WHERE w.name = 'modify_note' ON CONFLICT DO NOTHING"
            )
        )
    engine.dispose()


def register_in_this_process(app: Path) -> None:
    """The application's registry in this process, as main.py's ``import workflows`` fills it."""
    from orchestrator.core.workflows import ALL_WORKFLOWS

    for name in [name for name, lazy in ALL_WORKFLOWS.items() if lazy.package.startswith("workflows.")]:
        del ALL_WORKFLOWS[name]
    forget_modules()
    sys.path.insert(0, str(app))
    __import__("workflows")


def forget_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in ("workflows", "products", "services"):
            del sys.modules[name]


def forget_workflow_modules() -> None:
    """Keep the registry, forget the modules it names: the comparator as in a fresh process."""
    for name in [name for name in sys.modules if name.startswith("workflows.") or name.split(".")[0] == "products"]:
        del sys.modules[name]


def comparator(url: str, options: Mapping[str, Any] | None = None) -> Callable[[], tuple[float, int, int]]:
    """A function that runs the comparator once, as alembic does (with the plugin's ``options``), returning
    (seconds, statements, operations); the seconds are the comparator's alone (not connecting, not
    configuring alembic)."""
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import UpgradeOps
    from alembic.runtime.migration import MigrationContext

    from alembic_wfplugin import compare

    def run() -> tuple[float, int, int]:
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            opts = {"autogenerate_plugins": ["alembic_wfplugin"], **(options or {})}
            context = MigrationContext.configure(connection, opts=opts)
            upgrade_ops = UpgradeOps()
            forget_workflow_modules()
            autogen_context = AutogenContext(context)
            sa.event.listen(connection, "before_cursor_execute", count)
            start = time.perf_counter()
            compare.compare_workflows(autogen_context, upgrade_ops)
            seconds = time.perf_counter() - start
            sa.event.remove(connection, "before_cursor_execute", count)
        engine.dispose()
        operations = sum(len(container.ops) for container in upgrade_ops.ops)  # type: ignore[attr-defined]
        return seconds, statements, operations

    return run


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def clear_cache(cache_home: Path) -> None:
    for path in (cache_home / "alembic-wfplugin").glob("*"):
        path.unlink()


def measure(size: int, tmp: Path, cluster: pgserver.PostgresCluster, runs: int, cache_home: Path) -> Figures:
    url = cluster.create_database(f"bench_{size}", template="bench_template")
    app = copy_fixture(tmp / f"app{size}")
    write_env_py(app)
    workflows = corpus.write_application(app, size)
    fill_database(url, workflows)
    fixture_app = FixtureApp(app, url)
    os.chdir(app)  # the cache is per application folder, the one main.py runs from
    register_in_this_process(app)
    run = comparator(url)

    clear_cache(cache_home)
    cold_s, _, _ = run()
    _, statements, operations = run()
    assert operations == 0, f"the generated database does not match the code: {operations} operations"
    warm = [run()[0] for _ in range(WARM_RUNS)]
    clear_cache(cache_home)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    run()  # warm again for the command runs
    print(f"{size}: comparator cold {cold_s:.3f} s, warm {statistics.median(warm) * 1000:.1f} ms", flush=True)

    def command(plugin: bool) -> float:
        use_plugin(app, plugin)
        before = fixture_app.revision_files()
        seconds = timed(lambda: fixture_app.autogenerate("bench"))
        for path in fixture_app.revision_files() - before:
            path.unlink()
        return seconds

    command(True), command(False)  # warm-up: the operating system's caches, the plugin's cache
    plain, plugin = [], []
    for _ in range(runs):
        plain.append(command(False))
        plugin.append(command(True))
    plain_changed, plugin_changed = [], []
    for stamp in range(runs):
        corpus.change(app, workflows, stamp=stamp)  # a new edit of 5% of the modules before each pair
        plain_changed.append(command(False))
        plugin_changed.append(command(True))
    figures = Figures(
        size=size,
        cold_s=cold_s,
        warm_s=statistics.median(warm),
        statements=statements,
        peak_mib=peak / 2**20,
        plain_s=statistics.median(plain),
        plugin_s=statistics.median(plugin),
        plain_changed_s=statistics.median(plain_changed),
        plugin_changed_s=statistics.median(plugin_changed),
    )
    print(f"{size}: whole command {figures.plain_s:.2f} s / {figures.plugin_s:.2f} s ({figures.ratio:.3f})", flush=True)
    sys.path.remove(str(app))
    forget_modules()
    os.chdir(REPO)
    cluster.drop_database(f"bench_{size}")
    return figures


def plot(results: list[Figures], path: Path) -> None:
    series = [
        ("whole command, with the plugin, 5% changed", "#d62728", [r.plugin_changed_s for r in results]),
        ("whole command, with the plugin, unchanged", "#1f77b4", [r.plugin_s for r in results]),
        ("whole command, without the plugin", "#7f7f7f", [r.plain_s for r in results]),
        ("comparator, cold (first run)", "#ff7f0e", [r.cold_s for r in results]),
        ("comparator, warm, unchanged", "#2ca02c", [r.warm_s for r in results]),
    ]
    title = "alembic-wfplugin: time against registry size (log-log)"
    svg_plot(title, "workflows registered", [r.size for r in results], series, path)


def svg_plot(
    title: str, x_label: str, sizes: list[int], series: list[tuple[str, str, list[float]]], path: Path
) -> None:
    """Times (seconds) against sizes, log-log, as a self-contained SVG (no plotting library needed)."""
    width, height, left, right, top, bottom = 760, 440, 70, 250, 30, 50
    values = [value for _, _, points in series for value in points]
    y_low, y_high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x_low, x_high = math.log10(min(sizes)), math.log10(max(sizes))
    x_span = (x_high - x_low) or 1.0

    def x(size: float) -> float:
        return left + (math.log10(size) - x_low) / x_span * (width - left - right)

    def y(seconds: float) -> float:
        return top + (y_high - math.log10(seconds)) / ((y_high - y_low) or 1) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">{title}</text>',
    ]
    for exponent in range(y_low, y_high + 1):
        label = f"{10.0**exponent:g} s" if exponent >= 0 else f"{10.0 ** (exponent + 3):g} ms"
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(10.0**exponent):.1f}" '
                     f'y2="{y(10.0**exponent):.1f}" stroke="#ddd"/>')  # fmt: skip
        parts.append(f'<text x="{left - 6}" y="{y(10.0**exponent) + 4:.1f}" text-anchor="end">{label}</text>')
    for size in sizes:
        parts.append(f'<line x1="{x(size):.1f}" x2="{x(size):.1f}" y1="{top}" y2="{height - bottom}" stroke="#eee"/>')
        parts.append(f'<text x="{x(size):.1f}" y="{height - bottom + 16}" text-anchor="middle">{size:,}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">{x_label}</text>')
    for index, (label, colour, points) in enumerate(series):
        coordinates = " ".join(f"{x(size):.1f},{y(value):.1f}" for size, value in zip(sizes, points, strict=True))
        parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{x(size):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"/>'
            for size, value in zip(sizes, points, strict=True)
        ]
        legend_y = top + 10 + index * 20
        parts.append(f'<line x1="{width - right + 12}" x2="{width - right + 32}" y1="{legend_y}" y2="{legend_y}" '
                     f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        parts.append(f'<text x="{width - right + 38}" y="{legend_y + 4}" font-size="11">{label}</text>')
    parts.append("</svg>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="20,200,2000", help="registry sizes, e.g. 20,200,2000,10000")
    parser.add_argument("--runs", type=int, default=5, help="whole-command runs per mode and state (median)")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "bench.svg")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="wfplugin-bench-") as directory, pgserver.running() as cluster:
        tmp = Path(directory)
        cache_home = tmp / "cache"  # the default cache folder, $XDG_CACHE_HOME/alembic-wfplugin, kept here
        os.environ["XDG_CACHE_HOME"] = str(cache_home)
        template = cluster.create_database("bench_template")
        FixtureApp(copy_fixture(tmp / "template_app"), template).upgrade()
        for size in sizes:
            results.append(measure(size, tmp, cluster, args.runs, cache_home))
    plot(results, args.plot)
    print()
    print(
        "workflows  comparator cold s  warm ms  statements  peak MiB"
        "  command without s  with s  ratio  5% changed: without s  with s  ratio"
    )
    for r in results:
        print(
            f"{r.size:>9}  {r.cold_s:17.3f}  {r.warm_s * 1000:7.1f}  {r.statements:10}  {r.peak_mib:8.1f}"
            f"  {r.plain_s:17.2f}  {r.plugin_s:6.2f}  {r.ratio:5.3f}"
            f"  {r.plain_changed_s:21.2f}  {r.plugin_changed_s:6.2f}  {r.changed_ratio:5.3f}"
        )
    print(f"plot: {args.plot}")
    (chosen,) = [r for r in results if r.size == 2000] or results[-1:]
    print(
        f"command_ratio={chosen.ratio:.3f} unchanged_ms={chosen.warm_s * 1000:.1f} "
        f"queries={chosen.statements} peak_mib={chosen.peak_mib:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
