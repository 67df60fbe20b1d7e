"""The database side: products, product blocks and resource types with what uses them, in three queries
(each a single pass over its tables, whatever the registry's size)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from alembic_wfplugin.domain.model import DefinedBlock, DefinedDomain, DefinedProduct, DefinedResourceType

PRODUCTS_QUERY = sa.text(
    """
    SELECT p.name, p.product_type, p.description, p.tag, p.status,
           coalesce((SELECT json_object_agg(fi.name, fi.value) FROM fixed_inputs AS fi
                     WHERE fi.product_id = p.product_id), '{}') AS fixed_inputs,
           coalesce((SELECT json_object_agg(b.name, (
                        SELECT count(*) FROM subscription_instances AS si
                        JOIN subscriptions AS s USING (subscription_id)
                        WHERE s.product_id = p.product_id AND si.product_block_id = b.product_block_id))
                     FROM product_product_blocks AS ppb JOIN product_blocks AS b USING (product_block_id)
                     WHERE ppb.product_id = p.product_id), '{}') AS blocks,
           (SELECT count(*) FROM subscriptions AS s WHERE s.product_id = p.product_id) AS subscriptions,
           coalesce((SELECT json_object_agg(status, n) FROM (
                        SELECT s.status, count(*) AS n FROM subscriptions AS s
                        WHERE s.product_id = p.product_id GROUP BY s.status) AS per_status), '{}') AS statuses
    FROM products AS p ORDER BY p.name
    """
)
BLOCKS_QUERY = sa.text(
    """
    SELECT b.name, b.description, b.tag, b.status,
           coalesce((SELECT json_object_agg(rt.resource_type, (
                        SELECT count(*) FROM subscription_instance_values AS v
                        JOIN subscription_instances AS si USING (subscription_instance_id)
                        WHERE v.resource_type_id = rt.resource_type_id AND si.product_block_id = b.product_block_id))
                     FROM product_block_resource_types AS pbrt JOIN resource_types AS rt USING (resource_type_id)
                     WHERE pbrt.product_block_id = b.product_block_id), '{}') AS resource_types,
           coalesce((SELECT json_object_agg(d.name, (
                        SELECT count(*) FROM subscription_instance_relations AS r
                        JOIN subscription_instances AS user_si ON user_si.subscription_instance_id = r.in_use_by_id
                        JOIN subscription_instances AS used_si ON used_si.subscription_instance_id = r.depends_on_id
                        WHERE user_si.product_block_id = b.product_block_id
                        AND used_si.product_block_id = d.product_block_id))
                     FROM product_block_relations AS pbr
                     JOIN product_blocks AS d ON d.product_block_id = pbr.depends_on_id
                     WHERE pbr.in_use_by_id = b.product_block_id), '{}') AS depends_on,
           (SELECT count(*) FROM subscription_instances AS si
            WHERE si.product_block_id = b.product_block_id) AS instances
    FROM product_blocks AS b ORDER BY b.name
    """
)
RESOURCE_TYPES_QUERY = sa.text(
    """
    SELECT rt.resource_type, rt.description,
           (SELECT count(*) FROM subscription_instance_values AS v WHERE v.resource_type_id = rt.resource_type_id)
    FROM resource_types AS rt ORDER BY rt.resource_type
    """
)


def defined_domain(connection: Connection) -> DefinedDomain:
    products = {
        row.name: DefinedProduct(
            name=row.name,
            product_type=row.product_type,
            description=row.description,
            tag=row.tag,
            status=row.status,
            fixed_inputs=dict(sorted(row.fixed_inputs.items())),
            blocks=tuple(sorted(row.blocks)),
            subscriptions=row.subscriptions,
            block_instances=row.blocks,
            statuses=row.statuses,
        )
        for row in connection.execute(PRODUCTS_QUERY)
    }
    blocks = {
        row.name: DefinedBlock(
            name=row.name,
            description=row.description,
            tag=row.tag,
            status=row.status,
            resource_types=tuple(sorted(row.resource_types)),
            depends_on=tuple(sorted(row.depends_on)),
            instances=row.instances,
            values=row.resource_types,
            relations=row.depends_on,
        )
        for row in connection.execute(BLOCKS_QUERY)
    }
    resource_types = {
        name: DefinedResourceType(name, description, values)
        for name, description, values in connection.execute(RESOURCE_TYPES_QUERY)
    }
    return DefinedDomain(products, blocks, resource_types)
