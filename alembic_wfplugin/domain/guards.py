"""The pure core's checks on what a domain revision would be made of, before any change is written:
strings the columns cannot hold, a mass removal that is likely a missing import, options that name
nothing, option values that cannot be stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from alembic_wfplugin.domain.model import PRODUCT_STATUSES, DeclaredDomain, DefinedDomain, DomainChange
from alembic_wfplugin.errors import WorkflowPluginError, listed, unstorable
from alembic_wfplugin.options import PREFIX, BlockValues, Options, ProductValues, did_you_mean

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


def unstorable_strings(changes: Iterable[DomainChange]) -> list[str]:
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
    problem = unstorable(text)
    return f"holds {problem}" if problem else None


def guard_mass_removal(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> None:
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


def unknown_names(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> list[str]:
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


def check_option_values(declared: DeclaredDomain, options: Options) -> None:
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
        raise WorkflowPluginError(listed("Invalid domain model options in context.configure()", problems))
