"""The database side: the ``workflows`` rows and the products they are linked to, in two queries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.workflows.model import DatabaseState, DefinedWorkflow, Product

# Linked products come as an array of names per workflow (products.name is unique), resolved against the
# second query's products.
WORKFLOWS_QUERY = sa.text(
    """
    WITH links AS (
        SELECT pw.workflow_id, array_agg(p.name ORDER BY p.name) AS products
        FROM products_workflows AS pw JOIN products AS p ON p.product_id = pw.product_id
        GROUP BY pw.workflow_id
    )
    SELECT w.name, w.target, w.description,
           w.is_task, w.deleted_at IS NOT NULL AS deleted,
           coalesce(links.products, '{}') AS products
    FROM workflows AS w LEFT JOIN links ON links.workflow_id = w.workflow_id
    ORDER BY w.name
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

    by_name = {product.name: product for product in products}
    workflows = {
        row.name: DefinedWorkflow(
            name=row.name,
            target=row.target,
            description=row.description,
            is_task=row.is_task,
            deleted=row.deleted,
            products=tuple(by_name[name] for name in row.products),
        )
        for row in rows
    }
    return DatabaseState(workflows=workflows, products=products)
