"""Run revision code that alembic's renderer produced, in-process, on a real connection: the body of an
``upgrade()`` or ``downgrade()`` with only ``op`` and ``sa`` in scope, as the revision template provides
them. Generated revisions are plain SQL: they import nothing, neither orchestrator-core nor the plugin."""

from __future__ import annotations

import ast
import builtins
import shutil
import subprocess
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import render
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import DowngradeOps, UpgradeOps
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine.default import DefaultDialect

# Every call the renderer writes other than to the revision's own functions, and nothing else: no
# orchestrator-core helper, no import, no eval.
GENERATED_CALLS = frozenset(
    {
        "op.get_bind",
        "conn.execute",
        "sa.text",
        "list",
        "RuntimeError",
        "result.scalars",
        "conn.execute().scalar",
        "lacking.append",
        "'; '.join",
        "', '.join",
        "entry.get",
        "kind['in_use'].format",
    }
)
OPTS = {
    "sqlalchemy_module_prefix": "sa.",
    "alembic_module_prefix": "op.",
    "render_item": None,
    "render_as_batch": False,
    "user_module_prefix": None,
}


def rendered(ops: UpgradeOps | DowngradeOps) -> str:
    """What alembic writes for ``ops`` into a revision file from ``${imports}`` on: the module-level code
    (functions that hold the fixed SQL, handed to alembic as imports) and ``def upgrade()`` with the body."""
    context = AutogenContext(MigrationContext.configure(dialect=DefaultDialect()), opts=OPTS)
    body = render._indent(render._render_cmd_body(ops, context))
    module_code = "\n".join(sorted(context.imports)).strip("\n")
    return (module_code + "\n\n\n" if module_code else "") + f"def upgrade() -> None:\n    {body}\n"


def rendered_revision(upgrade_ops: UpgradeOps) -> str:
    """The revision file alembic writes for ``upgrade_ops`` from ``${imports}`` on, as orchestrator-core's
    template lays it out: the module-level code, ``revision``, ``upgrade()`` and ``downgrade()``."""
    context = AutogenContext(MigrationContext.configure(dialect=DefaultDialect()), opts=OPTS)
    upgrade = render._indent(render._render_cmd_body(upgrade_ops, context))
    downgrade = render._indent(render._render_cmd_body(upgrade_ops.reverse(), context))
    module_code = "\n".join(sorted(context.imports))
    header = (
        f"import sqlalchemy as sa\nfrom alembic import op\n{module_code}\n\n# revision identifiers, used by Alembic.\n"
    )
    functions = f"def upgrade() -> None:\n    {upgrade}\n\n\ndef downgrade() -> None:\n    {downgrade}\n"
    return f'{header}revision = "0123456789ab"\n\n\n{functions}'


def ruff_formatted(source: str, line_length: int = 88) -> str:
    ruff = shutil.which("ruff")
    assert ruff, "ruff must be installed (it is in the test extra)"
    command = [ruff, "format", "--isolated", "--line-length", str(line_length), "-"]
    result = subprocess.run(command, input=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def calls(tree: ast.AST) -> set[str]:
    """What the code calls (``conn.execute().scalar`` for a method of a call's result), other than the
    functions it defines."""
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return {_called(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)} - defined


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        return f"{_called(func.value.func)}().{func.attr}"
    return ast.unparse(func)


def free_names(tree: ast.AST) -> set[str]:
    """The names the code reads but never assigns: what it needs from outside."""
    assigned = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    assigned |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assigned |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for arg in node.args.args}
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - assigned


def run_rendered(source: str, connection: sa.Connection, revision: str = "0123456789ab") -> None:
    """Run the ``upgrade()`` of ``rendered()`` source. ``revision``: the module-level id every alembic
    revision file has (domain revisions key what their upgrade created by it)."""
    tree = ast.parse(source)
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)], source
    assert free_names(tree) <= {"op", "sa", "revision"} | set(dir(builtins)), free_names(tree)
    namespace: dict[str, Any] = {"op": SimpleNamespace(get_bind=lambda: connection), "sa": sa, "revision": revision}
    exec(compile(source, "<revision>", "exec"), namespace)
    namespace["upgrade"]()
