"""Property: for any database state and any code state, autogenerate -> upgrade -> autogenerate finds
nothing, and downgrade gives back exactly the database it started from.

Runs in-process against a real database: each example sets up its state inside a transaction on a copy
of the template database, runs the real comparator (alembic's ``produce_migrations``), renders the
revision code with alembic's renderer, executes it, and rolls everything back.

A failing example is printed as ``Scenario(...)``: paste it into ``test_replay`` below to replay it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from alembic_wfplugin import compat
from alembic_wfplugin.compare import no_schema_objects
from alembic_wfplugin.model import ColumnChange
from tests.revision_code import run_rendered

NAMES = ("create_alpha", "modify_alpha", "terminate_alpha", "validate_beta", "reconcile_beta", "task_gamma")
TARGETS = ("CREATE", "MODIFY", "TERMINATE", "SYSTEM", "VALIDATE", "RECONCILE")
TUTORIAL_PRODUCTS = ("User Group", "User internal", "User external")
DELETED_AT = "2025-01-02 03:04:05.123456+00"
EXAMPLES = int(os.environ.get("WFPLUGIN_ROUND_TRIP_EXAMPLES", "200"))


@dataclass(frozen=True)
class Row:
    """A ``workflows`` row the database holds before the revision."""

    name: str
    target: str
    is_task: bool
    description: str
    deleted: bool = False
    products: tuple[str, ...] = ()
    processes: int = 0


@dataclass(frozen=True)
class Scenario:
    products: tuple[tuple[str, str, str], ...]  # (name, product_type, tag), besides the tutorial's
    rows: tuple[Row, ...]
    code: tuple[tuple[str, str], ...]  # (workflow name, target) the code declares
    product_types: dict[str, tuple[str, ...]] = field(default_factory=dict)  # wfplugin_product_types


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    counts = {"Alpha": draw(st.integers(1, 3)), "Beta": draw(st.integers(0, 2))}
    products = tuple(
        (f"{product_type} {index}", product_type, f"{product_type.upper()}_{index % 2}")
        for product_type, count in counts.items()
        for index in range(count)
    )
    product_names = sorted([name for name, _, _ in products] + list(TUTORIAL_PRODUCTS))
    text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12)
    rows = tuple(
        Row(
            name=name,
            target=draw(st.sampled_from(TARGETS)),
            is_task=draw(st.booleans()),
            description=draw(text),
            deleted=draw(st.booleans()),
            products=tuple(draw(st.lists(st.sampled_from(product_names), unique=True, max_size=4))),
            processes=draw(st.integers(0, 2)),
        )
        for name in draw(st.lists(st.sampled_from(NAMES), unique=True))
    )
    code = tuple((name, draw(st.sampled_from(TARGETS))) for name in draw(st.lists(st.sampled_from(NAMES), unique=True)))
    selectors = ["Alpha", "User", "UserGroup", "User:USER_INT"] + [
        f"{product_type}:{tag}" for _, product_type, tag in products
    ]
    if counts["Beta"]:
        selectors.append("Beta")
    mapping = {}
    row_names = {row.name for row in rows}
    for name, target in code:
        # a new workflow must be resolvable (else autogenerate stops, by design); others sometimes mapped
        if (name not in row_names and target != "SYSTEM") or draw(st.booleans()):
            mapping[name] = tuple(draw(st.lists(st.sampled_from(selectors), unique=True, min_size=1, max_size=2)))
    return Scenario(products, rows, code, mapping)


@pytest.fixture(scope="module")
def workflow_modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real workflow module for every (name, target) a scenario may declare."""
    root = tmp_path_factory.mktemp("round_trip")
    package = root / "wfprop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    orchestrator = compat.orchestrator_package()
    for name in NAMES:
        for target in TARGETS:
            (package / f"{name}_{target.lower()}.py").write_text(
                f"from {orchestrator}.targets import Target\n"
                f"from {orchestrator}.workflow import StepList, begin, done, step, workflow\n\n\n"
                f"@step('{name}')\ndef {name}_step() -> None:\n    pass\n\n\n"
                f"@workflow('', target=Target.{target})\n"
                f"def {name}() -> StepList:\n    return begin >> {name}_step >> done\n"
            )
    sys.path.insert(0, str(root))
    yield "wfprop"
    sys.path.remove(str(root))


def set_up(connection: sa.Connection, scenario: Scenario) -> None:
    execute = connection.execute
    for name, product_type, tag in scenario.products:
        execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status)"
                " VALUES (:name, 'x', :product_type, :tag, 'active')"
            ),
            {"name": name, "product_type": product_type, "tag": tag},
        )
    for row in scenario.rows:
        execute(
            sa.text(
                "INSERT INTO workflows (name, target, is_task, description, deleted_at)"
                " VALUES (:name, :target, :is_task, :description, CAST(:deleted_at AS timestamptz))"
            ),
            {
                "name": row.name,
                "target": row.target,
                "is_task": row.is_task,
                "description": row.description,
                "deleted_at": DELETED_AT if row.deleted else None,
            },
        )
        execute(
            sa.text(
                "INSERT INTO products_workflows SELECT p.product_id, w.workflow_id FROM products p, workflows w"
                " WHERE w.name = :name AND p.name = ANY(:products)"
            ),
            {"name": row.name, "products": list(row.products)},
        )
        execute(
            sa.text(
                "INSERT INTO processes (workflow_id, last_status, is_task)"
                " SELECT workflow_id, 'completed', false FROM workflows, generate_series(1, :n) WHERE name = :name"
            ),
            {"name": row.name, "n": row.processes},
        )


def snapshot(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """The database as the property compares it: rows without generated ids and timestamps (but with
    deleted_at), links by product name, process rows."""
    workflows = connection.execute(
        sa.text(
            "SELECT w.name, w.target, w.description, w.is_task, w.deleted_at,"
            " coalesce(array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL), '{}')"
            " FROM workflows w LEFT JOIN products_workflows USING (workflow_id)"
            " LEFT JOIN products p USING (product_id) GROUP BY w.workflow_id ORDER BY w.name"
        )
    )
    processes = connection.execute(
        sa.text("SELECT p.pid, w.name FROM processes p JOIN workflows w USING (workflow_id) ORDER BY p.pid")
    )
    return {"workflows": [tuple(row) for row in workflows], "processes": [tuple(row) for row in processes]}


def autogenerate(connection: sa.Connection, scenario: Scenario) -> Any:
    context = MigrationContext.configure(
        connection,
        opts={
            "autogenerate_plugins": ["alembic_wfplugin"],
            "include_object": no_schema_objects,  # workflows only on alembic before 1.18 too
            "wfplugin_product_types": dict(scenario.product_types),
            "wfplugin_allow_removing_all": True,
        },
    )
    return produce_migrations(context, sa.MetaData())


def check_round_trip(
    scenario: Scenario, connection: sa.Connection, registry: MutableMapping[str, Any], package: str
) -> None:
    lazy = compat._module("workflows").LazyWorkflowInstance
    for name in NAMES:
        registry.pop(name, None)
    for name, target in scenario.code:
        lazy(f"{package}.{name}_{target.lower()}", name)
    transaction = connection.begin()
    try:
        set_up(connection, scenario)
        before = snapshot(connection)
        script = autogenerate(connection, scenario)
        upgrade = render_python_code(script.upgrade_ops)
        downgrade = render_python_code(script.downgrade_ops)
        if currently_in_test_context():
            note(f"upgrade():\n{upgrade}\ndowngrade():\n{downgrade}")
        run_rendered(upgrade, connection)
        again = autogenerate(connection, scenario)
        assert again.upgrade_ops.is_empty(), f"second autogenerate not empty: {again.upgrade_ops.as_diffs()}"
        run_rendered(downgrade, connection)
        assert snapshot(connection) == before
    finally:
        transaction.rollback()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("WFPLUGIN_ROUND_TRIP_RANDOM") is None,  # same examples on every CI run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_round_trip(
    scenario: Scenario, connection: sa.Connection, registry: MutableMapping[str, Any], workflow_modules: str
) -> None:
    check_round_trip(scenario, connection, registry, workflow_modules)


REPLAY: list[Scenario] = [
    # Paste a failing Scenario(...) here to replay it.
    # Found by the property: unlinking a mapped workflow left "User internal" without workflows, and the
    # next autogenerate linked it to modify_alpha (no fixed point).
    Scenario(
        products=(("Alpha 0", "Alpha", "ALPHA_0"),),
        rows=(
            Row("create_alpha", "CREATE", False, ""),
            Row("modify_alpha", "CREATE", False, "", products=("Alpha 0", "User Group", "User external")),
            Row("terminate_alpha", "CREATE", False, "", products=("Alpha 0", "User Group", "User internal")),
        ),
        code=(("create_alpha", "CREATE"), ("modify_alpha", "CREATE"), ("terminate_alpha", "CREATE")),
        product_types={"terminate_alpha": ("Alpha",)},
    ),
    Scenario(
        products=(("Alpha 0", "Alpha", "ALPHA_0"), ("Alpha 1", "Alpha", "ALPHA_1")),
        rows=(
            Row("modify_alpha", "SYSTEM", True, 'it\'s "odd"', deleted=True, products=("Alpha 0",), processes=1),
            Row("terminate_alpha", "TERMINATE", False, "t", products=("Alpha 0", "User internal"), processes=2),
            Row("task_gamma", "SYSTEM", True, "g"),
        ),
        code=(("modify_alpha", "MODIFY"), ("create_alpha", "CREATE"), ("validate_beta", "VALIDATE")),
        product_types={"create_alpha": ("Alpha:ALPHA_1",), "validate_beta": ("User", "Alpha")},
    ),
]


@pytest.mark.parametrize("scenario", REPLAY)
def test_replay(
    scenario: Scenario, connection: sa.Connection, registry: MutableMapping[str, Any], workflow_modules: str
) -> None:
    check_round_trip(scenario, connection, registry, workflow_modules)


def test_property_finds_a_broken_downgrade(
    connection: sa.Connection, registry: MutableMapping[str, Any], workflow_modules: str, monkeypatch: Any
) -> None:
    """The property can fail: with the restore of soft-deleted rows broken, the replay example fails."""
    from alembic_wfplugin import ops

    def reverse_forgetting_deleted_at(self: ops.UpdateWorkflowOp) -> ops.UpdateWorkflowOp:
        return ops.UpdateWorkflowOp(
            self.name, [ColumnChange(c.column, c.new, c.old) for c in self.changes if c.column != "deleted_at"]
        )

    monkeypatch.setattr(ops.UpdateWorkflowOp, "reverse", reverse_forgetting_deleted_at)
    with pytest.raises(AssertionError):
        check_round_trip(REPLAY[1], connection, registry, workflow_modules)
