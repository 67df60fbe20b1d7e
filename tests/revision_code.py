"""Run revision code that alembic's renderer produced, in-process, on a real connection: the body of an
``upgrade()`` or ``downgrade()`` with only ``op`` and ``sa`` in scope, as the revision template provides
them. Generated revisions are plain SQL: they import nothing, neither orchestrator-core nor the plugin."""

from __future__ import annotations

import ast
import builtins
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

# Every call the renderer writes, and nothing else: no orchestrator-core helper, no import, no eval.
GENERATED_CALLS = frozenset(
    {
        "op.get_bind",
        "conn.execute",
        "sa.text",
        "list",
        "RuntimeError",
        "result.scalars",
        "result.scalar",
        "lacking.append",
        "'; '.join",
        "', '.join",
    }
)


def as_function(code: str, name: str = "upgrade") -> str:
    # render_python_code indents every line but the first, as the revision template expects
    return f"def {name}() -> None:\n    " + code.strip() + "\n"


def free_names(tree: ast.AST) -> set[str]:
    """The names the code reads but never assigns: what it needs from outside."""
    assigned = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    assigned |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - assigned


def run_rendered(code: str, connection: sa.Connection, revision: str = "0123456789ab") -> None:
    """``revision``: the module-level id every alembic revision file has (domain revisions key what their
    upgrade created by it)."""
    source = as_function(code)
    tree = ast.parse(source)
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)], source
    assert free_names(tree) <= {"op", "sa", "revision"} | set(dir(builtins)), free_names(tree)
    namespace: dict[str, Any] = {"op": SimpleNamespace(get_bind=lambda: connection), "sa": sa, "revision": revision}
    exec(compile(source, "<revision>", "exec"), namespace)
    namespace["upgrade"]()
