"""Migration operations for domain models: one ``DomainOp`` per added or removed object, grouped in a
``DomainOps`` container. A revision holds two containers: additions (before the workflow operations,
so that new products can be linked to workflows) and removals (after them, so that a removed product's
workflow links go first, and a downgrade brings the product back before linking it again)."""

from __future__ import annotations

from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.operations import ChangeOp, ChangeOps, Row


class DomainOp(ChangeOp):
    def __init__(self, change: DomainChange) -> None:
        self.change = change

    def reverse(self) -> DomainOp:
        return DomainOp(self.change.reversed())

    def describe(self) -> str:
        return self.change.describe()

    def row(self) -> Row:
        return self.change.row()

    def to_diff_tuple(self) -> tuple[str, ...]:
        return (f"{self.change.action}_{self.change.kind}", *self.change.key)


class DomainOps(ChangeOps[DomainOp]):
    """All domain-model operations of one revision in one place (additions, or removals), in the order they run."""
