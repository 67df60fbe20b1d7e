"""The pure core for domain models: declared and defined domain models in, the changes that make the
database match the code out, or one error listing everything the code cannot say. No I/O.

What is decided here:

- Objects the code declares and the database lacks are added; their description, tag and status are
  written only then (later differences are the database's business: the UI edits them).
- Objects the database holds and the code no longer declares are removed, with everything that refers
  to them, only if nothing uses them (no subscription, instance, value or instance relation). Where
  something does in this database, autogenerate stops and says what; where it does only in another
  database, the revision stops that upgrade (decided when it runs).
- Values the code cannot state come from the options, or from safe inference, else one error lists
  every missing value and the exact option text to add.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from alembic_wfplugin.domain.model import (
    PRODUCT_STATUSES,
    BlockField,
    DeclaredDomain,
    DefinedDomain,
    DefinedProduct,
    DomainChange,
    Field,
    Stored,
    Value,
)
from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.options import PREFIX, BlockValues, Options, ProductValues, did_you_mean
from alembic_wfplugin.workflows.model import Product

TAG_LENGTH = 20  # products.tag and product_blocks.tag are varchar(20)
# The longest strings the columns a domain revision writes hold (orchestrator-core 5.x's models, the
# strictest release: 4.x's descriptions are unbounded), so that an upgrade never fails on a raw driver error.
COLUMN_LENGTHS = {
    "products.description": 2000,
    "products.product_type": 255,
    "products.tag": TAG_LENGTH,
    "products.status": 255,
    "product_blocks.description": 2000,
    "product_blocks.tag": TAG_LENGTH,
    "product_blocks.status": 255,
    "resource_types.resource_type": 510,
    "resource_types.description": 2000,
    "subscription_instance_values.value": 10000,
    "subscription_instance_relations.domain_model_attr": 255,
}
# Where each kind's names and columns are stored, for that check.
STORED_IN = {
    "resource_type": ("resource_types", ("resource_type",), {"description": "description"}),
    "product_block": ("product_blocks", ("name",), {"description": "description", "tag": "tag", "status": "status"}),
    "block_resource_type": ("product_block_resource_types", ("", ""), {}),
    "instance_value": ("subscription_instance_values", ("", ""), {"values": "value"}),
    "root_instance": ("subscription_instance_relations", ("", "domain_model_attr", ""), {}),
    "child_instance": ("subscription_instance_relations", ("", "domain_model_attr", ""), {}),
    "product_type": ("products", ("",), {"new": "product_type"}),
    "product": (
        "products",
        ("name",),
        {"product_type": "product_type", "description": "description", "tag": "tag", "status": "status"},
    ),
    "product_block_link": ("product_product_blocks", ("", ""), {}),
    "block_relation": ("product_block_relations", ("", ""), {}),
    "fixed_input": ("fixed_inputs", ("", "name"), {"value": "value"}),
}


@dataclass(frozen=True)
class DomainDiff:
    additions: tuple[DomainChange, ...]  # run before the workflow changes
    removals: tuple[DomainChange, ...]  # run after them (a product's workflow links go first)
    products: tuple[Product, ...]  # the products once the revision has run, for the workflow diff
    unknown: tuple[str, ...] = ()  # options naming nothing in the code or the database: warnings
    renamed_products: Mapping[str, str] = field(default_factory=dict)  # old name -> new name


@dataclass
class _Problems:
    """Everything that stops autogenerate, collected so that one run reports it all."""

    products: dict[str, dict[str, str]] = field(default_factory=dict)  # option text to add, per product
    blocks: dict[str, dict[str, str]] = field(default_factory=dict)
    resource_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # option text, its comment
    in_use: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # shown with missing values: often a typo
    invalid: list[str] = field(default_factory=list)  # values the field's type refuses, strings a column cannot hold

    def raise_if_any(self) -> None:
        parts = []
        if self.invalid:
            parts.append(
                "These values cannot be written as they are (orchestrator-core would fail to load them, or the "
                "database refuses them); correct them in the option or the code named:\n  - "
                + "\n  - ".join(self.invalid)
            )
        if self.products or self.blocks or self.resource_types:
            parts.append(_missing_values_message(self))
            if self.unknown:
                parts.append(
                    "These options name nothing in the code or the database:\n  - " + "\n  - ".join(self.unknown)
                )
        if self.in_use:
            parts.append(
                "These objects are no longer in the code but this database still uses them, so removing them "
                "would lose data:\n  - "
                + "\n  - ".join(self.in_use)
                + "\nKeep them in the code until nothing uses them: move the subscriptions to a product that stays "
                "(UPDATE subscriptions SET product_id = ... in a data migration), or delete the subscriptions and "
                "their processes if their history may go (terminated subscriptions count too); then autogenerate "
                "again. To rename an object instead, state it in wfplugin_renames."
            )
        if parts:
            raise WorkflowPluginError("\n\n".join(parts))


def diff_domain(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, skipped: Iterable[str] = ()
) -> DomainDiff:
    """``skipped``: product names left alone (orchestrator-core's ``SKIP_MODEL_FOR_MIGRATION_DB_DIFF``)."""
    skipped = set(skipped)
    kept = {name: row for name, row in database.products.items() if name in skipped}
    declared = DeclaredDomain({n: p for n, p in declared.products.items() if n not in skipped}, declared.blocks)
    database = DefinedDomain(
        {n: row for n, row in database.products.items() if n not in skipped}, database.blocks, database.resource_types
    )
    renames = _renames(declared, database, options)
    database = _renamed(database, renames)
    _guard_mass_removal(declared, database, options)
    _check_option_values(declared, options)
    problems = _Problems(unknown=_unknown_names(declared, database, options))
    changes: list[DomainChange] = []
    changes += _resource_types(declared, database, options, problems)
    changes += _blocks(declared, database, options, problems)
    changes += _products(declared, database, options, problems)
    changes += _subscription_data(declared, database, options, changes, problems)
    changes += renames
    problems.invalid += _unstorable_strings(changes)
    problems.raise_if_any()
    additions = sorted((c for c in changes if c.action != "remove"), key=lambda c: c.sort_key)
    removals = sorted((c for c in changes if c.action == "remove"), key=lambda c: c.sort_key)
    products = _products_after(DefinedDomain({**database.products, **kept}, {}, {}), additions, removals)
    renamed_products = {c.key[0]: c.key[1] for c in renames if c.kind == "product"}
    return DomainDiff(tuple(additions), tuple(removals), products, tuple(problems.unknown), renamed_products)


def _renames(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> list[DomainChange]:
    """The ``wfplugin_renames`` entries this database still needs: where the old name is here and the new
    one is not (an entry already applied, or for objects this database never had, is nothing to do).
    Never guessed: a rename the option does not state is a removal plus an addition. Products and blocks
    are renamed first; fixed inputs and resource types are then looked up under their new names."""
    problems: list[str] = []
    renames: list[DomainChange] = []

    def where(option: str, old: str) -> str:
        return f"{PREFIX}renames[{option!r}][{old!r}]"

    for option, kind, present, declared_names in (
        ("products", "product", database.products, set(declared.products)),
        ("product_blocks", "product_block", database.blocks, set(declared.blocks)),
    ):
        for old, new in sorted(options.renames.get(option, {}).items()):
            if new not in declared_names:
                problems.append(f"{where(option, old)}: the code declares no {kind.replace('_', ' ')} {new!r}")
            elif old in present and new in present:
                problems.append(f"{where(option, old)}: the database has both {old!r} and {new!r}; merge them by hand")
            elif old in present:
                renames.append(DomainChange("rename", kind, (old, new), {}, f"{PREFIX}renames[{option!r}]"))
    database = _renamed(database, renames)
    for old, new in sorted(options.renames.get("fixed_inputs", {}).items()):
        if not any(new in product.fixed_inputs for product in declared.products.values()):
            problems.append(f"{where('fixed_inputs', old)}: no product type in the code has a fixed input {new!r}")
        for name, row in database.products.items():
            code = declared.products.get(name)
            if code and new in code.fixed_inputs and old not in code.fixed_inputs and old in row.fixed_inputs:
                if new in row.fixed_inputs:
                    problems.append(f"{where('fixed_inputs', old)}: product {name!r} has both; merge them by hand")
                else:
                    reason = f"{PREFIX}renames['fixed_inputs']; its value kept"
                    renames.append(DomainChange("rename", "fixed_input", (name, old, new), {}, reason))
    renames += _resource_type_renames(declared, database, options, problems)
    if problems:
        raise WorkflowPluginError("Invalid wfplugin_renames:\n  - " + "\n  - ".join(problems))
    return renames


def _resource_type_renames(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: list[str]
) -> list[DomainChange]:
    """``"old": "new"`` renames the resource type row in place where every block that has it moves to the
    new name (and the new one does not exist yet); otherwise, and for ``"Block.old": "new"``, the values of
    each such block move to the new resource type and the other blocks keep the old one. A block moves
    where it has the old name here and its code declares the new name and not the old."""
    changes = []
    given = sorted(options.renames.get("resource_types", {}).items())
    declared_names = {name for block in declared.blocks.values() for name in block.resource_types}
    for key, new in given:
        block_name, _, old = key.rpartition(".")
        where = f"{PREFIX}renames['resource_types'][{key!r}]"
        if new not in declared_names:
            problems.append(f"{where}: the code declares no resource type {new!r}")
            continue
        if block_name and block_name not in declared.blocks:
            problems.append(
                f"{where}: the code declares no product block {block_name!r}{did_you_mean(block_name, declared.blocks)}"
            )
            continue
        moving = []
        for name, row in sorted(database.blocks.items()):
            code = declared.blocks.get(name)
            if block_name not in ("", name) or code is None or old not in row.resource_types:
                continue
            if new in code.resource_types and old not in code.resource_types:
                if new in row.resource_types:
                    problems.append(f"{where}: block {name!r} has both {old!r} and {new!r}; merge them by hand")
                else:
                    moving.append(name)
        users = {name for name, row in database.blocks.items() if old in row.resource_types}
        reason = f"{PREFIX}renames['resource_types']; values kept"
        if not block_name and moving and set(moving) == users and new not in database.resource_types:
            changes.append(DomainChange("rename", "resource_type", (old, new), {}, reason))
        changes += [DomainChange("rename", "block_resource_type", (name, old, new), {}, reason) for name in moving]
    return changes


def _renamed(database: DefinedDomain, renames: list[DomainChange]) -> DefinedDomain:
    """The database's snapshot as it is once the renames have run."""
    if not renames:
        return database
    names = {kind: {c.key[0]: c.key[1] for c in renames if c.kind == kind} for kind in ("product", "product_block")}
    blocks, in_place = names["product_block"], {c.key[0]: c.key[1] for c in renames if c.kind == "resource_type"}
    moved = {(c.key[0], c.key[1]): c.key[2] for c in renames if c.kind == "block_resource_type"}
    fixed = {(c.key[0], c.key[1]): c.key[2] for c in renames if c.kind == "fixed_input"}

    def block(name: str) -> str:
        return blocks.get(name, name)

    def resource_type(owner: str, name: str) -> str:
        return moved.get((owner, name)) or in_place.get(name, name)

    products = {
        names["product"].get(name, name): dataclasses.replace(
            row,
            name=names["product"].get(name, name),
            blocks=tuple(sorted(map(block, row.blocks))),
            block_instances={block(b): n for b, n in row.block_instances.items()},
            fixed_inputs={
                fixed.get((names["product"].get(name, name), fi), fi): value for fi, value in row.fixed_inputs.items()
            },
        )
        for name, row in database.products.items()
    }
    defined_blocks = {}
    for name, row in database.blocks.items():
        new_name = block(name)
        defined_blocks[new_name] = dataclasses.replace(
            row,
            name=new_name,
            resource_types=tuple(sorted(resource_type(new_name, rt) for rt in row.resource_types)),
            depends_on=tuple(sorted(map(block, row.depends_on))),
            values={resource_type(new_name, rt): n for rt, n in row.values.items()},
            relations={block(b): n for b, n in row.relations.items()},
        )
    defined_resource_types = {
        in_place.get(name, name): dataclasses.replace(row, name=in_place.get(name, name))
        for name, row in database.resource_types.items()
    }
    return DefinedDomain(
        dict(sorted(products.items())),
        dict(sorted(defined_blocks.items())),
        dict(sorted(defined_resource_types.items())),
    )


def _resource_types(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: _Problems
) -> list[DomainChange]:
    fields: dict[str, Field] = {}
    for block in declared.blocks.values():
        for name, resource_type in block.resource_types.items():
            fields.setdefault(name, resource_type)
    changes = []
    for name, resource_type in sorted(fields.items()):
        if name in database.resource_types:
            continue
        given = options.resource_types.get(name)
        description = (given.description if given else None) or resource_type.description
        if description is None:
            problems.resource_types[name] = ('"..."', "")
        owners = ", ".join(f"block {block.name}" for block in declared.blocks.values() if name in block.resource_types)
        reason = f"a field of {owners}"
        changes.append(DomainChange("add", "resource_type", (name,), {"description": description}, reason))
    linked = {name for block in database.blocks.values() for name in block.resource_types}
    for name, row in sorted(database.resource_types.items()):
        if name in fields or name not in linked:
            continue  # declared, or linked to no block (never the plugin's; left as it is)
        discarded = sum(
            block.values.get(name, 0)
            for block in database.blocks.values()
            if f"{block.name}.{name}" in options.discard_values
        )
        if row.values > discarded:  # values on blocks whose values the options do not discard
            problems.in_use.append(f"resource type {name!r}: {row.values} subscription instance values")
        changes.append(
            DomainChange("remove", "resource_type", (name,), {"description": row.description}, "not in the code")
        )
    return changes


def _blocks(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: _Problems
) -> list[DomainChange]:
    changes = []
    for name, block in declared.blocks.items():
        row = database.blocks.get(name)
        if row is None:
            given = options.product_blocks.get(name)
            columns: dict[str, Value] = {
                "description": given.description if given else None,
                "tag": given.tag if given else None,
                "status": (given.status if given else None) or "active",
            }
            missing = {key: "..." for key in ("description", "tag") if columns[key] is None}
            if missing:
                problems.blocks[name] = missing
            changes.append(DomainChange("add", "product_block", (name,), columns, f"used by {_users(name, declared)}"))
        old_resource_types = set(row.resource_types) if row else set()
        for resource_type in block.resource_types:
            if resource_type not in old_resource_types:
                reason = f"a field of block {name}"
                changes.append(DomainChange("add", "block_resource_type", (name, resource_type), {}, reason))
        for depends_on in block.depends_on:
            if row is None or depends_on not in row.depends_on:
                reason = f"a field of block {name}"
                changes.append(DomainChange("add", "block_relation", (name, depends_on), {}, reason))
        if row is not None:
            changes += _removed_from_block(
                name, block.resource_types, block.depends_on, database, problems, options.discard_values
            )
    for name, row in sorted(database.blocks.items()):
        if name in declared.blocks:
            continue
        if row.instances:
            problems.in_use.append(f"product block {name!r}: {row.instances} subscription instances")
        columns = {"description": row.description, "tag": row.tag, "status": row.status}
        changes.append(DomainChange("remove", "product_block", (name,), columns, "not in the code"))
        changes += _removed_from_block(name, {}, (), database, problems)
    return changes


def _subscription_data(
    declared: DeclaredDomain,
    database: DefinedDomain,
    options: Options,
    changes: list[DomainChange],
    problems: _Problems,
) -> list[DomainChange]:
    """What existing subscriptions need so that orchestrator-core still loads them: an instance for each
    required block field that a product or block gains (and, in those, for their own required block
    fields), and a value for each field new to a block or on a new instance, where one is known. The
    revision decides at upgrade time which subscriptions and instances lack them."""
    added: set[tuple[str, tuple[str, ...]]] = {(c.kind, c.key) for c in changes if c.action == "add"}
    data: dict[tuple[str, tuple[str, ...]], DomainChange] = {}
    instances_here: dict[str, int] = {}  # block -> the instances this revision creates in this database
    pending: list[str] = []  # blocks that get new instances, whose own required fields need them too

    depth = _depths(declared)

    def create(kind: str, key: tuple[str, ...], block: str, count: int, reason: str) -> None:
        if (kind, key) not in data:  # a block's instances are made before the instances of its own fields
            rank = depth.get(key[0], 0) if kind == "child_instance" else 0
            data[kind, key] = DomainChange("add", kind, key, {}, reason, rank=rank)
            pending.append(block)
        instances_here[block] = instances_here.get(block, 0) + count

    for name, product in declared.products.items():
        for attr, block in _required_blocks(product.block_fields):
            if ("product_block_link", (name, block)) in added:
                subscriptions = row.subscriptions if (row := database.products.get(name)) else 0
                reason = f"required field {attr} of product type {product.product_type}: one per subscription"
                create("root_instance", (name, attr, block), block, subscriptions, reason)
    for name, user in declared.blocks.items():
        for attr, block in _required_blocks(user.block_fields):
            if ("block_relation", (name, block)) in added:
                instances = used.instances if (used := database.blocks.get(name)) else 0
                reason = f"required field {attr} of block {name}: one per instance of block {name}"
                create("child_instance", (name, attr, block), block, instances, reason)
    seen: set[str] = set()
    while pending:  # the required block fields of blocks that get new instances, recursively
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        for attr, block in _required_blocks(declared.blocks[name].block_fields):
            reason = f"required field {attr} of block {name}: one per new instance of block {name}"
            create("child_instance", (name, attr, block), block, instances_here.get(name, 0), reason)
    for kind, key in sorted(added):
        if kind == "block_resource_type":
            _instance_value(key[0], key[1], declared, database, options, problems, data, instances_here)
    for name in sorted(seen):  # the fields of new instances: required ones need a value, others get defaults
        for resource_type in declared.blocks[name].resource_types:
            _instance_value(name, resource_type, declared, database, options, problems, data, instances_here)
    return list(data.values())


def _depths(declared: DeclaredDomain) -> dict[str, int]:
    """Each block's place in the chains of required block fields from the products down: a block comes
    after every block whose required field it fills (its instances are made first)."""
    depths: dict[str, int] = {}

    def visit(block: str, depth: int, path: frozenset[str]) -> None:
        if block in path or depths.get(block, -1) >= depth:
            return  # a required cycle cannot be instantiated anyway; a deeper place is known already
        depths[block] = depth
        for _, used in _required_blocks(declared.blocks[block].block_fields if block in declared.blocks else ()):
            visit(used, depth + 1, path | {block})

    for product in declared.products.values():
        for _, block in _required_blocks(product.block_fields):
            visit(block, 0, frozenset())
    for block in declared.blocks:
        visit(block, 0, frozenset())
    return depths


def _required_blocks(block_fields: Iterable[BlockField]) -> list[tuple[str, str]]:
    """(attr, block) of the fields that need exactly one instance of one concrete block. An abstract
    field (several blocks) is not filled: which block to create is the code's to say (a known limit)."""
    return [(f.attr, f.blocks[0]) for f in block_fields if f.required and len(f.blocks) == 1]


def _instance_value(
    block: str,
    resource_type: str,
    declared: DeclaredDomain,
    database: DefinedDomain,
    options: Options,
    problems: _Problems,
    data: dict[tuple[str, tuple[str, ...]], DomainChange],
    instances_here: Mapping[str, int],
) -> None:
    """The values of ``resource_type`` that the instances of ``block`` lacking one get (or, for a required
    field without a known value, a check that none lacks one)."""
    if ("instance_value", (block, resource_type)) in data:
        return
    spec = declared.blocks[block].resource_types[resource_type]
    values = _backfill_value(block, resource_type, spec, options, problems)
    if values is None and not spec.required:
        return
    row = database.blocks.get(block)
    new_here = resource_type not in (row.resource_types if row else ())
    lacking = (row.instances if row is not None and new_here else 0) + instances_here.get(block, 0)
    if values is None and lacking:
        why = f"value for {lacking} existing {block} instances"
        problems.resource_types[resource_type] = _resource_type_option(resource_type, database, options, spec, why)
    reason = f"a field of block {block}" + ("" if values is None else f"; instances lacking one get {_shown(values)}")
    columns: dict[str, Value] = {"values": None if values is None else list(values), "needs_value": values is None}
    data["instance_value", (block, resource_type)] = DomainChange(
        "add", "instance_value", (block, resource_type), columns, reason
    )


def _removed_from_block(
    name: str,
    resource_types: Iterable[str],
    depends_on: Iterable[str],
    database: DefinedDomain,
    problems: _Problems,
    discarded: Iterable[str] = (),
) -> list[DomainChange]:
    """The resource types and relations of a database block that the code no longer gives it."""
    row = database.blocks[name]
    changes = []
    for resource_type in sorted(set(row.resource_types) - set(resource_types)):
        discard = f"{name}.{resource_type}" in discarded
        values = row.values.get(resource_type, 0)
        if values and not discard:
            problems.in_use.append(
                f"resource type {resource_type!r} of product block {name!r}: {values} values (to delete them "
                f"deliberately: {PREFIX}discard_values=[{_quoted(f'{name}.{resource_type}')}])"
            )
        reason = "not a field of the block in the code"
        if discard:
            reason += f"; {PREFIX}discard_values: its values are deleted and a downgrade does not bring them back"
        changes.append(
            DomainChange("remove", "block_resource_type", (name, resource_type), {"discard": discard}, reason)
        )
    for used in sorted(set(row.depends_on) - set(depends_on)):
        if row.relations.get(used):
            problems.in_use.append(
                f"product block relation {name!r} -> {used!r}: {row.relations[used]} subscription instance relations"
            )
        changes.append(DomainChange("remove", "block_relation", (name, used), {}, "not in the code"))
    return changes


def _products(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: _Problems
) -> list[DomainChange]:
    changes = []
    for name, product in declared.products.items():
        row = database.products.get(name)
        given = options.products.get(name)
        if row is None:
            same_type = [p for p in database.products.values() if p.product_type == product.product_type]
            columns: dict[str, Value] = {
                "product_type": product.product_type,
                "description": (given.description if given else None) or _agreed(same_type, "description"),
                "tag": (given.tag if given else None) or _agreed(same_type, "tag"),
                "status": (given.status if given else None) or "active",
            }
            missing = {key: "..." for key in ("description", "tag") if columns[key] is None}
            if missing:
                problems.products.setdefault(name, {}).update(missing)
            changes.append(DomainChange("add", "product", (name,), columns, "in SUBSCRIPTION_MODEL_REGISTRY"))
        if row is not None and row.product_type != product.product_type:
            reason = "its SUBSCRIPTION_MODEL_REGISTRY class was renamed; workflow links kept"
            columns = {"new": product.product_type, "was": row.product_type}
            changes.append(DomainChange("update", "product_type", (name,), columns, reason))
        for block in product.blocks:
            if row is None or block not in row.blocks:
                reason = f"a field of product type {product.product_type}"
                changes.append(DomainChange("add", "product_block_link", (name, block), {}, reason))
        for fixed_input, spec in product.fixed_inputs.items():
            if row is not None and fixed_input in row.fixed_inputs:
                continue
            value = _fixed_input_value(fixed_input, spec, given.fixed_inputs if given else {})
            if value is None:
                hint = f"one of {', '.join(map(repr, spec.allowed))}" if spec.allowed else "..."
                problems.products.setdefault(name, {})[f"fixed_inputs.{fixed_input}"] = hint
            elif (refusal := spec.refusal((value,))) is not None:
                problems.invalid.append(
                    f"fixed input {fixed_input!r} of product {name!r} ({product.product_type}.{fixed_input}: "
                    f"{spec.type_name}) = {value!r}: {refusal}"
                )
            reason = f"a field of product type {product.product_type}"
            changes.append(DomainChange("add", "fixed_input", (name, fixed_input), {"value": value}, reason))
        if row is not None:
            changes += _removed_from_product(row, product.blocks, product.fixed_inputs, problems)
    for name, row in sorted(database.products.items()):
        if name in declared.products:
            continue
        if row.subscriptions:
            problems.in_use.append(f"product {name!r}: {row.subscriptions} subscriptions{_per_status(row)}")
        columns = {
            "product_type": row.product_type,
            "description": row.description,
            "tag": row.tag,
            "status": row.status,
        }
        changes.append(DomainChange("remove", "product", (name,), columns, "not in SUBSCRIPTION_MODEL_REGISTRY"))
        changes += _removed_from_product(row, (), {}, problems, check=False)
    return changes


def _removed_from_product(
    row: DefinedProduct, blocks: Iterable[str], fixed_inputs: Iterable[str], problems: _Problems, check: bool = True
) -> list[DomainChange]:
    changes = []
    for block in sorted(set(row.blocks) - set(blocks)):
        if check and row.block_instances.get(block):
            problems.in_use.append(
                f"product block {block!r} of product {row.name!r}: {row.block_instances[block]} subscription instances"
            )
        changes.append(DomainChange("remove", "product_block_link", (row.name, block), {}, "not in the code"))
    for fixed_input in sorted(set(row.fixed_inputs) - set(fixed_inputs)):  # no subscription stores one
        changes.append(
            DomainChange(
                "remove",
                "fixed_input",
                (row.name, fixed_input),
                {"value": row.fixed_inputs[fixed_input]},
                "not in the code",
            )
        )
    return changes


def _users(block: str, declared: DeclaredDomain) -> str:
    """The products and blocks that use a block, for people."""
    users = [f"product {name}" for name, product in declared.products.items() if block in product.blocks]
    users += [f"block {name}" for name, other in declared.blocks.items() if block in other.depends_on]
    return ", ".join(users)


def _agreed(products: list[DefinedProduct], column: str) -> str | None:
    """The value every existing product of a type has in ``column``, if they all agree."""
    values = {getattr(product, column) for product in products}
    return values.pop() if len(values) == 1 else None


def _fixed_input_value(name: str, spec: Field, given: Mapping[str, str]) -> str | None:
    if name in given:
        return given[name]
    if spec.allowed is not None and len(spec.allowed) == 1:
        return spec.allowed[0]
    return spec.default[0] if spec.default else None


def _backfill_value(block: str, name: str, spec: Field, options: Options, problems: _Problems) -> Stored | None:
    """The rows existing instances of ``block`` get for a resource type (checked against the field's type):
    ``wfplugin_resource_types["Block.name"]``, else ``[name]``, else the only value its type allows, else the
    field's default."""
    where, given = next(
        (
            (f"{PREFIX}resource_types[{key!r}]['value']", options.resource_types[key].value)
            for key in (f"{block}.{name}", name)
            if key in options.resource_types and options.resource_types[key].value is not None
        ),
        (None, None),
    )
    field_name = f"resource type {name!r} of block {block!r} ({spec.type_name})"
    if given is not None:
        if isinstance(given, str) == spec.is_list:
            shape = "a list" if spec.is_list else "one value, not a list"
            problems.invalid.append(f"{field_name}: {where} is {_shown(given)}; the field holds {shape}")
            return None
        stored: Stored | None = (given,) if isinstance(given, str) else given
        source = where
    elif spec.allowed is not None and len(spec.allowed) == 1:
        stored, source = (spec.allowed[0],), "the only value its type allows"
    else:
        stored, source = spec.default, "the field's default"
    if stored is not None and (refusal := spec.refusal(stored)) is not None:
        problems.invalid.append(f"{field_name}: {_shown(stored, spec.is_list)} from {source}: {refusal}")
        return None
    return stored


def _unstorable_strings(changes: Iterable[DomainChange]) -> list[str]:
    """Every string an addition writes that its column cannot hold: too long, a NUL (PostgreSQL text
    has none) or a lone surrogate (not encodable as UTF-8)."""
    problems = []
    for change in changes:
        if change.action == "remove":
            continue
        table, key_columns, columns = STORED_IN[change.kind]
        key_columns = (key_columns[0],) if change.action == "rename" else key_columns
        names = change.key[-len(key_columns) :]  # a rename: its new name
        texts = [(column, text) for column, text in zip(key_columns, names, strict=True) if column]
        for name, column in columns.items():
            value = change.columns.get(name)
            texts += [
                (column, item) for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)
            ]
        for column, text in texts:
            problem = _unstorable(text, COLUMN_LENGTHS.get(f"{table}.{column}"))
            if problem is not None:
                problems.append(f"{change.describe()}: {table}.{column} {problem}: {text[:60]!r}")
    return problems


def _unstorable(text: str, length: int | None) -> str | None:
    if length is not None and len(text) > length:
        return f"holds at most {length} characters, this has {len(text)}"
    if "\x00" in text:
        return "cannot hold a NUL character"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "cannot hold a lone surrogate (not encodable as UTF-8)"
    return None


def _shown(value: str | Stored | None, is_list: bool = True) -> str:
    """A value for people: a list field's rows as a list, a scalar's one row as the string."""
    if isinstance(value, tuple) and not is_list and len(value) == 1:
        return repr(value[0])
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def _per_status(row: DefinedProduct) -> str:
    """`` (2 active, 1 terminated)``: orchestrator-core keeps terminated subscriptions, and they count."""
    if not row.statuses:
        return ""
    return " (" + ", ".join(f"{count} {status}" for status, count in sorted(row.statuses.items())) + ")"


def _resource_type_option(
    name: str, database: DefinedDomain, options: Options, spec: Field, why: str
) -> tuple[str, str]:
    given = options.resource_types.get(name)
    description = (given.description if given else None) or spec.description
    if description is None and name in database.resource_types:
        description = database.resource_types[name].description
    return f'{{"description": {_quoted(description or "...")}, "value": "..."}}', why


def _products_after(
    database: DefinedDomain, additions: Iterable[DomainChange], removals: Iterable[DomainChange]
) -> tuple[Product, ...]:
    products = {name: Product(name, row.product_type, row.tag, row.status) for name, row in database.products.items()}
    for change in removals:
        if change.kind == "product":
            del products[change.key[0]]
    for change in additions:
        if change.kind == "product_type":
            products[change.key[0]] = dataclasses.replace(
                products[change.key[0]], product_type=str(change.columns["new"])
            )
        if change.kind == "product" and change.action == "add":
            products[change.key[0]] = Product(
                change.key[0],
                str(change.columns["product_type"]),
                str(change.columns["tag"]),
                str(change.columns["status"]),
            )
    return tuple(products[name] for name in sorted(products))


def _guard_mass_removal(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> None:
    """An empty or nearly empty registry is almost always a missing ``import products``."""
    removed = [name for name in database.products if name not in declared.products]
    total = len(database.products)
    if options.allow_removing_all or not removed:
        return
    if len(removed) == total or (total >= 4 and 2 * len(removed) > total):
        raise WorkflowPluginError(
            f"This revision would remove {len(removed)} of the database's {total} products "
            f"({', '.join(map(repr, sorted(removed)[:5]))}{', ...' if len(removed) > 5 else ''}): "
            "SUBSCRIPTION_MODEL_REGISTRY has almost none of them. Usually the application's products package "
            "was not imported before autogenerate: import it in main.py, or name it in "
            f"{PREFIX}import_modules. If the removal is intended, set {PREFIX}allow_removing_all=True."
        )


def _unknown_names(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> list[str]:
    """Option entries for names in neither the code nor the database: a typo, or left over from an
    object that a revision removed (so not an error by itself)."""
    unknown = []
    resource_types = {name for block in declared.blocks.values() for name in block.resource_types}
    # "Block.field": a field of a block, in the code or in the database
    fields = {f"{block.name}.{name}" for block in declared.blocks.values() for name in block.resource_types}
    fields |= {f"{block.name}.{name}" for block in database.blocks.values() for name in block.resource_types}
    for option, names, known in (
        ("products", options.products, {*declared.products, *database.products}),
        ("product_blocks", options.product_blocks, {*declared.blocks, *database.blocks}),
        ("resource_types", options.resource_types, {*resource_types, *database.resource_types, *fields}),
        ("discard_values", options.discard_values, fields),
    ):
        for name in sorted(set(names) - known):
            unknown.append(f"{PREFIX}{option}[{name!r}]{did_you_mean(name, known)}")
    return unknown


def _check_option_values(declared: DeclaredDomain, options: Options) -> None:
    problems = []
    with_status: list[tuple[str, Mapping[str, ProductValues | BlockValues]]] = [
        ("products", options.products),
        ("product_blocks", options.product_blocks),
    ]
    for option, objects in with_status:
        for name, given in sorted(objects.items()):
            if given.status is not None and given.status not in PRODUCT_STATUSES:
                statuses = ", ".join(map(repr, PRODUCT_STATUSES))
                problems.append(f"{PREFIX}{option}[{name!r}]['status'] is {given.status!r}; one of {statuses}")
    for name, values in sorted(options.products.items()):
        if values.tag is not None and len(values.tag) > TAG_LENGTH:
            problems.append(f"{PREFIX}products[{name!r}]['tag'] is longer than {TAG_LENGTH} characters")
        product = declared.products.get(name)
        for fixed_input, value in sorted(values.fixed_inputs.items()):
            spec = product.fixed_inputs.get(fixed_input) if product else None
            if product is not None and spec is None:
                problems.append(
                    f"{PREFIX}products[{name!r}]['fixed_inputs'][{fixed_input!r}]: {product.product_type} has no such "
                    f"field{did_you_mean(fixed_input, product.fixed_inputs)}"
                )
            elif spec is not None and spec.allowed is not None and value not in spec.allowed:
                problems.append(
                    f"{PREFIX}products[{name!r}]['fixed_inputs'][{fixed_input!r}] is {value!r}; its type allows "
                    f"{', '.join(map(repr, spec.allowed))}"
                )
    for name, block_values in sorted(options.product_blocks.items()):
        if block_values.tag is not None and len(block_values.tag) > TAG_LENGTH:
            problems.append(f"{PREFIX}product_blocks[{name!r}]['tag'] is longer than {TAG_LENGTH} characters")
    if problems:
        raise WorkflowPluginError(
            "Invalid domain model options in context.configure():\n  - " + "\n  - ".join(problems)
        )


def _missing_values_message(problems: _Problems) -> str:
    """The exact option text to add to ``context.configure(...)``."""
    lines = [
        "Domain models: the code does not say these values of new objects. Add them to context.configure(...) "
        "in migrations/env.py (merging with what is there), then run autogenerate again:"
    ]
    if problems.products:
        lines.append(f"    {PREFIX}products={{")
        for name, missing in sorted(problems.products.items()):
            fixed = {key.split(".", 1)[1]: hint for key, hint in missing.items() if key.startswith("fixed_inputs.")}
            parts = [f'"{key}": "..."' for key in ("description", "tag") if key in missing]
            if fixed:
                parts.append('"fixed_inputs": {' + ", ".join(f'{_quoted(key)}: "..."' for key in sorted(fixed)) + "}")
            notes = [f"{key}: {hint}" for key, hint in sorted(fixed.items()) if hint != "..."]
            lines.append(
                f"        {_quoted(name)}: {{{', '.join(parts)}}},{'  # ' + '; '.join(notes) if notes else ''}"
            )
        lines.append("    },")
    if problems.blocks:
        lines.append(f"    {PREFIX}product_blocks={{")
        for name, missing in sorted(problems.blocks.items()):
            values = ", ".join(f'{_quoted(key)}: "..."' for key in missing)
            lines.append(f"        {_quoted(name)}: {{{values}}},")
        lines.append("    },")
    if problems.resource_types:
        lines.append(f"    {PREFIX}resource_types={{")
        for name, (text, why) in sorted(problems.resource_types.items()):
            lines.append(f"        {_quoted(name)}: {text},{'  # ' + why if why else ''}")
        lines.append("    },")
    return "\n".join(lines)


def _quoted(text: str) -> str:
    """A double-quoted Python string literal, as the option text in env.py is written."""
    return json.dumps(text, ensure_ascii=False)
