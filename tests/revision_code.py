"""Run revision code that alembic's renderer produced, in-process, on a real connection: the body of an
``upgrade()`` or ``downgrade()`` with only ``op`` and ``sa`` in scope, as the revision template provides
them (generated revisions import nothing else)."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa


def as_function(code: str, name: str = "upgrade") -> str:
    # render_python_code indents every line but the first, as the revision template expects
    return f"def {name}() -> None:\n    " + code.strip() + "\n"


def run_rendered(code: str, connection: sa.Connection) -> None:
    namespace = {"op": SimpleNamespace(get_bind=lambda: connection), "sa": sa}
    exec(compile(as_function(code), "<revision>", "exec"), namespace)
    namespace["upgrade"]()
