"""What one kind of object's comparison gives the comparator (``compare.py``), which runs the comparison
of every switched-on kind of ``kinds.KINDS``, in that order, in three steps:

1. ``Kind.read_database``: the kind's rows as one text, on the reading thread (one statement or two);
2. ``read_code``: what the code declares, as a digest, and the warnings shown on every run. The cache's
   "nothing changed" key covers every kind's code digest and database text and the options: when it is
   that of a comparison that found nothing, step 3 is skipped for every kind;
3. ``compare``: the kind's operations, its warnings, and what it hands to the kinds after it.

A kind's operations run around the later kinds': ``before`` ahead of theirs, ``after`` behind them (a
downgrade undoes them in reverse). So domain models add a product before workflows are linked to it,
and remove one after its workflow links went.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alembic_wfplugin.products import Product


@dataclass(frozen=True)
class Handoff:
    """What the kinds compared so far hand to the next ones: the products once this revision has run
    (``None``: those the database holds) and the product renames it makes (old name -> new name)."""

    products: tuple[Product, ...] | None = None
    renamed_products: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Code:
    """What a kind's code declares, as the cache's key sees it."""

    digest: str  # equal digests, equal declarations
    warnings: tuple[str, ...] = ()  # about the code alone: shown on every run, the shortcut's too


@dataclass(frozen=True)
class Compared:
    """One kind's result: its changes (``operations.Change``s: each with ``describe()``, ``row()``,
    ``colour``, ``diff_tuple()``, ``reversed()``), which the comparator wraps in the kind's container."""

    handoff: Handoff  # to the kinds after it: what it got, or what it changed of that
    before: Sequence[Any] = ()  # run before the later kinds' operations
    after: Sequence[Any] = ()  # run after them
    warnings: tuple[str, ...] = ()


class Comparison(Protocol):
    """One run's comparison of one kind, made by ``Kind.comparison(connection, options, cache)``."""

    def read_code(self) -> Code: ...

    def compare(self, database: str, handed: Handoff) -> Compared: ...
