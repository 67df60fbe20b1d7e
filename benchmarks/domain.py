"""What domain models cost a user on a production-sized database: ``python main.py db revision
--autogenerate`` with ``wfplugin_domain_models=True``, nothing to do, against databases holding
``--subscriptions`` subscriptions (1,000, 10,000 and 100,000 by default: each with an instance of its
product's block and of the site block it uses, their values and the relation between them, loaded with
set-based SQL), each against the same application's database without subscriptions.

The application is the realistic corpus of ``bench.py`` (``--workflows`` workflows over a tenth as many
product types) with its product modules registered: per type a product with a fixed input, a product
block with four resource types that uses a shared site block, in three lifecycles. Its registry is
written by the plugin's own first revision (generated and applied through ``main.py``), so code and
database agree. The times against the number of subscriptions are plotted to ``docs/bench-domain.svg``.

The last line is ``domain_command_ratio=<x> domain_unchanged_ms=<y> domain_queries=<n> subscriptions=<s>``
for the largest database: x is the whole command against it over the same against the empty one (warm,
alternating, medians of ``--runs``), y the comparator's own time warm on it (median of 7), n the
statements it sends there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import corpus  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench import comparator, forget_modules, svg_plot, timed  # noqa: E402

from alembic_wfplugin import pgserver  # noqa: E402
from tests.fixture_app import FixtureApp, copy_fixture  # noqa: E402

# Subscriptions spread over the products; each has an instance of its product's block and of the site
# block, a value per resource type of each, and the relation between the two (domain_model_attr "site").
LOAD = [
    "CREATE TEMPORARY TABLE bench_products AS SELECT p.product_id, ppb.product_block_id,"
    " row_number() OVER (ORDER BY p.name) - 1 AS position FROM products p"
    " JOIN product_product_blocks ppb USING (product_id)",
    "CREATE TEMPORARY TABLE bench_subscriptions AS SELECT n, uuid_generate_v4() AS subscription_id,"
    " uuid_generate_v4() AS instance_id, uuid_generate_v4() AS site_id, bp.product_id, bp.product_block_id"
    " FROM generate_series(0, :subscriptions - 1) AS n"
    " JOIN bench_products bp ON bp.position = n % (SELECT count(*) FROM bench_products)",
    "INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date)"
    " SELECT subscription_id, 'bench', 'active', product_id, 'customer', true, now() FROM bench_subscriptions",
    "INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id)"
    " SELECT instance_id, subscription_id, product_block_id FROM bench_subscriptions"
    " UNION ALL SELECT site_id, subscription_id, (SELECT product_block_id FROM product_blocks"
    " WHERE name = 'Site block') FROM bench_subscriptions",
    "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
    " SELECT si.subscription_instance_id, pbrt.resource_type_id, '1' FROM subscription_instances si"
    " JOIN product_block_resource_types pbrt USING (product_block_id)",
    "INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr)"
    " SELECT instance_id, site_id, 0, 'site' FROM bench_subscriptions",
    "DROP TABLE bench_subscriptions",
    "DROP TABLE bench_products",
]


def options(types: list[str]) -> dict[str, Any]:
    """What the corpus's registry needs that the code cannot say (descriptions, tags, the fixed input)."""
    return {
        "wfplugin_domain_models": True,
        "wfplugin_allow_removing_all": True,  # the tutorial's products go: the corpus replaces them
        "wfplugin_products": {
            corpus.product_name(name): {
                "description": name,
                "tag": name.upper(),
                "fixed_inputs": {"speed_class": "10G"},
            }
            for name in types
        },
        "wfplugin_product_blocks": {
            **{f"{name} block": {"description": f"{name} block", "tag": name.upper()} for name in types},
            "Site block": {"description": "Site", "tag": "SITE"},
        },
        "wfplugin_resource_types": {
            name: name.replace("_", " ").capitalize()
            for name in ("label", "vlan", "speed", "note", "site_name", "site_code")
        },
    }


def configure(app: Path, values: dict[str, Any]) -> None:
    env_py = app / "migrations" / "env.py"
    anchor = '        wfplugin_import_modules=["products", "workflows"],\n'
    text = env_py.read_text()
    assert anchor in text
    added = "".join(f"        {key}={value!r},\n" for key, value in values.items())
    env_py.write_text(text.replace(anchor, anchor + added))


def load(url: str, subscriptions: int) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in LOAD:
            connection.execute(sa.text(statement), {"subscriptions": subscriptions})
    # vacuumed now, not by autovacuum in the background of the timed runs
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workflows", type=int, default=200, help="workflows of the corpus (a tenth as many types)")
    parser.add_argument("--subscriptions", default="1000,10000,100000", help="database sizes; the last one is reported")
    parser.add_argument("--runs", type=int, default=5, help="whole-command runs per database (median)")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "bench-domain.svg")
    args = parser.parse_args()
    sizes = [int(size) for size in args.subscriptions.split(",")]
    figures = []
    with tempfile.TemporaryDirectory(prefix="wfplugin-domain-bench-") as directory, pgserver.running() as cluster:
        tmp = Path(directory)
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
        app = copy_fixture(tmp / "app")  # its env.py: the plugin only, as a team with domain models runs it
        workflows = corpus.write_application(app, args.workflows, register_products=True)
        types = sorted({workflow.product_type for workflow in workflows})
        configure(app, options(types))
        empty = FixtureApp(app, cluster.create_database("domain_empty"))
        empty.upgrade()
        empty.autogenerate("the corpus's products and workflows")  # the plugin's own first revision
        empty.upgrade()
        os.chdir(app)  # the cache is per application folder, the one main.py runs from
        sys.path.insert(0, str(app))
        __import__("products"), __import__("workflows")  # for the comparator in this process
        for size in sizes:
            loaded = FixtureApp(app, cluster.create_database(f"domain_{size}", template="domain_empty"))
            load(loaded.database_url, size)
            figures.append(measure(empty, loaded, options(types), args.runs))
            print(f"{size:,} subscriptions: {figures[-1]}", flush=True)
        forget_modules()
        os.chdir(REPO)
    svg_plot(
        "alembic-wfplugin with domain models: time against subscriptions (log-log)",
        "subscriptions in the database",
        sizes,
        [
            ("whole command, domain models on", "#1f77b4", [f["loaded_s"] for f in figures]),
            ("same, no subscriptions", "#7f7f7f", [f["empty_s"] for f in figures]),
            ("comparator, warm, unchanged", "#2ca02c", [f["warm_s"] for f in figures]),
        ],
        args.plot,
    )
    last = figures[-1]
    print(f"plot: {args.plot}")
    print(
        f"domain_command_ratio={last['loaded_s'] / last['empty_s']:.3f} domain_unchanged_ms={last['warm_s'] * 1000:.1f}"
        f" domain_queries={last['statements']} subscriptions={sizes[-1]}"
    )
    return 0


def measure(empty: FixtureApp, loaded: FixtureApp, values: dict[str, Any], runs: int) -> dict[str, float]:
    """The whole command against ``loaded`` and ``empty`` (alternating, medians), and the comparator warm
    on ``loaded`` in this process (median of 7, its statements)."""

    def command(database: FixtureApp) -> float:
        before = database.revision_files()
        seconds = timed(lambda: database.autogenerate("bench"))
        written = database.revision_files() - before
        assert not written, f"not in sync: {sorted(written)}"
        return seconds

    command(empty), command(loaded)  # warm-up: the operating system's caches, the plugin's cache
    without, with_ = [], []
    for _ in range(runs):
        without.append(command(empty))
        with_.append(command(loaded))
    run = comparator(loaded.database_url, values)
    run()
    warm = [run() for _ in range(7)]
    assert {operations for _, _, operations in warm} == {0}, "the comparator found changes"
    (statements,) = {statements for _, statements, _ in warm}
    return {
        "empty_s": statistics.median(without),
        "loaded_s": statistics.median(with_),
        "warm_s": statistics.median(seconds for seconds, _, _ in warm),
        "statements": statements,
    }


if __name__ == "__main__":
    sys.exit(main())
