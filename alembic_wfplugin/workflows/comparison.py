"""Workflow registration as a kind of the comparator (``comparison.Comparison``): the ``workflows`` rows,
their product links and the products, against orchestrator-core's registry of ``LazyWorkflowInstance``s."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from alembic_wfplugin import compat
from alembic_wfplugin.cache import ComparisonCache, value_digest
from alembic_wfplugin.comparison import Code, Compared, Handoff
from alembic_wfplugin.options import Options
from alembic_wfplugin.products import Product
from alembic_wfplugin.workflows.changes import workflow_changes
from alembic_wfplugin.workflows.checks import lacking_targets, scheduled_but_undeclared, untranslated
from alembic_wfplugin.workflows.declared import declared_workflows
from alembic_wfplugin.workflows.defined import database_snapshot, parse_snapshot
from alembic_wfplugin.workflows.diff import diff_workflows
from alembic_wfplugin.workflows.model import DeclaredWorkflow, DefinedWorkflow
from alembic_wfplugin.workflows.remembered import WorkflowMemory


def read_database(connection: Connection, before_sending: Callable[[], None]) -> str:
    return database_snapshot(connection, before_sending=before_sending)


class WorkflowComparison:
    def __init__(self, connection: Connection, options: Options, cache: ComparisonCache) -> None:
        self.options, self.memory = options, WorkflowMemory.of(cache)
        self.registry: Mapping[str, Any] = compat.workflow_registry()
        self.default_workflows = compat.default_product_workflows()
        self.declared: Mapping[str, DeclaredWorkflow] | None = None  # read only when the cache cannot vouch

    def read_code(self) -> Code:
        memory = self.memory
        translated, translations_dir = compat.workflow_translations()
        warnings = untranslated(self.registry, translated, translations_dir)  # read every run: a file of its own
        digest = memory.unchanged_declared(self.registry)  # a stat per module when nothing changed
        if digest is None:
            self.declared = self._declared()
            digest = memory.remember_declared(self.registry, self.declared)
        return Code(value_digest((digest, tuple(self.default_workflows))), tuple(warnings))

    def compare(self, database: str, handed: Handoff) -> Compared:
        declared = self._declared() if self.declared is None else self.declared
        state = parse_snapshot(database)
        if handed.products is not None:  # new products get their links in the same revision, removed ones lose them
            state = dataclasses.replace(
                state, products=handed.products, workflows=_renamed_links(state.workflows, handed.renamed_products)
            )
        changes = diff_workflows(declared, state, self.options, self.default_workflows)
        warnings = [*changes.warnings]
        warnings += lacking_targets(declared, changes.end_links, state.products)
        warnings += scheduled_but_undeclared(declared, state, changes)
        return Compared(handed, before=workflow_changes(changes), warnings=tuple(warnings))

    def _declared(self) -> Mapping[str, DeclaredWorkflow]:
        return declared_workflows(
            self.registry, from_source=self.options.read_workflows == "source", memory=self.memory
        )


def _renamed_links(workflows: Mapping[str, DefinedWorkflow], renamed: Mapping[str, str]) -> dict[str, DefinedWorkflow]:
    """Workflow rows as they are once products are renamed (a link follows the product's id)."""

    def product(linked: Product) -> Product:
        return dataclasses.replace(linked, name=renamed.get(linked.name, linked.name))

    return {
        name: dataclasses.replace(row, products=tuple(map(product, row.products))) for name, row in workflows.items()
    }
