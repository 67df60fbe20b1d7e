"""What a domain-model upgrade costs on a production-sized database: every one of ``--subscriptions``
subscriptions (100,000 by default, with their instances, values and instance relations, loaded with
set-based SQL) gets an instance of a new required root block with two resource types.

The revision is the plugin's own (generated in this process against the loaded database, as
``main.py db revision --autogenerate`` would), and it is timed against the fewest set-based statements
that write the same rows (one ``INSERT ... SELECT`` per table), alternating, each on a fresh copy of the
loaded database, median of ``--runs``. Both write the same rows, which is checked.

The last line is ``upgrade_ratio=<x> upgrade_statements=<n> subscriptions=<s>``: x is the plugin's
upgrade time over the baseline's, n the statements the plugin's upgrade sends (the same whatever the
number of subscriptions: it is also counted on a database of 1,000 and must match).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from alembic.autogenerate import render_python_code  # noqa: E402

from alembic_wfplugin import compat, pgserver  # noqa: E402
from tests.domain_harness import TUTORIAL_OPTIONS, autogenerate, upgrade  # noqa: E402
from tests.fixture_app import FixtureApp, copy_fixture  # noqa: E402
from tests.revision_code import run_rendered  # noqa: E402

GROUPS = 1000  # user subscriptions depend on the UserGroupBlock instances of this many group subscriptions

LOAD = [
    # group subscriptions and users, numbered so that user n belongs to group n % GROUPS
    "CREATE TEMPORARY TABLE bench_subscriptions AS"
    " SELECT n, uuid_generate_v4() AS subscription_id, uuid_generate_v4() AS instance_id,"
    " CASE WHEN n < :groups THEN 'User Group' WHEN n % 2 = 0 THEN 'User internal' ELSE 'User external' END"
    " AS product FROM generate_series(0, :groups + :users - 1) AS n",
    "INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date)"
    " SELECT b.subscription_id, 'bench', 'active', p.product_id, 'customer', true, now()"
    " FROM bench_subscriptions b JOIN products p ON p.name = b.product",
    "INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id)"
    " SELECT b.instance_id, b.subscription_id, pb.product_block_id FROM bench_subscriptions b"
    " JOIN product_blocks pb ON pb.name = CASE WHEN b.n < :groups THEN 'UserGroupBlock' ELSE 'UserBlock' END",
    "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
    " SELECT b.instance_id, rt.resource_type_id,"
    " CASE rt.resource_type WHEN 'group_name' THEN 'group ' || b.n WHEN 'username' THEN 'user ' || b.n"
    " ELSE CAST(b.n AS text) END"
    " FROM bench_subscriptions b JOIN resource_types rt ON rt.resource_type = ANY(CASE WHEN b.n < :groups"
    " THEN ARRAY['group_name', 'group_id'] ELSE ARRAY['username', 'user_id', 'age'] END)",
    "INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr)"
    " SELECT u.instance_id, g.instance_id, 0, 'group' FROM bench_subscriptions u"
    " JOIN bench_subscriptions g ON g.n = u.n % :groups WHERE u.n >= :groups",
    "DROP TABLE bench_subscriptions",
]

# The tutorial's User with a new required root block, Profile, of two required resource types.
PROFILE = """
class ProfileBlockInactive(base.ProductBlockModel, lifecycle=[lifecycle.INITIAL], product_block_name="ProfileBlock"):
    theme: str | None = None
    size: int | None = None

class ProfileBlock(ProfileBlockInactive, lifecycle=[lifecycle.ACTIVE]):
    theme: str
    size: int

class UserInactive(base.SubscriptionModel, is_base=True):
    affiliation: products.product_types.user.Affiliation
    user: products.product_blocks.user.UserBlockInactive
    profile: ProfileBlockInactive

class User(UserInactive, lifecycle=[lifecycle.ACTIVE]):
    affiliation: products.product_types.user.Affiliation
    user: products.product_blocks.user.UserBlock
    profile: ProfileBlock

REGISTRY = {"User internal": User, "User external": User}
"""
OPTIONS = {
    "wfplugin_product_blocks": {
        **TUTORIAL_OPTIONS["wfplugin_product_blocks"],
        "ProfileBlock": {"description": "Profile", "tag": "PROFILE"},
    },
    "wfplugin_resource_types": {
        **TUTORIAL_OPTIONS["wfplugin_resource_types"],
        "theme": {"description": "Theme", "value": "dark"},
        "size": {"description": "Size", "value": 3},
    },
}

# The fewest set-based statements that write the same rows: one INSERT ... SELECT per table.
BASELINE = [
    "INSERT INTO product_blocks (name, description, tag, status)"
    " VALUES ('ProfileBlock', 'Profile', 'PROFILE', 'active')",
    "INSERT INTO resource_types (resource_type, description) VALUES ('size', 'Size'), ('theme', 'Theme')",
    "INSERT INTO product_block_resource_types (product_block_id, resource_type_id)"
    " SELECT pb.product_block_id, rt.resource_type_id FROM product_blocks pb, resource_types rt"
    " WHERE pb.name = 'ProfileBlock' AND rt.resource_type IN ('size', 'theme')",
    "INSERT INTO product_product_blocks (product_id, product_block_id)"
    " SELECT p.product_id, pb.product_block_id FROM products p, product_blocks pb"
    " WHERE p.name IN ('User internal', 'User external') AND pb.name = 'ProfileBlock'",
    "INSERT INTO subscription_instances (subscription_id, product_block_id)"
    " SELECT s.subscription_id, pb.product_block_id FROM subscriptions s JOIN products p USING (product_id),"
    " product_blocks pb WHERE p.name IN ('User internal', 'User external') AND pb.name = 'ProfileBlock'",
    "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
    " SELECT si.subscription_instance_id, rt.resource_type_id, CASE rt.resource_type WHEN 'theme' THEN 'dark'"
    " ELSE '3' END FROM subscription_instances si JOIN product_blocks pb USING (product_block_id),"
    " resource_types rt WHERE pb.name = 'ProfileBlock' AND rt.resource_type IN ('size', 'theme')",
]

ROWS = """
SELECT (SELECT count(*) FROM subscription_instances si JOIN product_blocks b USING (product_block_id)
        WHERE b.name = 'ProfileBlock'),
       (SELECT count(*) FROM subscription_instance_values v JOIN resource_types rt USING (resource_type_id)
        WHERE rt.resource_type IN ('theme', 'size')),
       (SELECT count(*) FROM product_block_resource_types pbrt JOIN product_blocks b USING (product_block_id)
        WHERE b.name = 'ProfileBlock'),
       (SELECT count(*) FROM product_product_blocks ppb JOIN product_blocks b USING (product_block_id)
        WHERE b.name = 'ProfileBlock')
"""


def loaded_database(cluster: pgserver.PostgresCluster, template: str, name: str, users: int) -> str:
    """A copy of ``template`` (migrated, tutorial registered) with ``users`` user subscriptions loaded."""
    url = cluster.create_database(name, template=template)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in LOAD:
            connection.execute(sa.text(statement), {"groups": GROUPS, "users": users})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return name


def generated_upgrade(url: str, registry: Any) -> str:
    """The plugin's upgrade() for the Profile change, generated against ``url``."""
    from tests.subscription_examples import changed_models

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection, changed_models(PROFILE, registry):
        script = autogenerate(connection, **OPTIONS)
    engine.dispose()
    return render_python_code(script.upgrade_ops)


def timed_run(url: str, run: Any) -> tuple[float, int, tuple[int, ...]]:
    """Seconds and statements of ``run(connection)`` in one committed transaction, and the rows written."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    with engine.connect() as connection:
        sa.event.listen(connection, "before_cursor_execute", count)
        start = time.perf_counter()
        run(connection)
        connection.commit()
        seconds = time.perf_counter() - start
        sa.event.remove(connection, "before_cursor_execute", count)
        rows = tuple(connection.execute(sa.text(ROWS)).one())
    engine.dispose()
    return seconds, statements, rows


def baseline(connection: sa.Connection) -> None:
    for statement in BASELINE:
        connection.execute(sa.text(statement))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000, help="user subscriptions")
    parser.add_argument("--runs", type=int, default=3, help="runs of each upgrade (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfplugin-upgrade-bench-") as directory, pgserver.running() as cluster:
        tmp = Path(directory)
        template = "upgrade_template"
        app = copy_fixture(tmp / "app")
        FixtureApp(app, cluster.create_database(template)).upgrade()
        sys.path.insert(0, str(app))
        __import__("products")
        __import__("workflows")
        registry = compat.subscription_model_registry()
        engine = sa.create_engine(cluster.url(template), poolclass=sa.pool.NullPool)
        with engine.connect() as connection:  # the tutorial's workflows registered: only the change is left
            upgrade(autogenerate(connection), connection)
            connection.commit()
        engine.dispose()
        small = loaded_database(cluster, template, "upgrade_small", 1000)
        large = loaded_database(cluster, template, "upgrade_large", args.subscriptions)
        code = generated_upgrade(cluster.url(large), registry)
        figures: dict[str, list[float]] = {"plugin": [], "baseline": []}
        counted: dict[str, set[int]] = {"plugin": set(), "baseline": set()}
        written: set[tuple[int, ...]] = set()
        for run in range(args.runs):
            for mode in ("plugin", "baseline") if run % 2 == 0 else ("baseline", "plugin"):
                url = cluster.create_database(f"upgrade_run_{mode}", template=large)
                step = (lambda connection: run_rendered(code, connection)) if mode == "plugin" else baseline
                seconds, statements, rows = timed_run(url, step)
                cluster.drop_database(f"upgrade_run_{mode}")
                figures[mode].append(seconds)
                counted[mode].add(statements)
                written.add(rows)
                print(f"{mode:>8} run {run + 1}: {seconds:6.2f} s, {statements} statements, rows {rows}")
        _, small_statements, _ = timed_run(cluster.url(small), lambda connection: run_rendered(code, connection))
    if len(written) != 1:
        print(f"FAIL: the two upgrades wrote different rows: {sorted(written)}")
        return 1
    (statements,) = counted["plugin"]
    if small_statements != statements:
        print(f"FAIL: {small_statements} statements on 1,000 subscriptions, {statements} on {args.subscriptions}")
        return 1
    plugin, plain = statistics.median(figures["plugin"]), statistics.median(figures["baseline"])
    print(f"plugin upgrade {plugin:.2f} s, baseline {plain:.2f} s ({len(BASELINE)} statements), median of {args.runs}")
    print(f"upgrade_ratio={plugin / plain:.3f} upgrade_statements={statements} subscriptions={args.subscriptions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
