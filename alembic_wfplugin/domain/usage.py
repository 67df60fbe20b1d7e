"""Which objects' usage (subscriptions, instances, values, instance relations) a comparison needs counted:
those a change may touch. Pure: from the code and the registry's shape alone, no counts.

Counting is what costs on a production-sized database (every subscription, instance, value and relation
of the objects counted), and the counts matter only where a revision removes an object (its guard) or
writes subscription data (instances a new required block field needs, values of a new resource type). So
only objects whose shape differs from the code are counted, with the objects next to them (a product's
root blocks, a block's resource types and the blocks it uses): more than the diff reads, never less (the
property tests hold the diff on these counts equal to the diff on all of them). An unchanged registry
needs none."""

from __future__ import annotations

from collections.abc import Iterable

from alembic_wfplugin.domain.model import DeclaredDomain, DefinedDomain, UsageRequest
from alembic_wfplugin.options import Options


def usage_needed(declared: DeclaredDomain, shape: DefinedDomain, options: Options) -> UsageRequest:
    """The objects of ``shape`` (the registry as read, without counts) whose usage the diff may read."""
    products = _products_touched(declared, shape)
    blocks = _blocks_touched(declared, shape, products, options)
    declared_rts = {rt for code in declared.blocks.values() for rt in code.resource_types}
    resource_types = {name for name in shape.resource_types if name not in declared_rts}
    resource_types |= {rt for name in blocks if name in shape.blocks for rt in shape.blocks[name].resource_types}
    resource_types |= set(options.renames.get("resource_types", {}))
    return UsageRequest(
        _known(products, shape.products), _known(blocks, shape.blocks), _known(resource_types, shape.resource_types)
    )


def _products_touched(declared: DeclaredDomain, shape: DefinedDomain) -> set[str]:
    """Products the code does not declare, or declares with other root blocks, fixed inputs or type."""
    touched = set()
    for name, row in shape.products.items():
        code = declared.products.get(name)
        if (
            code is None
            or code.product_type != row.product_type
            or set(code.blocks) != set(row.blocks)
            or set(code.fixed_inputs) != set(row.fixed_inputs)
        ):
            touched.add(name)
    return touched


def _blocks_touched(declared: DeclaredDomain, shape: DefinedDomain, products: set[str], options: Options) -> set[str]:
    """Blocks the code does not declare or declares otherwise; the root blocks of touched and new products;
    the blocks that touched blocks use and that use them (a required block gets an instance per user)."""
    touched = {block for name in products for block in shape.products[name].blocks}
    for name, product in declared.products.items():
        if name not in shape.products or name in products:
            touched.update(product.blocks)
    for name, row in shape.blocks.items():
        code = declared.blocks.get(name)
        if (
            code is None
            or set(code.resource_types) != set(row.resource_types)
            or set(code.depends_on) != set(row.depends_on)
        ):
            touched.add(name)
    for name, block in declared.blocks.items():
        if name not in shape.blocks:
            touched.update(block.depends_on)
    touched.update(key.rpartition(".")[0] for key in options.discard_values)
    touched.update(key.rpartition(".")[0] for key in options.renames.get("resource_types", {}) if "." in key)
    users = {name for name, row in shape.blocks.items() if set(row.depends_on) & touched}
    used = {d for name in touched if name in shape.blocks for d in shape.blocks[name].depends_on}
    used |= {d for name in touched if name in declared.blocks for d in declared.blocks[name].depends_on}
    return touched | users | used


def _known(names: Iterable[str], present: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(names) & set(present)))
