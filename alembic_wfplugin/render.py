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
from alembic_wfplugin.model import ProductSelector, WorkflowSpec
from alembic_wfplugin.ops import CreateWorkflowOp, DeleteWorkflowOp, WorkflowOp, WorkflowOps

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


def py_value(value: str | bool | list[str]) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_str(item) for item in value) + "]"
    return py_str(value)


def call(function: str, *arguments: str) -> str:
    """``function(arg, ...)`` exploded one argument per line, with a trailing comma."""
    body = "".join(f"{INDENT}{_indent(argument)},\n" for argument in arguments)
    return f"{function}(\n{body})"


def dict_literal(items: dict[str, str | bool | list[str]]) -> str:
    body = "".join(f"{INDENT}{py_str(key)}: {py_value(value)},\n" for key, value in items.items())
    return "{\n" + body + "}"


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)


def sql(*lines: str) -> str:
    return call("sa.text", "\n".join(py_str(line) for line in lines))


def helpers_used(ops: Iterable[WorkflowOp]) -> list[str]:
    used = set()
    for op in ops:
        used.add("delete_workflow")  # every op deletes, in one direction or the other
        if op.spec.is_plain_task:
            used.add("create_task")
        elif op.spec.selectors:
            used.add("create_workflow")
    return sorted(used)


def render_workflow_ops(autogen_context: AutogenContext, container: WorkflowOps) -> list[str]:
    # Add the same import line for upgrade() and downgrade(): every helper either direction needs.
    helpers = helpers_used(container.workflow_ops)
    autogen_context.imports.add(f"from {compat.helpers_module_path()} import {', '.join(helpers)}")
    if any(_needs_sql(op.spec) for op in container.workflow_ops):
        autogen_context.imports.add("import sqlalchemy as sa")
    return ["conn = op.get_bind()"] + [render_op(op) for op in container.workflow_ops]


def render_op(op: WorkflowOp) -> str:
    if isinstance(op, DeleteWorkflowOp):
        return f"delete_workflow(conn, {py_str(op.spec.name)})"
    return "\n".join(create_statements(op))


def _needs_sql(spec: WorkflowSpec) -> bool:
    return (len(spec.selectors) != 1 and not spec.is_plain_task) or bool(spec.product_names)


def create_statements(op: CreateWorkflowOp) -> list[str]:
    spec = op.spec
    if spec.is_plain_task:
        return [call("create_task", "conn", dict_literal({"name": spec.name, "description": spec.description}))]
    statements = []
    selectors = list(spec.selectors)
    if selectors:
        first = selectors.pop(0)
        workflow: dict[str, str | bool | list[str]] = {
            "name": spec.name,
            "target": spec.target,
            "description": spec.description,
            "product_type": first.product_type,
        }
        if first.tag is not None:
            workflow["product_tag"] = first.tag
        workflow["is_task"] = spec.is_task
        statements.append(call("create_workflow", "conn", dict_literal(workflow)))
    else:
        statements.append(insert_row(spec, has_is_task=op.has_is_task))
    statements.extend(link_selector(spec.name, selector) for selector in selectors)
    if spec.product_names:
        statements.append(link_products(spec.name, list(spec.product_names)))
    return statements


def insert_row(spec: WorkflowSpec, *, has_is_task: bool) -> str:
    """A row that no helper writes (linked to no products, or not exactly what create_task writes)."""
    columns = "name, target, is_task, description" if has_is_task else "name, target, description"
    values = ":name, :target, :is_task, :description" if has_is_task else ":name, :target, :description"
    params: dict[str, str | bool | list[str]] = {"name": spec.name, "target": spec.target}
    if has_is_task:
        params["is_task"] = spec.is_task
    params["description"] = spec.description
    return call(
        "conn.execute",
        sql(f"INSERT INTO workflows ({columns})", f" VALUES ({values})"),
        dict_literal(params),
    )


def link_selector(workflow: str, selector: ProductSelector) -> str:
    condition = " AND p.tag = :product_tag" if selector.tag is not None else ""
    params: dict[str, str | bool | list[str]] = {"workflow": workflow, "product_type": selector.product_type}
    if selector.tag is not None:
        params["product_tag"] = selector.tag
    return call(
        "conn.execute",
        sql(
            "INSERT INTO products_workflows (product_id, workflow_id)",
            " SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w",
            f" WHERE w.name = :workflow AND p.product_type = :product_type{condition}",
            " ON CONFLICT DO NOTHING",
        ),
        dict_literal(params),
    )


def link_products(workflow: str, product_names: list[str]) -> str:
    return call(
        "conn.execute",
        sql(
            "INSERT INTO products_workflows (product_id, workflow_id)",
            " SELECT p.product_id, w.workflow_id FROM products AS p, workflows AS w",
            " WHERE w.name = :workflow AND p.name = ANY(:products)",
            " ON CONFLICT DO NOTHING",
        ),
        dict_literal({"workflow": workflow, "products": product_names}),
    )
