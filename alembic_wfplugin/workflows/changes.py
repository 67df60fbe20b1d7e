"""The changes a revision makes to workflow registration, one frozen value per kind of change, as the
domain models' ``DomainChange`` is for theirs. Each states an end state for one workflow and holds the
whole description of its kind in one place: its word (the log line, the drift report, ``alembic check``
and the revision's comments all use it), its colour in the drift report, its details, its reason and its
``reversed()`` (what ``downgrade()`` runs). The shell wraps each in an ``operations.ChangeOp``;
``render.RENDERERS`` writes each kind's SQL. Pure core: no alembic, no SQLAlchemy, no orchestrator-core."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from alembic_wfplugin.pysource import Value
from alembic_wfplugin.workflows.model import ColumnChange, WorkflowChanges, WorkflowSpec

UNDOES = "undoes: "  # the start of the reason of a change a downgrade runs


class WorkflowChange:
    word: ClassVar[str]  # the one word for this kind of change: rename, add, retire, update, link, unlink
    colour: ClassVar[str]  # its ANSI colour in the drift report on a terminal
    if TYPE_CHECKING:  # each kind's field (or its spec's)

        @property
        def name(self) -> str: ...  # the workflow (a rename's new name)

        @property
        def reason(self) -> str: ...

    @property
    def undoes(self) -> bool:
        """The reverse of an upgrade's change: what a downgrade runs."""
        return self.reason.startswith(UNDOES)

    def reversed(self) -> WorkflowChange:
        raise NotImplementedError

    def details(self) -> tuple[str, str]:
        """(target, products): the drift report's details and the log line's."""
        raise NotImplementedError

    def diff_tuple(self) -> tuple[object, ...]:
        """What ``alembic check`` reports."""
        raise NotImplementedError

    def row(self) -> tuple[str, str, str, str, str]:
        """(kind, name, change, details, why) for the drift report."""
        return ("workflow", self.name, self.word, "; ".join(part for part in self.details() if part), self.reason)

    def describe(self) -> str:
        """One log line, in alembic's style ("added workflow 'x' (...)")."""
        target, products = self.details()
        return f"{self.word}{'d' if self.word.endswith('e') else 'ed'} workflow {self.name!r}" + (
            f" ({', '.join(part for part in (target, products) if part)})" if target or products else ""
        )


def _undoing(reason: str) -> str:
    return f"{UNDOES}{reason}"


@dataclass(frozen=True)
class RenameWorkflow(WorkflowChange):
    """Rename a row in place where the old name has a row and the new one none (decided when the revision
    runs): it keeps its workflow_id, processes, product links and schedules. The add that follows makes
    it what the code says. ``soft_delete``: also soft-delete it (a downgrade, where the old row was)."""

    word = "rename"
    colour = "34"
    old: str
    name: str  # the new name
    soft_delete: bool = False
    was_deleted: bool = False  # the row was soft-deleted before the upgrade: its reverse soft-deletes
    reason: str = ""

    def reversed(self) -> RenameWorkflow:
        return RenameWorkflow(self.name, self.old, self.was_deleted, self.soft_delete, _undoing(self.reason))

    def details(self) -> tuple[str, str]:
        return (f"from {self.old!r}", "")

    def describe(self) -> str:
        return f"renamed workflow {self.old!r} to {self.name!r}"

    def diff_tuple(self) -> tuple[str, str, str]:
        return (f"{self.word}_workflow", self.old, self.name)


@dataclass(frozen=True)
class SpecChange(WorkflowChange):
    """A change that carries a workflow's whole end state (``WorkflowSpec``)."""

    spec: WorkflowSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def reason(self) -> str:
        return self.spec.reason

    def details(self) -> tuple[str, str]:
        return (self.spec.target, str(self.spec.links))

    def diff_tuple(self) -> tuple[str, str, str, str]:
        return (f"{self.word}_workflow", self.name, self.spec.target, str(self.spec.links))


@dataclass(frozen=True)
class AddWorkflow(SpecChange):
    """Make a workflow live as the code declares it, whatever its row's state where the revision runs:
    absent (inserted), soft-deleted (brought back with its id, processes and description) or live; then
    linked to exactly ``spec.links`` (links to ``spec.kept_links`` left alone). ``restores``: for a
    renamed workflow, the row as it was (under the new name), which the downgrade writes back instead of
    retiring the row."""

    word = "add"
    colour = "32"
    restores: WorkflowSpec | None = None

    def reversed(self) -> SpecChange:
        if self.restores is not None:
            return AddWorkflow(dataclasses.replace(self.restores, reason=_undoing(self.reason)))
        return RetireWorkflow(dataclasses.replace(self.spec, reason=_undoing(self.reason)))


@dataclass(frozen=True)
class RetireWorkflow(SpecChange):
    """Retire a workflow: delete its row if it never ran, else soft-delete it (decided at upgrade time).
    Carries the row as it is, so that its reverse makes it live again exactly so."""

    word = "retire"
    colour = "31"

    def reversed(self) -> AddWorkflow:
        return AddWorkflow(dataclasses.replace(self.spec, kept_links=(), reason=_undoing(self.reason)))


@dataclass(frozen=True)
class UpdateWorkflow(WorkflowChange):
    """Change columns of an existing live row: target, is_task, description."""

    word = "update"
    colour = "33"
    name: str
    changes: Sequence[ColumnChange]  # kept as a tuple
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(self.changes))

    def reversed(self) -> UpdateWorkflow:
        changes = tuple(ColumnChange(c.column, c.new, c.old) for c in self.changes)
        return UpdateWorkflow(self.name, changes, _undoing(self.reason))

    def new_value(self, column: str) -> Value:
        return next((change.new for change in self.changes if change.column == column), None)

    def details(self) -> tuple[str, str]:
        return (", ".join(f"{c.column} {c.old!r} -> {c.new!r}" for c in self.changes), "")

    def diff_tuple(self) -> tuple[str, str, tuple[tuple[str, object, object], ...]]:
        return (f"{self.word}_workflow", self.name, tuple((c.column, c.old, c.new) for c in self.changes))


@dataclass(frozen=True)
class ProductLinks(WorkflowChange):
    """Link products (by name) to an existing live workflow, or unlink them."""

    name: str
    products: Sequence[str]  # kept as a tuple
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "products", tuple(self.products))

    def details(self) -> tuple[str, str]:
        return ("", ", ".join(self.products))

    def diff_tuple(self) -> tuple[str, str, tuple[str, ...]]:
        return (f"{self.word}_workflow_products", self.name, tuple(self.products))


@dataclass(frozen=True)
class LinkProducts(ProductLinks):
    word = "link"
    colour = "36"

    def reversed(self) -> UnlinkProducts:
        return UnlinkProducts(self.name, self.products, _undoing(self.reason))


@dataclass(frozen=True)
class UnlinkProducts(ProductLinks):
    word = "unlink"
    colour = "35"

    def reversed(self) -> LinkProducts:
        return LinkProducts(self.name, self.products, _undoing(self.reason))


def workflow_changes(changes: WorkflowChanges) -> list[WorkflowChange]:
    """The diff's result as the changes a revision runs, in that order: rename, retire, add, update, link,
    unlink."""
    renamed = {rename.new: rename for rename in changes.renamed}

    def restores(spec: WorkflowSpec) -> WorkflowSpec | None:
        """A renamed workflow's row as it was: what the downgrade writes back before renaming it back."""
        rename = renamed.get(spec.name)
        return (
            None
            if rename is None
            else dataclasses.replace(rename.previous, overwrite_description=spec.overwrite_description)
        )

    return [
        *(RenameWorkflow(r.old, r.new, was_deleted=r.was_deleted, reason=r.reason) for r in changes.renamed),
        *(RetireWorkflow(spec) for spec in changes.retired),
        *(AddWorkflow(spec, restores(spec)) for spec in changes.made_live),
        *(UpdateWorkflow(update.name, update.changes, update.reason) for update in changes.updated),
        *(LinkProducts(link.workflow, link.products, link.reason) for link in changes.linked),
        *(UnlinkProducts(link.workflow, link.products, link.reason) for link in changes.unlinked),
    ]
