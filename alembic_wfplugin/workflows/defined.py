"""The database side: the ``workflows`` rows and the products they are linked to, in one statement (and
the scheduler jobs linked to workflows in a second, on releases that keep schedules in the database).

The database builds the whole state as one JSON text: one row to transfer and one string to parse
(``json.loads`` is C), instead of a Python row per workflow; and the text itself is what the comparison
cache fingerprints (see ``alembic_wfplugin/cache.py``), so an unchanged database is recognised without building a
Python object per row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_wfplugin.products import Product
from alembic_wfplugin.workflows.model import DatabaseState, DefinedWorkflow

# [[name, target, description, is_task, deleted, [linked products]], ...] ordered by name,
# [[name, product_type, tag, status], ...] ordered by name, and whether the schedule tables exist. A linked
# product is its position in the second list (products.name is unique): sorting and sending small integers
# is half the database's work of names.
STATE_QUERY = sa.text(
    """
    WITH numbered AS (
        SELECT product_id, name, product_type, tag, status, row_number() OVER (ORDER BY name) - 1 AS position
        FROM products
    ),
    links AS (
        SELECT pw.workflow_id, array_agg(numbered.position ORDER BY numbered.position) AS products
        FROM products_workflows AS pw JOIN numbered ON numbered.product_id = pw.product_id
        GROUP BY pw.workflow_id
    )
    SELECT json_build_array(
        (SELECT coalesce(json_agg(json_build_array(w.name, w.target, w.description, w.is_task,
                                                   w.deleted_at IS NOT NULL, coalesce(links.products, '{}'))
                                  ORDER BY w.name), '[]')
         FROM workflows AS w LEFT JOIN links ON links.workflow_id = w.workflow_id),
        (SELECT coalesce(json_agg(json_build_array(name, product_type, tag, status) ORDER BY position), '[]')
         FROM numbered),
        to_regclass('workflows_apscheduler_jobs') IS NOT NULL
    )::text
    """
)


def database_snapshot(connection: Connection, before_sending: Callable[[], None] | None = None) -> str:
    """The ``workflows`` rows, their links and the products, as the database's JSON text."""
    if before_sending is not None:
        before_sending()
    text: str = connection.execute(STATE_QUERY).scalar_one()
    if text.endswith("true]"):  # the release keeps schedules in the database (4.7+): a second, small statement
        text += "\n" + connection.execute(SCHEDULES_QUERY).scalar_one()
    return text


def parse_snapshot(snapshot: str) -> DatabaseState:
    rows: list[list[Any]]
    products_rows: list[list[Any]]
    state, _, schedules = snapshot.partition("\n")
    rows, products_rows, _has_schedules = json.loads(state)
    products = tuple(Product(*row) for row in products_rows)
    workflows = {
        name: DefinedWorkflow(
            name=name,
            target=target,
            description=description,
            is_task=is_task,
            deleted=deleted,
            products=tuple(products[position] for position in linked),
        )
        for name, target, description, is_task, deleted, linked in rows
    }
    jobs = tuple((name, job, deleted) for name, job, deleted in json.loads(schedules or "[]"))
    return DatabaseState(workflows=workflows, products=products, schedules=jobs)


# For the revisions: whether the database they run on has the schedule tables (decided at upgrade time).
HAS_SCHEDULES = "SELECT to_regclass('workflows_apscheduler_jobs') IS NOT NULL"
# [[workflow, job id, soft-deleted], ...]: scheduler jobs are few (one per schedule set up in the UI or API)
SCHEDULES_QUERY = sa.text(
    """
    SELECT coalesce(json_agg(json_build_array(w.name, j.schedule_id, w.deleted_at IS NOT NULL)
                             ORDER BY w.name, j.schedule_id), '[]')::text
    FROM workflows_apscheduler_jobs AS j JOIN workflows AS w USING (workflow_id)
    """
)
