"""What every kind's migration operations are, for the shell (the comparator, the drift report,
``alembic check``, the renderers): each one change of one object that describes itself the same way in
every place that shows it and is undone by its ``reverse()``; a kind's operations of one revision are
grouped in its container, the type alembic dispatches to that kind's renderer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar, cast

from alembic.operations.ops import MigrateOperation, OpContainer

Row = tuple[str, str, str, str, str]  # the drift report's (kind, name, change, details, why)


class ChangeOp(MigrateOperation):
    def reverse(self) -> ChangeOp:
        """The change a downgrade runs."""
        raise NotImplementedError

    def describe(self) -> str:
        """One log line, in alembic's style ("added workflow 'x' (...)")."""
        raise NotImplementedError

    def row(self) -> Row:
        raise NotImplementedError

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """What ``alembic check`` reports."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


Op = TypeVar("Op", bound=ChangeOp)


class ChangeOps(OpContainer, Generic[Op]):
    """One kind's operations of one revision, in the order they run."""

    def __init__(self, ops: Sequence[Op]) -> None:
        super().__init__(ops)

    @property
    def operations(self) -> list[Op]:
        return cast(list[Op], self.ops)

    def reverse(self) -> ChangeOps[Op]:
        return type(self)([cast(Op, op.reverse()) for op in reversed(self.operations)])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.ops)!r})"
