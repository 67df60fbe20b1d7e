"""What every kind's migration operations are, for the shell (the comparator, the drift report,
``alembic check``, the renderers): one ``ChangeOp`` wraps one change of one object, a frozen value of its
kind's pure core (``workflows.changes``, ``domain.model.DomainChange``) that describes itself the same way
in every place that shows it and is undone by its ``reversed()``. A kind's operations of one revision
are grouped in its container, the type alembic dispatches to that kind's renderer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from alembic.operations.ops import MigrateOperation, OpContainer

Row = tuple[str, str, str, str, str]  # the drift report's (kind, name, change, details, why)


class Change(Protocol):
    @property
    def colour(self) -> str:
        """Its ANSI colour in the drift report on a terminal ("32": green)."""

    def reversed(self) -> Any:
        """The change a downgrade runs (of the same kind's type)."""

    def describe(self) -> str:
        """One log line, in alembic's style ("added workflow 'x' (...)")."""

    def row(self) -> Row: ...

    def diff_tuple(self) -> tuple[Any, ...]:
        """What ``alembic check`` reports."""


C = TypeVar("C", bound=Change)


class ChangeOp(MigrateOperation, Generic[C]):
    def __init__(self, change: C) -> None:
        self.change = change

    def reverse(self) -> ChangeOp[C]:
        return ChangeOp(cast(C, self.change.reversed()))

    def describe(self) -> str:
        return self.change.describe()

    def row(self) -> Row:
        return self.change.row()

    @property
    def colour(self) -> str:
        return self.change.colour

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return self.change.diff_tuple()

    def __repr__(self) -> str:
        return f"ChangeOp({self.describe()})"


class ChangeOps(OpContainer, Generic[C]):
    """One kind's operations of one revision, in the order they run."""

    def __init__(self, ops: Sequence[ChangeOp[C]]) -> None:
        super().__init__(ops)

    @classmethod
    def of(cls, changes: Sequence[C]) -> ChangeOps[C]:
        return cls([ChangeOp(change) for change in changes])

    @property
    def operations(self) -> list[ChangeOp[C]]:
        return cast(list[ChangeOp[C]], self.ops)

    @property
    def changes(self) -> list[C]:
        return [op.change for op in self.operations]

    def reverse(self) -> ChangeOps[C]:
        return type(self)([op.reverse() for op in reversed(self.operations)])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.operations!r})"
