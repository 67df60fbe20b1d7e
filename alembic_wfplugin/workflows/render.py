"""Operations -> Python source for the revision file.

Generated revisions are plain SQL run through SQLAlchemy: they import nothing from alembic_wfplugin and
nothing from orchestrator-core, so they keep working after the plugin is uninstalled and after
orchestrator-core moves its modules (4.x -> 5.x). Each kind of operation renders as one block: a list
of end states, one per workflow with its reason as a comment, and a loop that reaches each end state
from whatever this database holds, or stops the upgrade with a clear error (PostgreSQL then rolls the
whole upgrade back). Every string from the code or the database goes through ``py_str``, so it is a
literal that cannot break out, and travels to SQL as a bound parameter; the layout is the one
``ruff format`` produces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from alembic_wfplugin.pysource import (
    INDENT,
    block_source,
    call_source,
    dict_literal,
    execute_source,
    indent,
    stop_if_source,
)
from alembic_wfplugin.workflows.defined import HAS_SCHEDULES
from alembic_wfplugin.workflows.model import WorkflowSpec
from alembic_wfplugin.workflows.ops import (
    AddWorkflowOp,
    LinkProductsOp,
    RenameWorkflowOp,
    RetireWorkflowOp,
    UnlinkProductsOp,
    UpdateWorkflowOp,
    WorkflowOp,
    WorkflowOps,
)

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

ADD_COMMENT = """\
# Workflows the code declares, made live whatever their row's state in this database: inserted, or a
# soft-deleted row brought back (its workflow_id, processes and description kept); then linked to
# exactly the products named below, picked when the revision runs (every product; every product of
# "product_types"; of "tagged_product_types" with the tag at the same position in "tags"; "products"
# by name). Links to products in "kept_links" (wfplugin_products_linked_by_hand) are left as they are."""

LACKING_PRODUCTS = """
SELECT 'product type ' || wanted FROM unnest(CAST(:product_types AS text[])) AS wanted
WHERE NOT EXISTS (SELECT 1 FROM products WHERE product_type = wanted)
UNION ALL
SELECT 'product type ' || wanted.product_type || ' with tag ' || wanted.tag
FROM unnest(CAST(:tagged_product_types AS text[]), CAST(:tags AS text[])) AS wanted (product_type, tag)
WHERE NOT EXISTS (SELECT 1 FROM products AS p WHERE p.product_type = wanted.product_type AND p.tag = wanted.tag)
UNION ALL
SELECT 'product ' || wanted FROM unnest(CAST(:products AS text[])) AS wanted
WHERE NOT EXISTS (SELECT 1 FROM products WHERE name = wanted)
"""

MAKE_LIVE = """
INSERT INTO workflows (name, target, is_task, description)
VALUES (:name, :target, :is_task, :description)
ON CONFLICT (name) DO UPDATE
SET target = excluded.target, is_task = excluded.is_task, deleted_at = NULL,
description = CASE WHEN :overwrite_description THEN excluded.description ELSE workflows.description END
"""

UNLINK_ALL_BUT_KEPT = """
DELETE FROM products_workflows
WHERE workflow_id = (SELECT workflow_id FROM workflows WHERE name = :name)
AND product_id NOT IN (SELECT product_id FROM products WHERE name = ANY(CAST(:kept_links AS text[])))
"""

LINK_WANTED = """
INSERT INTO products_workflows (product_id, workflow_id)
SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w
WHERE w.name = :name AND p.name <> ALL(CAST(:kept_links AS text[]))
AND (
:every_product
OR p.product_type = ANY(CAST(:product_types AS text[]))
OR (p.product_type, p.tag) IN (
SELECT * FROM unnest(CAST(:tagged_product_types AS text[]), CAST(:tags AS text[]))
)
OR p.name = ANY(CAST(:products AS text[]))
)
ON CONFLICT DO NOTHING
"""


def add_entry(spec: WorkflowSpec) -> str:
    links = spec.links
    return dict_literal(
        {
            "name": spec.name,
            "target": spec.target,
            "is_task": spec.is_task,
            "description": spec.description,
            "overwrite_description": spec.overwrite_description,
            "every_product": links.every_product,
            "product_types": [s.product_type for s in links.selectors if s.tag is None],
            # each product type here with the tag at the same position
            "tagged_product_types": [s.product_type for s in links.selectors if s.tag is not None],
            "tags": [s.tag for s in links.selectors if s.tag is not None],
            "products": list(links.products),
            "kept_links": list(spec.kept_links),
        }
    )


def render_adds(ops: Sequence[AddWorkflowOp]) -> list[str]:
    lines = block_source(
        "added",
        [ADD_COMMENT],
        [(op.reason, add_entry(op.spec)) for op in ops],
        [
            execute_source(MAKE_LIVE, "workflow"),
            execute_source(UNLINK_ALL_BUT_KEPT, "workflow"),
            execute_source(LINK_WANTED, "workflow"),
        ],
        "workflow",
    )
    check = [
        "lacking = []",
        "for workflow in added:\n"
        + INDENT
        + indent("result = " + execute_source(LACKING_PRODUCTS, "workflow"))
        + "\n"
        + INDENT
        + "for wanted in result.scalars():\n"
        + INDENT * 2
        + "lacking.append(f\"{workflow['name']}: {wanted}\")",
        stop_if_source(
            "lacking",
            '"Workflows cannot be linked as the code says; this database has no product of "\n'
            + INDENT * 2
            + '+ "; ".join(lacking)\n'
            + INDENT * 2
            + '+ ". Run the migration that adds those products first (this whole upgrade is rolled back)."',
        ),
    ]
    # the check runs after the list and before the loop that changes anything
    return [*lines[:-1], *check, lines[-1]]


RENAME_COMMENT = """\
# Workflows renamed in place (wfplugin_renames), where this database has a row under the old name and
# none under the new: the row keeps its workflow_id, processes, product links and schedules ("soft_delete":
# soft-deleted as well, as the row was). Elsewhere nothing is renamed; the blocks below then make the
# new name what the code says."""

RENAME = """
UPDATE workflows
SET name = :new, deleted_at = CASE WHEN :soft_delete THEN now() ELSE deleted_at END
WHERE name = :old AND NOT EXISTS (SELECT 1 FROM workflows WHERE name = :new)
"""


def render_renames(ops: Sequence[RenameWorkflowOp]) -> list[str]:
    entries = [(op.reason, dict_literal({"old": op.old, "new": op.name, "soft_delete": op.soft_delete})) for op in ops]
    return block_source("renamed", [RENAME_COMMENT], entries, [execute_source(RENAME, "workflow")], "workflow")


RETIRE_COMMENT = """\
# Retired workflows: each is deleted if it never ran, else soft-deleted (deleted_at = now(), as
# orchestrator-core does) so that its processes keep their history. Its scheduler jobs go first (where
# this release of orchestrator-core has them: 4.7+), so that none starts a workflow that is gone; a
# downgrade does not bring them back (a job linked to another workflow too only loses this link)."""

DELETE_SCHEDULES = """
DELETE FROM apscheduler_jobs
WHERE id IN (
SELECT schedule_id FROM workflows_apscheduler_jobs
WHERE workflow_id = (SELECT workflow_id FROM workflows WHERE name = :name)
)
AND NOT EXISTS (
SELECT 1 FROM workflows_apscheduler_jobs AS other
WHERE other.schedule_id = apscheduler_jobs.id
AND other.workflow_id <> (SELECT workflow_id FROM workflows WHERE name = :name)
)
"""

UNLINK_SCHEDULES = """
DELETE FROM workflows_apscheduler_jobs
WHERE workflow_id = (SELECT workflow_id FROM workflows WHERE name = :name)
"""

DELETE_UNUSED = """
DELETE FROM workflows WHERE name = :name
AND NOT EXISTS (SELECT 1 FROM processes WHERE processes.workflow_id = workflows.workflow_id)
"""

SOFT_DELETE = """
UPDATE workflows SET deleted_at = now()
WHERE name = :name AND deleted_at IS NULL
"""


def render_retires(ops: Sequence[RetireWorkflowOp]) -> list[str]:
    entries = [(op.reason, dict_literal({"name": op.name})) for op in ops]
    schedules = (
        "if has_schedules:\n"
        + INDENT
        + indent(execute_source(DELETE_SCHEDULES, "workflow"))
        + "\n"
        + INDENT
        + indent(execute_source(UNLINK_SCHEDULES, "workflow"))
    )
    loop = [schedules, execute_source(DELETE_UNUSED, "workflow"), execute_source(SOFT_DELETE, "workflow")]
    lines = block_source("retired", [RETIRE_COMMENT], entries, loop, "workflow")
    sql = '"""\n' + HAS_SCHEDULES + '\n"""'
    has_schedules = [
        "result = " + call_source("conn.execute", call_source("sa.text", sql)),
        "has_schedules = result.scalar()",
    ]
    return [*lines[:-1], *has_schedules, lines[-1]]


UPDATE_LIVE = """
UPDATE workflows
SET target = coalesce(:target, target), is_task = coalesce(:is_task, is_task),
description = coalesce(:description, description)
WHERE name = :name AND deleted_at IS NULL
"""


def render_updates(ops: Sequence[UpdateWorkflowOp]) -> list[str]:
    entries = [
        (
            op.reason,
            dict_literal(
                {
                    "name": op.name,
                    "target": op.new_value("target"),
                    "is_task": op.new_value("is_task"),
                    "description": op.new_value("description"),
                }
            ),
        )
        for op in ops
    ]
    loop = [
        "result = " + execute_source(UPDATE_LIVE, "workflow"),
        stop_if_source(
            "result.rowcount != 1",
            "f\"Workflow {workflow['name']!r} has no live row in this database, so it cannot be updated; \"\n"
            + INDENT * 2
            + '"bring this database to the previous revision\'s state first."',
        ),
    ]
    return block_source(
        "updated",
        ["# Columns of live workflows that differ from the code (None: unchanged)."],
        entries,
        loop,
        "workflow",
    )


LACKING_FOR_LINK = """
SELECT 'live workflow ' || CAST(:name AS text)
WHERE NOT EXISTS (SELECT 1 FROM workflows WHERE name = :name AND deleted_at IS NULL)
UNION ALL
SELECT 'product ' || wanted FROM unnest(CAST(:products AS text[])) AS wanted
WHERE NOT EXISTS (SELECT 1 FROM products WHERE name = wanted)
"""

LINK_BY_NAME = """
INSERT INTO products_workflows (product_id, workflow_id)
SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w
WHERE w.name = :name AND p.name = ANY(CAST(:products AS text[]))
ON CONFLICT DO NOTHING
"""

UNLINK_BY_NAME = """
DELETE FROM products_workflows
WHERE workflow_id = (SELECT workflow_id FROM workflows WHERE name = :name)
AND product_id IN (SELECT product_id FROM products WHERE name = ANY(CAST(:products AS text[])))
"""


def _link_entries(ops: Sequence[LinkProductsOp | UnlinkProductsOp]) -> list[tuple[str, str]]:
    return [(op.reason, dict_literal({"name": op.name, "products": list(op.products)})) for op in ops]


def render_links(ops: Sequence[LinkProductsOp]) -> list[str]:
    loop = [
        "result = " + execute_source(LACKING_FOR_LINK, "link"),
        "lacking = list(result.scalars())",
        stop_if_source(
            "lacking",
            "f\"Cannot link workflow {link['name']!r} to {link['products']}: this database has no \"\n"
            + INDENT * 2
            + "f\"{', '.join(lacking)}. Bring it to the previous revision's state first.\"",
        ),
        execute_source(LINK_BY_NAME, "link"),
    ]
    return block_source(
        "linked", ["# Products to link to live workflows, by product name."], _link_entries(ops), loop, "link"
    )


def render_unlinks(ops: Sequence[UnlinkProductsOp]) -> list[str]:
    loop = [execute_source(UNLINK_BY_NAME, "link")]
    header = ["# Products to unlink from workflows, by product name."]
    return block_source("unlinked", header, _link_entries(ops), loop, "link")


def render_workflow_ops(autogen_context: AutogenContext, container: WorkflowOps) -> list[str]:
    # sqlalchemy is imported as ``sa`` by both alembic's and orchestrator-core's revision templates.
    lines = ["conn = op.get_bind()"]
    ops = container.workflow_ops
    index = 0
    while index < len(ops):
        kind = type(ops[index])
        run = []
        while index < len(ops) and type(ops[index]) is kind:
            run.append(ops[index])
            index += 1
        lines += RENDERERS[kind](run)
    return lines


RENDERERS: dict[type[WorkflowOp], Callable[[list], list[str]]] = {  # type: ignore[type-arg]
    RenameWorkflowOp: render_renames,
    RetireWorkflowOp: render_retires,
    AddWorkflowOp: render_adds,
    UpdateWorkflowOp: render_updates,
    LinkProductsOp: render_links,
    UnlinkProductsOp: render_unlinks,
}
