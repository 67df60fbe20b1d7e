"""The pure core's vocabulary for domain models: what the code declares, what the database holds, and
the changes between them. Plain data: no alembic, no SQLAlchemy, no orchestrator-core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from alembic_wfplugin.pysource import Value

Stored = tuple[str, ...]  # a resource type's value as orchestrator-core stores it: one row per list element

# The keys of wfplugin_renames that the domain-model comparison reads.
RENAME_KEYS = ("products", "product_blocks", "resource_types", "fixed_inputs")

# The kinds of object, in the order a revision adds them (and removes them in reverse): each kind's
# rows refer by name only to kinds before it. The last three are subscription data: the instances a
# required block field needs (of a product, of a block) and the values of new fields on instances.
KINDS = (
    "resource_type",
    "product_block",
    "block_resource_type",
    "block_relation",
    "product",
    "product_type",
    "product_block_link",
    "fixed_input",
    "root_instance",
    "child_instance",
    "instance_value",
)
# How people call each kind: log lines, the drift report.
LABELS = {kind: kind.replace("_", " ") for kind in KINDS}
PRODUCT_STATUSES = ("active", "pre production", "phase out", "end of life")  # orchestrator-core's ProductLifecycle


@dataclass(frozen=True)
class Field:
    """A plain field of a model: a fixed input of a product, a resource type of a product block."""

    name: str
    required: bool  # existing instances need a value: no default, not optional, not a list (no rows load as [])
    default: Stored | None = None  # the model's default, as orchestrator-core's save() stores it
    allowed: tuple[str, ...] | None = None  # the only values the type allows (an Enum or a Literal)
    description: str | None = None  # pydantic's Field(description=...), from any lifecycle variant
    is_list: bool = False  # stored as one row per element
    type_name: str = "str"  # the annotation, for messages
    # Why pydantic refuses these stored rows when orchestrator-core loads them (None: it accepts them).
    check: Callable[[Stored], str | None] | None = field(default=None, compare=False, repr=False)

    def refusal(self, stored: Stored) -> str | None:
        return None if self.check is None else self.check(stored)


@dataclass(frozen=True)
class DeclaredBlock:
    name: str
    resource_types: Mapping[str, Field]
    depends_on: tuple[str, ...]  # names of the blocks it uses (several for an abstract block type)
    block_fields: tuple[BlockField, ...] = ()


@dataclass(frozen=True)
class DeclaredProduct:
    name: str
    product_type: str  # the registered class's name
    fixed_inputs: Mapping[str, Field]
    blocks: tuple[str, ...]  # its root product blocks
    block_fields: tuple[BlockField, ...] = ()  # its root product block fields


@dataclass(frozen=True)
class BlockField:
    """A product block field of a product or block: ``attr`` is orchestrator-core's ``domain_model_attr``."""

    attr: str
    blocks: tuple[str, ...]  # the block names it may hold (several for an abstract block type)
    required: bool  # exactly one instance must exist: not optional, not a list


@dataclass(frozen=True)
class DeclaredDomain:
    products: Mapping[str, DeclaredProduct]
    blocks: Mapping[str, DeclaredBlock]


@dataclass(frozen=True)
class DefinedProduct:
    name: str
    product_type: str
    description: str
    tag: str
    status: str
    fixed_inputs: Mapping[str, str]
    blocks: tuple[str, ...]
    subscriptions: int  # subscriptions of this product
    block_instances: Mapping[str, int] = field(default_factory=dict)  # root block -> instances in its subscriptions
    statuses: Mapping[str, int] = field(default_factory=dict)  # lifecycle state -> its subscriptions


@dataclass(frozen=True)
class DefinedBlock:
    name: str
    description: str
    tag: str | None
    status: str | None
    resource_types: tuple[str, ...]
    depends_on: tuple[str, ...]
    instances: int  # subscription instances of this block
    values: Mapping[str, int] = field(default_factory=dict)  # resource type -> values on its instances
    relations: Mapping[str, int] = field(default_factory=dict)  # depends-on block -> instance relations


@dataclass(frozen=True)
class DefinedResourceType:
    name: str
    description: str | None
    values: int  # subscription instance values of this resource type


@dataclass(frozen=True)
class DefinedDomain:
    products: Mapping[str, DefinedProduct]
    blocks: Mapping[str, DefinedBlock]
    resource_types: Mapping[str, DefinedResourceType]


@dataclass(frozen=True)
class UsageRequest:
    """The objects (by name) whose usage a comparison needs counted: subscriptions, instances, values and
    instance relations. The others are read with counts of 0."""

    products: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.products or self.blocks or self.resource_types)


@dataclass(frozen=True)
class DomainChange:
    """Add, remove, rename or update one object. ``key`` names it (product, block, resource type, or a
    pair of them); ``columns`` is its whole state: what an add writes, what a remove's undo writes back.
    An undone add (a downgrade) removes only what its upgrade recorded that it created on that database."""

    action: str  # "add", "remove", "rename" (key: old name, new name) or "update" (columns: new, was)
    kind: str  # one of KINDS
    key: tuple[str, ...]
    columns: Mapping[str, Value] = field(default_factory=dict)
    reason: str = field(default="", compare=False)
    undoes: bool = False  # the reverse of an upgrade's change: what a downgrade runs
    rank: int = field(default=0, compare=False)  # within its kind: instances of a block before those in them

    @property
    def sort_key(self) -> tuple[int, int, tuple[str, ...]]:
        """Renames first, then additions and updates in KINDS order; removals in reverse order."""
        position = KINDS.index(self.kind)
        if self.action == "rename" and self.kind != "block_resource_type":
            return (position - len(KINDS), 0, self.key)  # before everything: what follows uses the new names
        order = {"rename": position, "add": position, "update": position}.get(self.action, -position)
        return (order, self.rank, self.key)

    def reversed(self) -> DomainChange:
        reason = f"undoes: {self.reason}"
        if self.action == "rename":
            key = (*self.key[:-2], self.key[-1], self.key[-2])  # (..., old, new) -> (..., new, old)
            return DomainChange("rename", self.kind, key, self.columns, reason, not self.undoes, self.rank)
        if self.action == "update":
            columns = {"new": self.columns["was"], "was": self.columns["new"]}
            return DomainChange("update", self.kind, self.key, columns, reason, not self.undoes, self.rank)
        action = "remove" if self.action == "add" else "add"
        return DomainChange(action, self.kind, self.key, self.columns, reason, not self.undoes, self.rank)

    def describe(self) -> str:
        """``added product 'User internal' (User)``: a log line in alembic's style."""
        done = {"add": "added", "remove": "removed", "rename": "renamed", "update": "changed"}[self.action]
        to = "to" if self.action == "add" else "from"
        first = self.key[0]
        if self.action == "rename" and self.kind == "fixed_input":
            return f"{done} fixed input {self.key[1]!r} -> {self.key[2]!r} of product {first!r}"
        if self.action == "rename" and self.kind == "block_resource_type":
            return f"{done} resource type {self.key[1]!r} -> {self.key[2]!r} of product block {first!r}"
        if self.action == "rename":
            return f"{done} {LABELS[self.kind]} {first!r} -> {self.key[1]!r}"
        if self.kind == "product_type":
            return f"{done} product type of product {first!r}: {self.columns['was']} -> {self.columns['new']}"
        if self.kind == "root_instance":
            return f"{done} an instance of block {self.key[2]!r} in each subscription of product {first!r}"
        if self.kind == "child_instance":
            return f"{done} an instance of block {self.key[2]!r} as {self.key[1]!r} of each {first!r} instance"
        if self.kind == "instance_value":
            return f"{done} values of resource type {self.key[1]!r} {to} instances of block {first!r} that lack one"
        if self.kind == "product":
            return f"{done} product {first!r} ({self.columns['product_type']})"
        if self.kind == "block_resource_type":
            return f"{done} resource type {self.key[1]!r} {to} product block {first!r}"
        if self.kind == "block_relation":
            return f"{done} product block relation {first!r} -> {self.key[1]!r}"
        if self.kind == "product_block_link":
            return f"{done} product block {self.key[1]!r} {to} product {first!r}"
        if self.kind == "fixed_input":
            return f"{done} fixed input {self.key[1]!r} = {self.columns['value']!r} {to} product {first!r}"
        return f"{done} {LABELS[self.kind]} {first!r}"
