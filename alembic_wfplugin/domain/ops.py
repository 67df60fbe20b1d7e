"""Migration operations for domain models: one ``DomainOp`` per added or removed object, grouped in a
``DomainOps`` container. A revision holds two containers: additions (before the workflow operations,
so that new products can be linked to workflows) and removals (after them, so that a removed product's
workflow links go first, and a downgrade brings the product back before linking it again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_wfplugin.domain.model import DomainChange


class DomainOp(MigrateOperation):
    def __init__(self, change: DomainChange) -> None:
        self.change = change

    def reverse(self) -> DomainOp:
        return DomainOp(self.change.reversed())

    def describe(self) -> str:
        return self.change.describe()

    def row(self) -> tuple[str, str, str, str, str]:
        return self.change.row()

    def to_diff_tuple(self) -> tuple[str, ...]:
        return (f"{self.change.action}_{self.change.kind}", *self.change.key)

    def __repr__(self) -> str:
        return f"DomainOp({self.describe()})"


class DomainOps(OpContainer):
    def __init__(self, ops: Sequence[DomainOp]) -> None:
        super().__init__(ops)

    @property
    def domain_ops(self) -> list[DomainOp]:
        return cast(list[DomainOp], self.ops)

    def reverse(self) -> DomainOps:
        return DomainOps([op.reverse() for op in reversed(self.domain_ops)])

    def __repr__(self) -> str:
        return f"DomainOps({list(self.ops)!r})"
