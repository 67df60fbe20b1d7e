"""Migration operations for workflow registration, one class per kind of change. Each states an end
state for one workflow, reverses into its undo (``downgrade()``), and describes itself with the same
word everywhere: the log line, the drift report, ``alembic check``'s tuples and the revision's comments.
``WorkflowOps`` groups them so the revision fetches its connection once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from alembic_wfplugin.operations import ChangeOp, ChangeOps, Row
from alembic_wfplugin.pysource import Value
from alembic_wfplugin.workflows.model import ColumnChange, WorkflowSpec


class WorkflowOp(ChangeOp):
    kind: ClassVar[str]  # the one word for this change: rename, add, retire, update, link, unlink
    name: str  # the workflow
    reason: str

    def reverse(self) -> WorkflowOp:
        raise NotImplementedError

    def details(self) -> tuple[str, str]:
        """(target, products): the drift report's details and the log line's."""
        raise NotImplementedError

    def row(self) -> Row:
        return ("workflow", self.name, self.kind, "; ".join(part for part in self.details() if part), self.reason)

    def describe(self) -> str:
        """One log line, in alembic's style ("Detected added workflow 'x' ...")."""
        target, products = self.details()
        return f"{self.kind}{'d' if self.kind.endswith('e') else 'ed'} workflow {self.name!r}" + (
            f" ({', '.join(part for part in (target, products) if part)})" if target or products else ""
        )


class SpecOp(WorkflowOp):
    """An operation that carries a workflow's whole end state (``WorkflowSpec``)."""

    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.reason = spec.reason

    def details(self) -> tuple[str, str]:
        return (self.spec.target, str(self.spec.links))

    def to_diff_tuple(self) -> tuple[str, str, str, str]:
        return (f"{self.kind}_workflow", self.name, self.spec.target, str(self.spec.links))


class RenameWorkflowOp(WorkflowOp):
    """Rename a row in place where the old name has a row and the new one none (decided when the revision
    runs): it keeps its workflow_id, processes, product links and schedules. The add that follows makes
    it what the code says. ``soft_delete``: also soft-delete it (a downgrade, where the old row was)."""

    kind = "rename"

    def __init__(
        self, old: str, new: str, *, soft_delete: bool = False, was_deleted: bool = False, reason: str = ""
    ) -> None:
        self.old = old
        self.name = new
        self.soft_delete = soft_delete
        self.was_deleted = was_deleted  # the row was soft-deleted before the upgrade: its reverse soft-deletes
        self.reason = reason

    def reverse(self) -> RenameWorkflowOp:
        return RenameWorkflowOp(
            self.name,
            self.old,
            soft_delete=self.was_deleted,
            was_deleted=self.soft_delete,
            reason=f"undoes: {self.reason}",
        )

    def details(self) -> tuple[str, str]:
        return (f"from {self.old!r}", "")

    def describe(self) -> str:
        return f"renamed workflow {self.old!r} to {self.name!r}"

    def to_diff_tuple(self) -> tuple[str, str, str]:
        return ("rename_workflow", self.old, self.name)


class AddWorkflowOp(SpecOp):
    """Make a workflow live as the code declares it, whatever its row's state where the revision runs:
    absent (inserted), soft-deleted (brought back with its id, processes and description) or live; then
    linked to exactly ``spec.links`` (links to ``spec.kept_links`` left alone). ``restores``: for a
    renamed workflow, the row as it was (under the new name), which the downgrade writes back instead of
    retiring the row."""

    kind = "add"

    def __init__(self, spec: WorkflowSpec, restores: WorkflowSpec | None = None) -> None:
        super().__init__(spec)
        self.restores = restores

    def reverse(self) -> SpecOp:
        if self.restores is not None:
            return AddWorkflowOp(dataclasses.replace(self.restores, reason=f"undoes: {self.reason}"))
        return RetireWorkflowOp(dataclasses.replace(self.spec, reason=f"undoes: {self.reason}"))


class RetireWorkflowOp(SpecOp):
    """Retire a workflow: delete its row if it never ran, else soft-delete it (decided at upgrade time).
    Carries the row as it is, so that its reverse makes it live again exactly so."""

    kind = "retire"

    def reverse(self) -> AddWorkflowOp:
        return AddWorkflowOp(dataclasses.replace(self.spec, kept_links=(), reason=f"undoes: {self.reason}"))


class UpdateWorkflowOp(WorkflowOp):
    """Change columns of an existing live row: target, is_task, description."""

    kind = "update"

    def __init__(self, name: str, changes: Sequence[ColumnChange], *, reason: str = "") -> None:
        self.name = name
        self.changes = tuple(changes)
        self.reason = reason

    def reverse(self) -> UpdateWorkflowOp:
        changes = [ColumnChange(c.column, c.new, c.old) for c in self.changes]
        return UpdateWorkflowOp(self.name, changes, reason=f"undoes: {self.reason}")

    def new_value(self, column: str) -> Value:
        return next((change.new for change in self.changes if change.column == column), None)

    def details(self) -> tuple[str, str]:
        return (", ".join(f"{c.column} {c.old!r} -> {c.new!r}" for c in self.changes), "")

    def to_diff_tuple(self) -> tuple[str, str, tuple[tuple[str, object, object], ...]]:
        return ("update_workflow", self.name, tuple((c.column, c.old, c.new) for c in self.changes))


class ProductLinksOp(WorkflowOp):
    """Link products (by name) to an existing live workflow, or unlink them."""

    def __init__(self, name: str, products: Sequence[str], *, reason: str = "") -> None:
        self.name = name
        self.products = tuple(products)
        self.reason = reason

    def details(self) -> tuple[str, str]:
        return ("", ", ".join(self.products))

    def to_diff_tuple(self) -> tuple[str, str, tuple[str, ...]]:
        return (f"{self.kind}_workflow_products", self.name, self.products)


class LinkProductsOp(ProductLinksOp):
    kind = "link"

    def reverse(self) -> UnlinkProductsOp:
        return UnlinkProductsOp(self.name, self.products, reason=f"undoes: {self.reason}")


class UnlinkProductsOp(ProductLinksOp):
    kind = "unlink"

    def reverse(self) -> LinkProductsOp:
        return LinkProductsOp(self.name, self.products, reason=f"undoes: {self.reason}")


class WorkflowOps(ChangeOps[WorkflowOp]):
    """All workflow operations of one revision, in the order they run."""
