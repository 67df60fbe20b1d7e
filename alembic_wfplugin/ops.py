"""Migration operations for workflow registration. Each reverses into the other, so ``downgrade()``
undoes ``upgrade()``; ``WorkflowOps`` groups them so the revision fetches its connection once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_wfplugin.model import WorkflowSpec


def _links(spec: WorkflowSpec) -> str:
    links = [str(selector) for selector in spec.selectors] + list(spec.product_names)
    return ", ".join(links) if links else "no products"


class CreateWorkflowOp(MigrateOperation):
    """Insert a ``workflows`` row and link it to its products."""

    def __init__(self, spec: WorkflowSpec, *, has_is_task: bool = True) -> None:
        self.spec = spec
        self.has_is_task = has_is_task

    def reverse(self) -> DeleteWorkflowOp:
        return DeleteWorkflowOp(self.spec, has_is_task=self.has_is_task)

    def to_diff_tuple(self) -> tuple[str, str, str, str]:
        return ("add_workflow", self.spec.name, self.spec.target, _links(self.spec))

    def __repr__(self) -> str:
        return f"CreateWorkflowOp({self.spec.name!r}, target={self.spec.target}, linked to {_links(self.spec)})"


class DeleteWorkflowOp(MigrateOperation):
    """Delete a ``workflows`` row; carries the row as it is so its reverse writes it back."""

    def __init__(self, spec: WorkflowSpec, *, has_is_task: bool = True) -> None:
        self.spec = spec
        self.has_is_task = has_is_task

    def reverse(self) -> CreateWorkflowOp:
        return CreateWorkflowOp(self.spec, has_is_task=self.has_is_task)

    def to_diff_tuple(self) -> tuple[str, str, str, str]:
        return ("remove_workflow", self.spec.name, self.spec.target, _links(self.spec))

    def __repr__(self) -> str:
        return f"DeleteWorkflowOp({self.spec.name!r}, target={self.spec.target}, linked to {_links(self.spec)})"


WorkflowOp = CreateWorkflowOp | DeleteWorkflowOp


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
