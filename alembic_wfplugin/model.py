"""Plain snapshots of both sides of the comparison; frozen so the diff core can only read them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# orchestrator-core's rule (its migrate-tasks wizard): these targets make a workflow a task.
TASK_TARGETS = frozenset({"SYSTEM", "VALIDATE"})


def is_task_target(target: str) -> bool:
    return target in TASK_TARGETS


@dataclass(frozen=True)
class ProductSelector:
    """Every product of ``product_type`` (narrowed to ``tag`` when given), as orchestrator-core's
    ``create_workflow`` links them."""

    product_type: str
    tag: str | None = None

    def __str__(self) -> str:
        return self.product_type if self.tag is None else f"{self.product_type}:{self.tag}"

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.tag or "")


@dataclass(frozen=True, order=True)
class Product:
    name: str
    product_type: str
    tag: str


@dataclass(frozen=True)
class DeclaredWorkflow:
    """A workflow as the code declares it (one ``LazyWorkflowInstance``)."""

    name: str
    module: str  # absolute module path of the LazyWorkflowInstance, e.g. "workflows.user.create_user"
    target: str
    description: str  # the decorator's description; "" when not given (orchestrator-core 5.x style)


@dataclass(frozen=True)
class DefinedWorkflow:
    """A ``workflows`` row and the products it is linked to."""

    name: str
    target: str
    description: str
    is_task: bool
    deleted_at: str | None = None  # ISO 8601, exact to the microsecond, so a downgrade can write it back
    products: tuple[Product, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class DatabaseState:
    workflows: Mapping[str, DefinedWorkflow]
    products: tuple[Product, ...]
    has_is_task: bool = True  # orchestrator-core < 4.0 has no workflows.is_task column

    @property
    def product_types(self) -> frozenset[str]:
        return frozenset(product.product_type for product in self.products)


@dataclass(frozen=True)
class WorkflowSpec:
    """Everything needed to write one workflow row and its links: what a create operation writes and
    what a delete operation must be able to write back."""

    name: str
    target: str
    description: str
    is_task: bool
    selectors: tuple[ProductSelector, ...] = ()  # link every product these select ...
    product_names: tuple[str, ...] = ()  # ... and exactly these products

    @property
    def sort_key(self) -> tuple[str, str]:
        product_type = self.selectors[0].product_type if self.selectors else ""
        return (product_type, self.name)

    @property
    def links(self) -> str:
        """What it is linked to, for people: ``"User, UserGroup:GROUP, Some product"`` or ``""``."""
        return ", ".join([str(selector) for selector in self.selectors] + list(self.product_names))

    @property
    def is_plain_task(self) -> bool:
        """Exactly what orchestrator-core's ``create_task`` writes."""
        return self.target == "SYSTEM" and self.is_task and not self.selectors and not self.product_names


Value = str | bool | None


@dataclass(frozen=True)
class ColumnChange:
    column: str  # "target", "is_task", "description" or "deleted_at"
    old: Value
    new: Value


@dataclass(frozen=True)
class WorkflowUpdate:
    """Changed columns of an existing row (a restore is ``deleted_at`` -> ``None``)."""

    name: str
    changes: tuple[ColumnChange, ...]
    product_type: str = ""  # for ordering only
    reason: str = field(default="", compare=False)  # for people: logs and the drift report

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.name)


@dataclass(frozen=True)
class LinkChange:
    """Products (by name) to link to, or unlink from, an existing workflow."""

    workflow: str
    products: tuple[str, ...]
    product_type: str = ""  # for ordering only
    reason: str = field(default="", compare=False)  # for people: logs and the drift report

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.workflow)


@dataclass(frozen=True)
class WorkflowChanges:
    added: tuple[WorkflowSpec, ...] = ()
    removed: tuple[WorkflowSpec, ...] = ()
    updated: tuple[WorkflowUpdate, ...] = ()
    linked: tuple[LinkChange, ...] = ()
    unlinked: tuple[LinkChange, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)  # added or removed workflow -> why

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.updated or self.linked or self.unlinked)
