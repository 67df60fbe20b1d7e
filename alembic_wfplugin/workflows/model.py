"""Plain snapshots of both sides of the comparison, and the changes between them; frozen so the diff core
can only read them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from alembic_wfplugin.products import Product, ProductSelector
from alembic_wfplugin.pysource import Value

# orchestrator-core's rule (its migrate-tasks wizard): these targets make a workflow a task.
TASK_TARGETS = frozenset({"SYSTEM", "VALIDATE"})


def is_task_target(target: str) -> bool:
    return target in TASK_TARGETS


class ProductIndex:
    """Products by name and by product type, built once: resolving links is then linear in the result."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products = tuple(products)
        self.names = frozenset(product.name for product in self.products)
        self._by_type: dict[str, list[Product]] = {}
        for product in self.products:
            self._by_type.setdefault(product.product_type, []).append(product)

    def of_type(self, product_type: str) -> list[Product]:
        return self._by_type.get(product_type, [])


@dataclass(frozen=True)
class Links:
    """The products a workflow is linked to, stated so that it means the same on every database: every
    product, the products of some product types (and tags), and products by name."""

    every_product: bool = False
    selectors: tuple[ProductSelector, ...] = ()
    products: tuple[str, ...] = ()

    def __str__(self) -> str:
        """For people: ``"every product"``, ``"User, UserGroup:GROUP, Some product"`` or ``"no products"``."""
        if self.every_product:
            return "every product"
        return ", ".join([str(selector) for selector in self.selectors] + list(self.products)) or "no products"

    def resolve(self, products: Iterable[Product] | ProductIndex) -> frozenset[str]:
        """The names of the products these links pick among ``products`` (index them once with
        ``ProductIndex`` when resolving many links against the same products)."""
        index = products if isinstance(products, ProductIndex) else ProductIndex(products)
        if self.every_product:
            return index.names
        picked = {name for name in self.products if name in index.names}
        for selector in self.selectors:
            picked.update(p.name for p in index.of_type(selector.product_type) if selector.selects(p))
        return frozenset(picked)

    @property
    def product_type(self) -> str:
        """The first product type, for ordering."""
        return self.selectors[0].product_type if self.selectors else ""


@dataclass(frozen=True)
class DeclaredWorkflow:
    """A workflow as the code declares it (one ``LazyWorkflowInstance``)."""

    name: str
    module: str  # absolute module path of the LazyWorkflowInstance, e.g. "workflows.user.create_user"
    target: str
    description: str  # the decorator's description; "" when not given (orchestrator-core 5.x style)
    from_orchestrator_core: bool = False  # one of orchestrator-core's own (modify_note, task_*)


@dataclass(frozen=True)
class DefinedWorkflow:
    """A ``workflows`` row and the products it is linked to."""

    name: str
    target: str
    description: str
    is_task: bool
    deleted: bool = False  # soft-deleted (deleted_at set)
    products: tuple[Product, ...] = ()


@dataclass(frozen=True)
class DatabaseState:
    workflows: Mapping[str, DefinedWorkflow]
    products: tuple[Product, ...]
    # (workflow, scheduler job id, workflow soft-deleted): orchestrator-core 4.7+ keeps schedules in the database
    schedules: tuple[tuple[str, str, bool], ...] = ()

    @property
    def product_types(self) -> frozenset[str]:
        return frozenset(product.product_type for product in self.products)


@dataclass(frozen=True)
class WorkflowSpec:
    """The end state of one workflow: what "make it live" writes, and what a retire's downgrade writes back.

    ``links``: the products it is linked to; ``kept_links``: products whose links to it are left as they
    are (``wfplugin_products_linked_by_hand``); ``overwrite_description``: an existing row's description is
    replaced too (otherwise ``description`` is written only into a row created anew).
    """

    name: str
    target: str
    description: str
    is_task: bool
    links: Links = Links()
    kept_links: tuple[str, ...] = ()
    overwrite_description: bool = False
    reason: str = field(default="", compare=False)  # why, for people: logs, the drift report, comments

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.links.product_type, self.name)


@dataclass(frozen=True)
class ColumnChange:
    column: str  # "target", "is_task" or "description"
    old: Value
    new: Value


@dataclass(frozen=True)
class WorkflowUpdate:
    """Changed columns of an existing live row."""

    name: str
    changes: tuple[ColumnChange, ...]
    product_type: str = ""  # for ordering only
    reason: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.name)


@dataclass(frozen=True)
class LinkChange:
    """Products (by name) to link to, or unlink from, an existing live workflow."""

    workflow: str
    products: tuple[str, ...]
    product_type: str = ""  # for ordering only
    reason: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.workflow)


@dataclass(frozen=True)
class WorkflowRename:
    """A row renamed in place (``wfplugin_renames["workflows"]``), and the row as it was, for the downgrade."""

    old: str
    new: str
    previous: WorkflowSpec  # the old row's columns and links, under the new name (restored before renaming back)
    was_deleted: bool = False  # the old row was soft-deleted: the downgrade soft-deletes it again
    reason: str = field(default="", compare=False)


@dataclass(frozen=True)
class WorkflowChanges:
    renamed: tuple[WorkflowRename, ...] = ()  # run first; each renamed workflow is made live below
    made_live: tuple[WorkflowSpec, ...] = ()  # declared, no live row: inserted or brought back
    retired: tuple[WorkflowSpec, ...] = ()  # a live row the code no longer declares, as it is
    updated: tuple[WorkflowUpdate, ...] = ()
    linked: tuple[LinkChange, ...] = ()
    unlinked: tuple[LinkChange, ...] = ()
    # every declared workflow -> the products it is linked to once these changes ran (for the checks)
    end_links: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)  # for people; nothing to migrate

    def is_empty(self) -> bool:
        return not (self.renamed or self.made_live or self.retired or self.updated or self.linked or self.unlinked)
