"""Run revision code that alembic's renderer produced, in-process, on a real connection: the body of an
``upgrade()`` or ``downgrade()`` with orchestrator-core's helpers and ``sa`` in scope, as the revision
template provides them."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from alembic_wfplugin import compat


def as_function(code: str, name: str = "upgrade") -> str:
    # render_python_code indents every line but the first, as the revision template expects
    return f"def {name}() -> None:\n    " + code.strip() + "\n"


def run_rendered(code: str, connection: sa.Connection) -> None:
    helpers = __import__(compat.helpers_module_path(), fromlist=["create_workflow"])
    namespace = {
        "op": SimpleNamespace(get_bind=lambda: connection),
        "sa": sa,
        "create_workflow": helpers.create_workflow,
        "create_task": helpers.create_task,
    }
    exec(compile(as_function(code), "<revision>", "exec"), namespace)
    namespace["upgrade"]()
