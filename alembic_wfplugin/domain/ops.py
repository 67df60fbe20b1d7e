"""Migration operations for domain models: one ``DomainOp`` per added or removed object, grouped in a
``DomainOps`` container. A revision holds two containers: additions (before the workflow operations,
so that new products can be linked to workflows) and removals (after them, so that a removed product's
workflow links go first, and a downgrade brings the product back before linking it again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_wfplugin.domain.model import LABELS, DomainChange


class DomainOp(MigrateOperation):
    def __init__(self, change: DomainChange) -> None:
        self.change = change

    def reverse(self) -> DomainOp:
        return DomainOp(self.change.reversed())

    def describe(self) -> str:
        return self.change.describe()

    def row(self) -> tuple[str, str, str, str, str]:
        """(kind, name, change, details, why) for the drift report."""
        action, kind, key, columns = self.change.action, self.change.kind, self.change.key, self.change.columns
        name, details = ", ".join(key), ""
        if action == "rename":
            name, details = ", ".join(key[:-1]), f"-> {key[-1]}"
        elif kind == "product_type":
            details = f"{columns['was']} -> {columns['new']}"
        elif kind == "product":
            details = str(columns.get("product_type", ""))
        elif kind == "root_instance":
            name, details = key[0], f"an instance of block {key[2]} in each subscription"
        elif kind == "child_instance":
            name, details = key[0], f"an instance of block {key[2]} as {key[1]} of each instance"
        elif kind == "instance_value":
            details = "on the instances that lack one"
        return (LABELS[kind], name, action, details, self.change.reason)

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
