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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from alembic_wfplugin.domain.guards import check_option_values, guard_mass_removal, unknown_names, unstorable_strings
from alembic_wfplugin.domain.model import (
    BlockField,
    DeclaredDomain,
    DefinedDomain,
    DefinedProduct,
    DomainChange,
    Field,
    Stored,
)
from alembic_wfplugin.domain.problems import Problems
from alembic_wfplugin.domain.renames import renamed, stated_renames
from alembic_wfplugin.options import PREFIX, Options
from alembic_wfplugin.products import Product
from alembic_wfplugin.pysource import Value, py_str


@dataclass(frozen=True)
class DomainDiff:
    additions: tuple[DomainChange, ...]  # run before the workflow changes
    removals: tuple[DomainChange, ...]  # run after them (a product's workflow links go first)
    products: tuple[Product, ...]  # the products once the revision has run, for the workflow diff
    unknown: tuple[str, ...] = ()  # options naming nothing in the code or the database: warnings
    renamed_products: Mapping[str, str] = field(default_factory=dict)  # old name -> new name


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
    renames = stated_renames(declared, database, options)
    database = renamed(database, renames)
    guard_mass_removal(declared, database, options)
    check_option_values(declared, options)
    problems = Problems(unknown=unknown_names(declared, database, options))
    changes: list[DomainChange] = []
    changes += _resource_types(declared, database, options, problems)
    changes += _blocks(declared, database, options, problems)
    changes += _products(declared, database, options, problems)
    changes += _subscription_data(declared, database, options, changes, problems)
    changes += renames
    problems.invalid += unstorable_strings(changes)
    problems.raise_if_any()
    additions = sorted((c for c in changes if c.action != "remove"), key=lambda c: c.sort_key)
    removals = sorted((c for c in changes if c.action == "remove"), key=lambda c: c.sort_key)
    products = _products_after(DefinedDomain({**database.products, **kept}, {}, {}), additions, removals)
    renamed_products = {c.key[0]: c.key[1] for c in renames if c.kind == "product"}
    return DomainDiff(tuple(additions), tuple(removals), products, tuple(problems.unknown), renamed_products)


def _resource_types(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: Problems
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
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: Problems
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
    problems: Problems,
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
    problems: Problems,
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
    problems: Problems,
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
                f"deliberately: {PREFIX}discard_values=[{py_str(f'{name}.{resource_type}')}])"
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
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: Problems
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
    row: DefinedProduct, blocks: Iterable[str], fixed_inputs: Iterable[str], problems: Problems, check: bool = True
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


def _backfill_value(block: str, name: str, spec: Field, options: Options, problems: Problems) -> Stored | None:
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
    return f'{{"description": {py_str(description or "...")}, "value": "..."}}', why


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
