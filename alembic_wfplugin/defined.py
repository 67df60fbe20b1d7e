"""The database side: the ``workflows`` rows and the products they are linked to, in two queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.model import DatabaseState, DefinedWorkflow, Product

# to_jsonb(w) reads is_task where the column exists (orchestrator-core 4.0 and newer) and yields NULL
# where it does not, so one statement serves every schema version.
WORKFLOWS_QUERY = sa.text(
    """
    SELECT w.name, w.target, w.description,
           to_jsonb(w) ? 'is_task' AS has_is_task,
           coalesce((to_jsonb(w) ->> 'is_task')::boolean, false) AS is_task,
           w.deleted_at,
           p.name AS product_name, p.product_type, p.tag
    FROM workflows AS w
    LEFT JOIN products_workflows AS pw ON pw.workflow_id = w.workflow_id
    LEFT JOIN products AS p ON p.product_id = pw.product_id
    ORDER BY w.name, p.name
    """
)
PRODUCTS_QUERY = sa.text("SELECT name, product_type, tag FROM products ORDER BY name")


def defined_workflows(connection: Connection) -> DatabaseState:
    if connection.dialect.name != "postgresql":
        raise WorkflowPluginError(
            f"alembic-wfplugin needs orchestrator-core's PostgreSQL database; this connection is "
            f"{connection.dialect.name!r}. Point sqlalchemy.url / DATABASE_URI at the orchestrator database."
        )
    try:
        rows = connection.execute(WORKFLOWS_QUERY).all()
        products = tuple(
            Product(name, product_type, tag) for name, product_type, tag in connection.execute(PRODUCTS_QUERY)
        )
    except sa.exc.ProgrammingError as exc:
        raise WorkflowPluginError(
            "The database has no orchestrator-core schema (tables workflows, products, products_workflows): "
            f"{str(exc.orig).splitlines()[0]}. Run `python main.py db upgrade heads` first."
        ) from exc

    linked: dict[str, list[Product]] = defaultdict(list)
    first_rows: dict[str, sa.Row[Any]] = {}
    for row in rows:
        first_rows.setdefault(row.name, row)
        if row.product_name is not None:
            linked[row.name].append(Product(row.product_name, row.product_type, row.tag))
    workflows = {
        name: DefinedWorkflow(
            name=name,
            target=row.target,
            description=row.description,
            is_task=row.is_task,
            deleted_at=None if row.deleted_at is None else row.deleted_at.isoformat(),
            products=tuple(linked[name]),
        )
        for name, row in first_rows.items()
    }
    has_is_task = all(row.has_is_task for row in first_rows.values())
    return DatabaseState(workflows=workflows, products=products, has_is_task=has_is_task)
