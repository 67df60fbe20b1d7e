"""The package's layers: a pure core (the vocabulary, the diffs, the options, the Python source builder)
that imports neither alembic, SQLAlchemy, orchestrator-core nor any shell module of ours, and the shell
around it. Every module is one or the other, so a new module has to be placed."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import alembic_wfplugin

CORE = (
    "alembic_wfplugin.errors",
    "alembic_wfplugin.options",
    "alembic_wfplugin.products",
    "alembic_wfplugin.pysource",
    "alembic_wfplugin.workflows.model",
    "alembic_wfplugin.workflows.changes",
    "alembic_wfplugin.workflows.diff",
    "alembic_wfplugin.workflows.links",
    "alembic_wfplugin.workflows.checks",
    "alembic_wfplugin.domain.model",
    "alembic_wfplugin.domain.diff",
    "alembic_wfplugin.domain.guards",
    "alembic_wfplugin.domain.problems",
    "alembic_wfplugin.domain.renames",
    "alembic_wfplugin.domain.usage",
)
# Reading the code and the database, rendering, and alembic's and the command line's entry points.
SHELL = (
    "alembic_wfplugin.__main__",
    "alembic_wfplugin.cli",
    "alembic_wfplugin.compare",
    "alembic_wfplugin.comparison",
    "alembic_wfplugin.compat",
    "alembic_wfplugin.kinds",
    "alembic_wfplugin.operations",
    "alembic_wfplugin.pgserver",
    "alembic_wfplugin.plugin",
    "alembic_wfplugin.runtime",
    "alembic_wfplugin.cache",
    "alembic_wfplugin.workflows.comparison",
    "alembic_wfplugin.workflows.declared",
    "alembic_wfplugin.workflows.defined",
    "alembic_wfplugin.workflows.ops",
    "alembic_wfplugin.workflows.render",
    "alembic_wfplugin.workflows.module_files",
    "alembic_wfplugin.workflows.remembered",
    "alembic_wfplugin.workflows.source",
    "alembic_wfplugin.domain.comparison",
    "alembic_wfplugin.domain.declared",
    "alembic_wfplugin.domain.defined",
    "alembic_wfplugin.domain.ops",
    "alembic_wfplugin.domain.render",
)
PACKAGES = ("alembic_wfplugin", "alembic_wfplugin.workflows", "alembic_wfplugin.domain")


def test_every_module_is_in_the_core_or_the_shell() -> None:
    found = {m.name for m in pkgutil.walk_packages(alembic_wfplugin.__path__, "alembic_wfplugin.")}
    assert found | {"alembic_wfplugin"} == {*CORE, *SHELL, *PACKAGES}
    assert not set(CORE) & set(SHELL)


def test_the_core_imports_no_alembic_sqlalchemy_orchestrator_core_or_shell_module() -> None:
    program = (
        "import importlib, json, sys\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    heavy = [name for name in loaded if name.split(".")[0] in ("alembic", "sqlalchemy", "orchestrator", "typer")]
    ours = {name for name in loaded if name.startswith("alembic_wfplugin")}
    assert heavy == []
    assert ours == {*CORE, *PACKAGES}
