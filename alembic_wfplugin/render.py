"""Operations -> Python source for the revision file.

The source calls orchestrator-core's own migration helpers, imported from the installed
orchestrator-core, and imports nothing from alembic_wfplugin: revisions keep working after the plugin
is uninstalled. Every string from the code or the database goes through ``py_str``, so it is a literal
that cannot break out, and the layout is the one ``ruff format`` produces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from alembic_wfplugin import compat
from alembic_wfplugin.model import ProductSelector, Value, WorkflowSpec
from alembic_wfplugin.ops import (
    CreateWorkflowOp,
    DeleteWorkflowOp,
    LinkProductsOp,
    UnlinkProductsOp,
    UpdateWorkflowOp,
    WorkflowOp,
    WorkflowOps,
)

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

INDENT = "    "


def py_str(text: str) -> str:
    """A Python string literal for ``text`` in the quote style ``ruff format`` keeps: double quotes
    unless that needs more escapes; control and non-printable characters escaped."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return quote + "".join(out) + quote


class Code(str):
    """A Python expression, rendered as is (a name the generated code defines)."""


def py_value(value: Value | list[str]) -> str:
    if isinstance(value, Code):
        return value
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list):
        # exploded with a trailing comma, so ruff keeps the layout whatever the line length
        return "[\n" + "".join(f"{INDENT}{py_str(item)},\n" for item in value) + "]"
    return py_str(value)


Params = dict[str, Value | list[str]]


def call(function: str, *arguments: str) -> str:
    """``function(arg, ...)`` exploded one argument per line, with a trailing comma."""
    body = "".join(f"{INDENT}{_indent(argument)},\n" for argument in arguments)
    return f"{function}(\n{body})"


def dict_literal(items: Params) -> str:
    body = "".join(f"{INDENT}{py_str(key)}: {_indent(py_value(value))},\n" for key, value in items.items())
    return "{\n" + body + "}"


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)


def execute(statement: list[str], params: Params) -> str:
    """``conn.execute(sa.text(...), {...})``. The statement is our own fixed SQL (strings from the code or
    the database only ever travel as bound parameters), written as a triple-quoted literal: ruff never
    reflows one, so the layout holds whatever the project's line length."""
    sql = '"""\n' + "\n".join(line.strip() for line in statement) + '\n"""'
    return call("conn.execute", call("sa.text", sql), dict_literal(params))


RETIRE_COMMENT = """\
# Retired workflows: each is deleted if it never ran, else soft-deleted (deleted_at = now(), as
# orchestrator-core does) so that its processes keep their history. Schedules: a delete also drops
# the workflow's workflows_apscheduler_jobs rows (cascade), a soft-delete keeps them; neither removes
# the scheduler's job (apscheduler_jobs): remove schedules of retired workflows in the UI or API."""


def helpers_used(ops: Iterable[WorkflowOp]) -> list[str]:
    used = set()
    for op in ops:
        if isinstance(op, CreateWorkflowOp | DeleteWorkflowOp):  # a delete's reverse creates
            if op.spec.is_plain_task:
                used.add("create_task")
            elif creates_with_helper(op.spec):
                used.add("create_workflow")
    return sorted(used)


def render_workflow_ops(autogen_context: AutogenContext, container: WorkflowOps) -> list[str]:
    # The same import line for upgrade() and downgrade(): every helper that either direction calls.
    # sqlalchemy is imported as ``sa`` by both alembic's and orchestrator-core's revision templates.
    helpers = helpers_used(container.workflow_ops)
    if helpers:
        autogen_context.imports.add(f"from {compat.helpers_module_path()} import {', '.join(helpers)}")
    lines = ["conn = op.get_bind()"]
    retired: list[str] = []
    for op in container.workflow_ops:
        if isinstance(op, DeleteWorkflowOp):
            retired.append(op.spec.name)
            continue
        if retired:
            lines.append(retire(retired))
            retired = []
        lines.append(render_op(op))
    if retired:
        lines.append(retire(retired))
    return lines


def retire(names: list[str]) -> str:
    """Delete or soft-delete, decided per workflow when the revision runs: a revision generated on a
    developer's database may run where the workflow has processes, which reference it without cascade."""
    return "\n".join(
        [
            RETIRE_COMMENT,
            f"retired = {py_value(names)}",
            execute(
                [
                    "DELETE FROM workflows WHERE name = ANY(:names)",
                    " AND NOT EXISTS (SELECT 1 FROM processes WHERE processes.workflow_id = workflows.workflow_id)",
                ],
                {"names": Code("retired")},
            ),
            execute(
                ["UPDATE workflows SET deleted_at = now()", " WHERE name = ANY(:names) AND deleted_at IS NULL"],
                {"names": Code("retired")},
            ),
        ]
    )


def render_op(op: WorkflowOp) -> str:
    if isinstance(op, CreateWorkflowOp):
        return "\n".join(create_statements(op))
    if isinstance(op, UpdateWorkflowOp):
        return update_statement(op)
    if isinstance(op, LinkProductsOp):
        return link_products(op.workflow, list(op.products))
    if isinstance(op, UnlinkProductsOp):
        return unlink_products(op.workflow, list(op.products))
    return retire([op.spec.name])


def creates_with_helper(spec: WorkflowSpec) -> bool:
    """``create_workflow`` writes the row and links its first selector's products; it narrows by tag
    only in orchestrator-core releases whose helper takes ``product_tag``."""
    return bool(spec.selectors) and (spec.selectors[0].tag is None or compat.create_workflow_takes_product_tag())


def create_statements(op: CreateWorkflowOp) -> list[str]:
    spec = op.spec
    statements = []
    if op.restore:
        statements.append(
            execute(["UPDATE workflows SET deleted_at = NULL", " WHERE name = :name"], {"name": spec.name})
        )
    if spec.is_plain_task:
        statements.append(
            call("create_task", "conn", dict_literal({"name": spec.name, "description": spec.description}))
        )
        return statements
    selectors = list(spec.selectors)
    if creates_with_helper(spec):
        first = selectors.pop(0)
        workflow: Params = {
            "name": spec.name,
            "target": spec.target,
            "description": spec.description,
            "product_type": first.product_type,
        }
        if first.tag is not None:
            workflow["product_tag"] = first.tag
        workflow["is_task"] = spec.is_task
        statements.append(call("create_workflow", "conn", dict_literal(workflow)))
    else:  # no product type, or a tag the installed create_workflow cannot narrow by
        statements.append(insert_row(spec, has_is_task=op.has_is_task))
    statements.extend(link_selector(spec.name, selector) for selector in selectors)
    if spec.product_names:
        statements.append(link_products(spec.name, list(spec.product_names)))
    return statements


def insert_row(spec: WorkflowSpec, *, has_is_task: bool) -> str:
    """A row that no helper writes (linked to no products, or not exactly what create_task writes)."""
    columns = "name, target, is_task, description" if has_is_task else "name, target, description"
    values = ":name, :target, :is_task, :description" if has_is_task else ":name, :target, :description"
    params: Params = {"name": spec.name, "target": spec.target}
    if has_is_task:
        params["is_task"] = spec.is_task
    params["description"] = spec.description
    return execute(
        [f"INSERT INTO workflows ({columns})", f" VALUES ({values})", " ON CONFLICT (name) DO NOTHING"], params
    )


def update_statement(op: UpdateWorkflowOp) -> str:
    assignments = [
        f"{c.column} = CAST(:{c.column} AS timestamptz)" if c.column == "deleted_at" else f"{c.column} = :{c.column}"
        for c in op.changes
    ]
    params: Params = {"name": op.name}
    params.update({c.column: c.new for c in op.changes})
    return execute([f"UPDATE workflows SET {', '.join(assignments)}", " WHERE name = :name"], params)


def link_selector(workflow: str, selector: ProductSelector) -> str:
    condition = " AND p.tag = :product_tag" if selector.tag is not None else ""
    params: Params = {"workflow": workflow, "product_type": selector.product_type}
    if selector.tag is not None:
        params["product_tag"] = selector.tag
    return execute(
        [
            "INSERT INTO products_workflows (product_id, workflow_id)",
            " SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w",
            f" WHERE w.name = :workflow AND p.product_type = :product_type{condition}",
            " ON CONFLICT DO NOTHING",
        ],
        params,
    )


def link_products(workflow: str, product_names: list[str]) -> str:
    return execute(
        [
            "INSERT INTO products_workflows (product_id, workflow_id)",
            " SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w",
            " WHERE w.name = :workflow AND p.name = ANY(:products)",
            " ON CONFLICT DO NOTHING",
        ],
        {"workflow": workflow, "products": product_names},
    )


def unlink_products(workflow: str, product_names: list[str]) -> str:
    return execute(
        [
            "DELETE FROM products_workflows",
            " WHERE workflow_id = (SELECT workflow_id FROM workflows WHERE name = :workflow)",
            " AND product_id IN (SELECT product_id FROM products WHERE name = ANY(:products))",
        ],
        {"workflow": workflow, "products": product_names},
    )
