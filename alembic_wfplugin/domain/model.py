"""The pure core's vocabulary for domain models: what the code declares, what the database holds, and
the changes between them. Plain data: no alembic, no SQLAlchemy, no orchestrator-core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from alembic_wfplugin.pysource import Value

Stored = tuple[str, ...]  # a resource type's value as orchestrator-core stores it: one row per list element


@dataclass(frozen=True)
class Words:
    """How people read one kind of domain change, in every place that shows it: the log line
    (``DomainChange.describe``), the drift report's row and ``alembic check``, the revision's
    comment above its entries. Templates over ``done`` ("added", ...), ``to`` ("to", "from"), ``label``,
    ``key``, ``names`` and ``columns`` (the change's), formatted with ``str.format``. The action's word
    and colour are ``DomainChange.action`` and ``COLOURS``."""

    label: str  # the kind's name: the report's kind column, "Product blocks" in the revision
    comment: str  # above its SQL in the revision
    says: str  # the log line of an add or a remove (an update for the product type)
    renamed: str = "{done} {label} {key[0]!r} -> {key[1]!r}"  # the log line of a rename (wfplugin_renames)
    name: str = "{names}"  # the report's name column ("names": the key's names, joined by ", ")
    details: str = ""  # the report's details column


# The kinds of object, in the order a revision adds them (and removes them in reverse): each kind's
# rows refer by name only to kinds before it. The last three are subscription data: the instances a
# required block field needs (of a product, of a block) and the values of new fields on instances.
KINDS = {
    "resource_type": Words(
        "resource type", "# Resource types (the fields of product blocks).", "{done} resource type {key[0]!r}"
    ),
    "product_block": Words("product block", "# Product blocks.", "{done} product block {key[0]!r}"),
    "block_resource_type": Words(
        "block resource type",
        "# The resource types of product blocks (product_block_resource_types).",
        "{done} resource type {key[1]!r} {to} product block {key[0]!r}",
        renamed="{done} resource type {key[1]!r} -> {key[2]!r} of product block {key[0]!r}",
    ),
    "block_relation": Words(
        "block relation",
        "# The product blocks that a product block uses (product_block_relations).",
        "{done} product block relation {key[0]!r} -> {key[1]!r}",
    ),
    "product": Words(
        "product",
        "# Products (SUBSCRIPTION_MODEL_REGISTRY).",
        "{done} product {key[0]!r} ({columns[product_type]})",
        details="{columns[product_type]}",
    ),
    "product_type": Words(
        "product type",
        "# The product type of each product whose SUBSCRIPTION_MODEL_REGISTRY class was renamed.",
        "{done} product type of product {key[0]!r}: {columns[was]} -> {columns[new]}",
        details="{columns[was]} -> {columns[new]}",
    ),
    "product_block_link": Words(
        "product block link",
        "# The root product blocks of products (product_product_blocks).",
        "{done} product block {key[1]!r} {to} product {key[0]!r}",
    ),
    "fixed_input": Words(
        "fixed input",
        "# Fixed inputs of products.",
        "{done} fixed input {key[1]!r} = {columns[value]!r} {to} product {key[0]!r}",
        renamed="{done} fixed input {key[1]!r} -> {key[2]!r} of product {key[0]!r}",
    ),
    "root_instance": Words(
        "root instance",
        "# Required root blocks: an instance for each subscription of the product that has none.",
        "{done} an instance of block {key[2]!r} in each subscription of product {key[0]!r}",
        name="{key[0]}",
        details="an instance of block {key[2]} in each subscription",
    ),
    "child_instance": Words(
        "child instance",
        "# Required blocks of blocks: an instance of the used block for each instance of the using block\n"
        "# that has none in that field (related by domain_model_attr, as orchestrator-core relates them).",
        "{done} an instance of block {key[2]!r} as {key[1]!r} of each {key[0]!r} instance",
        name="{key[0]}",
        details="an instance of block {key[2]} as {key[1]} of each instance",
    ),
    "instance_value": Words(
        "instance value",
        "# Values of resource types, for the instances of the block that lack one.",
        "{done} values of resource type {key[1]!r} {to} instances of block {key[0]!r} that lack one",
        details="on the instances that lack one",
    ),
}
ORDER = {kind: position for position, kind in enumerate(KINDS)}
DONE = {"add": "added", "remove": "removed", "rename": "renamed", "update": "changed"}
# Each action's ANSI colour in the drift report on a terminal (as the workflow changes' of the same word).
COLOURS = {"add": "32", "remove": "31", "rename": "34", "update": "33"}
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
        position = ORDER[self.kind]
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

    @property
    def colour(self) -> str:
        return COLOURS[self.action]

    def diff_tuple(self) -> tuple[str, ...]:
        """What ``alembic check`` reports: ``("add_product", "User internal")``."""
        return (f"{self.action}_{self.kind}", *self.key)

    def describe(self) -> str:
        """``added product 'User internal' (User)``: a log line in alembic's style."""
        words = KINDS[self.kind]
        return self._said(words.renamed if self.action == "rename" else words.says)

    def row(self) -> tuple[str, str, str, str, str]:
        """(kind, name, change, details, why) for the drift report."""
        words = KINDS[self.kind]
        if self.action == "rename":
            name, details = ", ".join(self.key[:-1]), f"-> {self.key[-1]}"
        else:
            name, details = self._said(words.name), self._said(words.details)
        return (words.label, name, self.action, details, self.reason)

    def _said(self, template: str) -> str:
        to = "to" if self.action == "add" else "from"
        done, label, names = DONE[self.action], KINDS[self.kind].label, ", ".join(self.key)
        return template.format(done=done, to=to, label=label, key=self.key, columns=self.columns, names=names)
