"""Workflow changes -> Python source for the revision file.

Generated revisions are plain SQL run through SQLAlchemy: they import nothing from alembic_wfplugin and
nothing from orchestrator-core, so they keep working after the plugin is uninstalled and after
orchestrator-core moves its modules (4.x -> 5.x). Each kind of operation renders as a list of end
states in upgrade() or downgrade(), one per workflow with its reason as a comment, and one call of a
module-level function (written once per file, its SQL as constants above it) that reaches each end
state from whatever this database holds, or stops the upgrade with a clear error (PostgreSQL then
rolls the whole upgrade back). Every string from the code or the database goes through ``py_str``, so it is a
literal that cannot break out, and travels to SQL as a bound parameter; the layout is the one
``ruff format`` produces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from alembic_wfplugin.pysource import (
    CONSTANTS,
    INDENT,
    Function,
    Params,
    Sql,
    block_source,
    define,
    dict_literal,
    entry_literal,
    stop_if_source,
)
from alembic_wfplugin.workflows.changes import (
    AddWorkflow,
    LinkProducts,
    RenameWorkflow,
    RetireWorkflow,
    UnlinkProducts,
    UpdateWorkflow,
    WorkflowChange,
)
from alembic_wfplugin.workflows.defined import HAS_SCHEDULES
from alembic_wfplugin.workflows.model import WorkflowSpec
from alembic_wfplugin.workflows.ops import WorkflowOps

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


def _reason(change: WorkflowChange) -> str:
    """A downgrade's reasons ("undoes: ...") are not shown: its header says it."""
    return "" if change.undoes else change.reason


def _undoing(changes: Sequence[WorkflowChange], header: str) -> list[str]:
    return [header] if changes[0].undoes else []


ADD_COMMENT = """\
# Each workflow made live whatever its row's state in this database: inserted, or a soft-deleted row
# brought back (its workflow_id, processes and description kept); then linked to exactly the products
# its entry names, picked when the revision runs (every product; every product of "product_types"; of
# "tagged_product_types" with the tag at the same position in "tags"; "products" by name). Links to
# products in "kept_links" (wfplugin_products_linked_by_hand) are left as they are. A product it names
# that this database lacks stops the upgrade before anything changes."""

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


# What an added workflow's entry leaves out: its links and options as they mostly are.
ADD_DEFAULTS: Params = {
    "overwrite_description": False,
    "every_product": False,
    "product_types": [],
    "tagged_product_types": [],
    "tags": [],
    "products": [],
    "kept_links": [],
}


def add_entry(spec: WorkflowSpec) -> str:
    links = spec.links
    values: Params = {
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
    return entry_literal({key: value for key, value in values.items() if ADD_DEFAULTS.get(key, ...) != value})


def render_adds(changes: Sequence[AddWorkflow], imports: set[str]) -> list[str]:
    sql = Sql()
    check = [
        "lacking = []",
        "for workflow in entries:\n"
        + INDENT
        + "result = "
        + sql.run("LACKING_PRODUCTS", LACKING_PRODUCTS, "workflow")
        + "\n"
        + INDENT
        + "for wanted in result.scalars():\n"
        + INDENT * 2
        + "lacking.append(f\"{workflow['name']}: {wanted}\")",
        stop_if_source(
            "lacking",
            '"Workflows cannot be linked as the code says; this database has no "\n'
            + INDENT * 2
            + "f\"product of {'; '.join(lacking)}. Run the migration that adds \"\n"
            + INDENT * 2
            + '"those products first (this whole upgrade is rolled back)."',
        ),
    ]
    loop = [
        sql.run("MAKE_LIVE", MAKE_LIVE, "workflow"),
        sql.run("UNLINK_ALL_BUT_KEPT", UNLINK_ALL_BUT_KEPT, "workflow"),
        sql.run("LINK_WANTED", LINK_WANTED, "workflow"),
    ]
    define(
        imports,
        "ADD_DEFAULTS",
        "\n# What an added workflow's entry leaves out.\nADD_DEFAULTS = " + dict_literal(ADD_DEFAULTS),
        CONSTANTS,
    )
    check.insert(0, "entries = [{**ADD_DEFAULTS, **workflow} for workflow in entries]")
    function = Function("add_workflows", [ADD_COMMENT], "workflow", loop, sql, before=check)
    header = _undoing(changes, "# Workflows the upgrade retired, made live again.")
    return block_source(
        imports, function, "added", header, [(_reason(change), add_entry(change.spec)) for change in changes]
    )


RENAME_COMMENT = """\
# Each workflow renamed in place (wfplugin_renames), where this database has a row under the old name
# and none under the new: the row keeps its workflow_id, processes, product links and schedules ("soft_delete":
# soft-deleted as well, as the row was). Elsewhere nothing is renamed; the blocks below then make the
# new name what the code says."""

RENAME = """
UPDATE workflows
SET name = :new, deleted_at = CASE WHEN :soft_delete THEN now() ELSE deleted_at END
WHERE name = :old AND NOT EXISTS (SELECT 1 FROM workflows WHERE name = :new)
"""


def render_renames(changes: Sequence[RenameWorkflow], imports: set[str]) -> list[str]:
    entries = [
        (_reason(change), entry_literal({"old": change.old, "new": change.name, "soft_delete": change.soft_delete}))
        for change in changes
    ]
    sql = Sql()
    loop = [sql.run("RENAME", RENAME, "workflow")]
    function = Function("rename_workflows", [RENAME_COMMENT], "workflow", loop, sql)
    header = _undoing(changes, "# Workflows the upgrade renamed, back to their old names.")
    return block_source(imports, function, "renamed", header, entries)


RETIRE_COMMENT = """\
# Each workflow retired: deleted if it never ran, else soft-deleted (deleted_at = now(), as
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


def render_retires(changes: Sequence[RetireWorkflow], imports: set[str]) -> list[str]:
    entries = [(_reason(change), entry_literal({"name": change.name})) for change in changes]
    sql = Sql()
    has_schedules = ["has_schedules = " + sql.run("HAS_SCHEDULES", HAS_SCHEDULES, "{}") + ".scalar()"]
    schedules = (
        "if has_schedules:\n"
        + INDENT
        + sql.run("DELETE_SCHEDULES", DELETE_SCHEDULES, "workflow")
        + "\n"
        + INDENT
        + sql.run("UNLINK_SCHEDULES", UNLINK_SCHEDULES, "workflow")
    )
    loop = [
        schedules,
        sql.run("DELETE_UNUSED", DELETE_UNUSED, "workflow"),
        sql.run("SOFT_DELETE", SOFT_DELETE, "workflow"),
    ]
    function = Function("retire_workflows", [RETIRE_COMMENT], "workflow", loop, sql, before=has_schedules)
    header = _undoing(changes, "# Workflows the upgrade added, retired again.")
    return block_source(imports, function, "retired", header, entries)


UPDATE_LIVE = """
UPDATE workflows
SET target = coalesce(:target, target), is_task = coalesce(:is_task, is_task),
description = coalesce(:description, description)
WHERE name = :name AND deleted_at IS NULL
"""


def render_updates(changes: Sequence[UpdateWorkflow], imports: set[str]) -> list[str]:
    entries = [
        (
            _reason(change),
            entry_literal(
                {
                    "name": change.name,
                    "target": change.new_value("target"),
                    "is_task": change.new_value("is_task"),
                    "description": change.new_value("description"),
                }
            ),
        )
        for change in changes
    ]
    sql = Sql()
    loop = [
        "result = " + sql.run("UPDATE_LIVE", UPDATE_LIVE, "workflow"),
        stop_if_source(
            "result.rowcount != 1",
            "f\"Workflow {workflow['name']!r} has no live row in this database, so it cannot be updated; \"\n"
            + INDENT * 2
            + '"bring this database to the previous revision\'s state first."',
        ),
    ]
    comment = ["# The columns of each live workflow that its entry gives (None: unchanged)."]
    header = _undoing(changes, "# Columns the upgrade changed, set back.")
    function = Function("update_workflows", comment, "workflow", loop, sql)
    return block_source(imports, function, "updated", header, entries)


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


def _link_entries(changes: Sequence[LinkProducts | UnlinkProducts]) -> list[tuple[str, str]]:
    return [
        (_reason(change), entry_literal({"name": change.name, "products": list(change.products)})) for change in changes
    ]


def render_links(changes: Sequence[LinkProducts], imports: set[str]) -> list[str]:
    sql = Sql()
    loop = [
        "result = " + sql.run("LACKING_FOR_LINK", LACKING_FOR_LINK, "link"),
        "lacking = list(result.scalars())",
        stop_if_source(
            "lacking",
            "f\"Cannot link workflow {link['name']!r} to {link['products']}: \"\n"
            + INDENT * 2
            + "f\"this database has no {', '.join(lacking)}. \"\n"
            + INDENT * 2
            + '"Bring it to the previous revision\'s state first."',
        ),
        sql.run("LINK_BY_NAME", LINK_BY_NAME, "link"),
    ]
    comment = ["# Each live workflow linked to the products its entry names."]
    function = Function("link_workflows", comment, "link", loop, sql)
    header = _undoing(changes, "# Product links the upgrade removed, added back.")
    return block_source(imports, function, "linked", header, _link_entries(changes))


def render_unlinks(changes: Sequence[UnlinkProducts], imports: set[str]) -> list[str]:
    sql = Sql()
    loop = [sql.run("UNLINK_BY_NAME", UNLINK_BY_NAME, "link")]
    comment = ["# Each workflow unlinked from the products its entry names."]
    function = Function("unlink_workflows", comment, "link", loop, sql)
    header = _undoing(changes, "# Product links the upgrade added, removed.")
    return block_source(imports, function, "unlinked", header, _link_entries(changes))


def render_workflow_ops(autogen_context: AutogenContext, container: WorkflowOps) -> list[str]:
    # sqlalchemy is imported as ``sa`` by both alembic's and orchestrator-core's revision templates.
    lines: list[str] = []
    for kind, run in groupby(container.changes, key=type):  # each run of one kind: one list and one call
        lines += RENDERERS[kind](list(run), autogen_context.imports)
    return lines


RENDERERS: dict[type[WorkflowChange], Callable[[list, set[str]], list[str]]] = {  # type: ignore[type-arg]
    RenameWorkflow: render_renames,
    RetireWorkflow: render_retires,
    AddWorkflow: render_adds,
    UpdateWorkflow: render_updates,
    LinkProducts: render_links,
    UnlinkProducts: render_unlinks,
}
