"""The kinds of object alembic-wfplugin migrates, for the parts of the shell that treat every kind alike:
the comparator (``compare.py``), the renderers alembic dispatches to, the drift report, and what
"nothing to do" and "in sync" name. A kind is a package (its model, reading, diff, changes, renderer
and its ``comparison.Comparison``), one entry in ``KINDS``, and its options in ``options.py`` under its
name (with its ``wfplugin_renames`` key, if it has renames). Its changes are frozen values of its pure
core, each describing itself (its log line ``describe()``, its drift-report ``row()`` and ``colour``, its
``alembic check`` tuple ``diff_tuple()`` and its ``reversed()``); the comparator wraps each in an
``operations.ChangeOp`` and puts them in the kind's ``operations.ChangeOps`` container.

``KINDS`` is in the order of comparison: each kind gets what the kinds before it hand on
(``comparison.Handoff``), and its operations run around theirs.

Imports alembic's operations: ``plugin.register_renderers`` imports it inside ``setup()``, not at the
plugin module's import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from alembic_wfplugin.cache import ComparisonCache
from alembic_wfplugin.comparison import Comparison
from alembic_wfplugin.domain import comparison as domain_comparison
from alembic_wfplugin.domain.ops import DomainOps
from alembic_wfplugin.domain.render import render_domain_ops
from alembic_wfplugin.operations import ChangeOp, ChangeOps
from alembic_wfplugin.options import Options
from alembic_wfplugin.workflows import comparison as workflow_comparison
from alembic_wfplugin.workflows.ops import WorkflowOps
from alembic_wfplugin.workflows.render import render_workflow_ops


@dataclass(frozen=True)
class Kind:
    compared: str  # what a run that compares it names: "workflow registration"
    switched_on: Callable[[Mapping[str, Any]], bool]  # by the options of env.py's context.configure()
    container: type[ChangeOps[Any]]  # what it adds to a revision's operations
    render: Callable[[Any, Any], list[str]]  # alembic's renderer of that container
    read_database: Callable[[Connection, Callable[[], None]], str]  # (connection, before_sending): its rows as text
    comparison: Callable[[Connection, Options, ComparisonCache], Comparison]  # one run's reading and diff


KINDS = (
    Kind(
        "domain models",
        lambda opts: bool(opts.get("wfplugin_domain_models")),
        DomainOps,
        render_domain_ops,
        domain_comparison.read_database,
        domain_comparison.DomainComparison,
    ),
    Kind(
        "workflow registration",
        lambda opts: True,
        WorkflowOps,
        render_workflow_ops,
        workflow_comparison.read_database,
        workflow_comparison.WorkflowComparison,
    ),
)


def compared_names(opts: Mapping[str, Any], *, schema: bool = False, joined_by: str = "and") -> str:
    """What an autogenerate run compares, for "nothing to do" and "in sync": "domain models and workflow
    registration"."""
    names = ["schema"] if schema else []
    names += [kind.compared for kind in KINDS if kind.switched_on(opts)]
    return ", ".join(names[:-1]) + f" {joined_by} " + names[-1] if len(names) > 1 else names[0]


def reported_ops(containers: list[Any]) -> list[ChangeOp[Any]]:
    """The operations of every kind among ``containers`` (a revision's), in the order they run."""
    ours = tuple(kind.container for kind in KINDS)
    return [op for container in containers if isinstance(container, ours) for op in container.operations]
