"""The database side of domain models, in two statements at most: the registry's shape (products, product
blocks, resource types and how they are linked: catalogue-sized, whatever the number of subscriptions),
then, only for the objects a change touches (``usage.needed``), how many subscriptions, instances, values
and instance relations use them. An unchanged registry reads no subscription data at all."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_wfplugin.domain.model import (
    DefinedBlock,
    DefinedDomain,
    DefinedProduct,
    DefinedResourceType,
    UsageRequest,
)

# [[name, product_type, description, tag, status, {fixed input: value}, [root blocks]], ...],
# [[name, description, tag, status, [resource types], [depends on]], ...], [[resource type, description], ...]
SHAPE_QUERY = sa.text(
    """
    SELECT json_build_array(
        (SELECT coalesce(json_agg(json_build_array(
                    p.name, p.product_type, p.description, p.tag, p.status,
                    coalesce((SELECT json_object_agg(fi.name, fi.value ORDER BY fi.name) FROM fixed_inputs AS fi
                              WHERE fi.product_id = p.product_id), '{}'),
                    coalesce((SELECT json_agg(b.name ORDER BY b.name) FROM product_product_blocks AS ppb
                              JOIN product_blocks AS b USING (product_block_id)
                              WHERE ppb.product_id = p.product_id), '[]'))
                 ORDER BY p.name), '[]')
         FROM products AS p),
        (SELECT coalesce(json_agg(json_build_array(
                    b.name, b.description, b.tag, b.status,
                    coalesce((SELECT json_agg(rt.resource_type ORDER BY rt.resource_type)
                              FROM product_block_resource_types AS pbrt
                              JOIN resource_types AS rt USING (resource_type_id)
                              WHERE pbrt.product_block_id = b.product_block_id), '[]'),
                    coalesce((SELECT json_agg(d.name ORDER BY d.name) FROM product_block_relations AS pbr
                              JOIN product_blocks AS d ON d.product_block_id = pbr.depends_on_id
                              WHERE pbr.in_use_by_id = b.product_block_id), '[]'))
                 ORDER BY b.name), '[]')
         FROM product_blocks AS b),
        (SELECT coalesce(json_agg(json_build_array(rt.resource_type, rt.description) ORDER BY rt.resource_type), '[]')
         FROM resource_types AS rt)
    )::text
    """
)

# For the objects named: products -> [{status: subscriptions}, {root block: its instances in them}];
# blocks -> [instances, {resource type: values on them}, {block used: instance relations}];
# resource types -> values. Each count an index-driven scan of what uses that one object.
USAGE_QUERY = sa.text(
    """
    SELECT json_build_array(
        (SELECT coalesce(json_object_agg(p.name, json_build_array(
                    coalesce((SELECT json_object_agg(status, n) FROM (
                                  SELECT s.status, count(*) AS n FROM subscriptions AS s
                                  WHERE s.product_id = p.product_id GROUP BY s.status) AS per_status), '{}'),
                    coalesce((SELECT json_object_agg(b.name, (
                                  SELECT count(*) FROM subscription_instances AS si
                                  JOIN subscriptions AS s USING (subscription_id)
                                  WHERE s.product_id = p.product_id AND si.product_block_id = b.product_block_id))
                              FROM product_product_blocks AS ppb JOIN product_blocks AS b USING (product_block_id)
                              WHERE ppb.product_id = p.product_id), '{}'))), '{}')
         FROM products AS p WHERE p.name = ANY(CAST(:products AS text[]))),
        (SELECT coalesce(json_object_agg(b.name, json_build_array(
                    (SELECT count(*) FROM subscription_instances AS si WHERE si.product_block_id = b.product_block_id),
                    coalesce((SELECT json_object_agg(rt.resource_type, (
                                  SELECT count(*) FROM subscription_instance_values AS v
                                  JOIN subscription_instances AS si USING (subscription_instance_id)
                                  WHERE v.resource_type_id = rt.resource_type_id
                                  AND si.product_block_id = b.product_block_id))
                              FROM product_block_resource_types AS pbrt
                              JOIN resource_types AS rt USING (resource_type_id)
                              WHERE pbrt.product_block_id = b.product_block_id), '{}'),
                    coalesce((SELECT json_object_agg(d.name, (
                                  SELECT count(*) FROM subscription_instance_relations AS r
                                  JOIN subscription_instances AS user_si
                                  ON user_si.subscription_instance_id = r.in_use_by_id
                                  JOIN subscription_instances AS used_si
                                  ON used_si.subscription_instance_id = r.depends_on_id
                                  WHERE user_si.product_block_id = b.product_block_id
                                  AND used_si.product_block_id = d.product_block_id))
                              FROM product_block_relations AS pbr
                              JOIN product_blocks AS d ON d.product_block_id = pbr.depends_on_id
                              WHERE pbr.in_use_by_id = b.product_block_id), '{}'))), '{}')
         FROM product_blocks AS b WHERE b.name = ANY(CAST(:blocks AS text[]))),
        (SELECT coalesce(json_object_agg(rt.resource_type, (
                    SELECT count(*) FROM subscription_instance_values AS v
                    WHERE v.resource_type_id = rt.resource_type_id)), '{}')
         FROM resource_types AS rt WHERE rt.resource_type = ANY(CAST(:resource_types AS text[])))
    )::text
    """
)


def read_shape(connection: Connection) -> str:
    """The registry's shape as the database's JSON text (what the comparison cache fingerprints)."""
    text: str = connection.execute(SHAPE_QUERY).scalar_one()
    return text


def parse_shape(shape: str) -> DefinedDomain:
    """The registry with every usage count 0 (``with_usage`` adds the counts of the objects a change needs)."""
    products_rows: list[list[Any]]
    blocks_rows: list[list[Any]]
    products_rows, blocks_rows, resource_type_rows = json.loads(shape)
    products = {
        name: DefinedProduct(name, product_type, description, tag, status, fixed_inputs, tuple(blocks), 0)
        for name, product_type, description, tag, status, fixed_inputs, blocks in products_rows
    }
    blocks = {
        name: DefinedBlock(name, description, tag, status, tuple(resource_types), tuple(depends_on), 0)
        for name, description, tag, status, resource_types, depends_on in blocks_rows
    }
    resource_types = {name: DefinedResourceType(name, description, 0) for name, description in resource_type_rows}
    return DefinedDomain(products, blocks, resource_types)


def read_usage(connection: Connection, request: UsageRequest) -> str:
    """The usage counts of the objects ``request`` names, as the database's JSON text (one statement)."""
    params = {
        "products": list(request.products),
        "blocks": list(request.blocks),
        "resource_types": list(request.resource_types),
    }
    text: str = connection.execute(USAGE_QUERY, params).scalar_one()
    return text


def with_usage(shape: DefinedDomain, usage: str) -> DefinedDomain:
    """``shape`` with the counts ``read_usage`` read."""
    product_counts: dict[str, list[Any]]
    block_counts: dict[str, list[Any]]
    resource_type_counts: dict[str, int]
    product_counts, block_counts, resource_type_counts = json.loads(usage)
    products = dict(shape.products)
    for name, (statuses, block_instances) in product_counts.items():
        products[name] = dataclasses.replace(
            products[name],
            subscriptions=sum(statuses.values()),
            block_instances=block_instances,
            statuses=statuses,
        )
    blocks = dict(shape.blocks)
    for name, (instances, values, relations) in block_counts.items():
        blocks[name] = dataclasses.replace(blocks[name], instances=instances, values=values, relations=relations)
    resource_types = dict(shape.resource_types)
    for name, values in resource_type_counts.items():
        resource_types[name] = dataclasses.replace(resource_types[name], values=values)
    return DefinedDomain(products, blocks, resource_types)


def everything(shape: DefinedDomain) -> UsageRequest:
    """Every object of ``shape``: to count all usage (the reference the tests hold ``usage.usage_needed`` to)."""
    return UsageRequest(tuple(shape.products), tuple(shape.blocks), tuple(shape.resource_types))
