"""Migration operations for workflow registration. Each reverses into its undo, so ``downgrade()``
restores exactly what ``upgrade()`` changed; ``WorkflowOps`` groups them so the revision fetches its
connection once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_wfplugin.model import ColumnChange, WorkflowSpec


def _links(spec: WorkflowSpec) -> str:
    return spec.links or "no products"


class WorkflowOperation(MigrateOperation):
    reason: str = ""  # why the comparator proposes it, for the drift report; not rendered


class CreateWorkflowOp(WorkflowOperation):
    """Insert a ``workflows`` row and link it to its products.

    As the reverse of a delete (``restore=True``) it first clears ``deleted_at``, because the delete may
    have soft-deleted the row (it had processes); the insert then does nothing, and the links are there.
    """

    def __init__(self, spec: WorkflowSpec, *, has_is_task: bool = True, restore: bool = False) -> None:
        self.spec = spec
        self.has_is_task = has_is_task
        self.restore = restore

    def reverse(self) -> DeleteWorkflowOp:
        return DeleteWorkflowOp(self.spec, has_is_task=self.has_is_task)

    def to_diff_tuple(self) -> tuple[str, str, str, str]:
        return ("add_workflow", self.spec.name, self.spec.target, _links(self.spec))

    def __repr__(self) -> str:
        return f"CreateWorkflowOp({self.spec.name!r}, target={self.spec.target}, linked to {_links(self.spec)})"


class DeleteWorkflowOp(WorkflowOperation):
    """Retire a workflow: delete its row if it never ran, else soft-delete it (decided at upgrade time).

    Carries the row as it is, so that its reverse writes it back.
    """

    def __init__(self, spec: WorkflowSpec, *, has_is_task: bool = True) -> None:
        self.spec = spec
        self.has_is_task = has_is_task

    def reverse(self) -> CreateWorkflowOp:
        return CreateWorkflowOp(self.spec, has_is_task=self.has_is_task, restore=True)

    def to_diff_tuple(self) -> tuple[str, str, str, str]:
        return ("remove_workflow", self.spec.name, self.spec.target, _links(self.spec))

    def __repr__(self) -> str:
        return f"DeleteWorkflowOp({self.spec.name!r}, target={self.spec.target}, linked to {_links(self.spec)})"


class UpdateWorkflowOp(WorkflowOperation):
    """Change columns of an existing row: target, is_task, description, or ``deleted_at`` (restore)."""

    def __init__(self, name: str, changes: Sequence[ColumnChange], *, reason: str = "") -> None:
        self.name = name
        self.changes = tuple(changes)
        self.reason = reason

    def reverse(self) -> UpdateWorkflowOp:
        return UpdateWorkflowOp(self.name, [ColumnChange(c.column, c.new, c.old) for c in self.changes])

    def to_diff_tuple(self) -> tuple[str, str, tuple[tuple[str, object, object], ...]]:
        return ("modify_workflow", self.name, tuple((c.column, c.old, c.new) for c in self.changes))

    def __repr__(self) -> str:
        changes = ", ".join(f"{c.column}: {c.old!r} -> {c.new!r}" for c in self.changes)
        return f"UpdateWorkflowOp({self.name!r}, {changes})"


class ProductLinksOp(WorkflowOperation):
    """Link products (by name) to an existing workflow, or unlink them."""

    diff_kind = ""

    def __init__(self, workflow: str, products: Sequence[str], *, reason: str = "") -> None:
        self.workflow = workflow
        self.products = tuple(products)
        self.reason = reason

    def to_diff_tuple(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.diff_kind, self.workflow, self.products)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.workflow!r}, {list(self.products)!r})"


class LinkProductsOp(ProductLinksOp):
    diff_kind = "add_workflow_products"

    def reverse(self) -> UnlinkProductsOp:
        return UnlinkProductsOp(self.workflow, self.products)


class UnlinkProductsOp(ProductLinksOp):
    diff_kind = "remove_workflow_products"

    def reverse(self) -> LinkProductsOp:
        return LinkProductsOp(self.workflow, self.products)


WorkflowOp = CreateWorkflowOp | DeleteWorkflowOp | UpdateWorkflowOp | LinkProductsOp | UnlinkProductsOp


class WorkflowOps(OpContainer):
    """All workflow operations of one revision, in the order they run."""

    def __init__(self, ops: Sequence[WorkflowOp]) -> None:
        super().__init__(ops)

    @property
    def workflow_ops(self) -> list[WorkflowOp]:
        return cast(list[WorkflowOp], self.ops)

    def reverse(self) -> WorkflowOps:
        return WorkflowOps([op.reverse() for op in reversed(self.workflow_ops)])

    def __repr__(self) -> str:
        return f"WorkflowOps({list(self.ops)!r})"
