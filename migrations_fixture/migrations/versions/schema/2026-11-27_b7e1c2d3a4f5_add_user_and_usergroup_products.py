"""Add User and UserGroup products.

The tutorial's products, product blocks and resource types, in plain SQL with fixed ids.

Revision ID: b7e1c2d3a4f5
Revises: a4871b2a1a3a
Create Date: 2026-11-27 18:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e1c2d3a4f5"
down_revision = "a4871b2a1a3a"
branch_labels = None
depends_on = None

USER_GROUP = "8a7b6f2e-1c3d-4e5f-9a0b-1c2d3e4f5a60"
USER_INTERNAL = "8a7b6f2e-1c3d-4e5f-9a0b-1c2d3e4f5a61"
USER_EXTERNAL = "8a7b6f2e-1c3d-4e5f-9a0b-1c2d3e4f5a62"
USER_GROUP_BLOCK = "9b8c7a3f-2d4e-4f60-8b1c-2d3e4f5a6b70"
USER_BLOCK = "9b8c7a3f-2d4e-4f60-8b1c-2d3e4f5a6b71"

PRODUCTS = [
    (USER_GROUP, "User Group", "The users of a group", "UserGroup", "GROUP"),
    (USER_INTERNAL, "User internal", "An internal user", "User", "USER_INT"),
    (USER_EXTERNAL, "User external", "An external user", "User", "USER_EXT"),
]
PRODUCT_BLOCKS = [
    (USER_GROUP_BLOCK, "UserGroupBlock", "User group settings", "UGS"),
    (USER_BLOCK, "UserBlock", "User settings", "US"),
]
RESOURCE_TYPES = {
    # resource_type: (description, product block)
    "group_name": ("Unique name of user group", USER_GROUP_BLOCK),
    "group_id": ("Unique id of user group", USER_GROUP_BLOCK),
    "username": ("Name of user", USER_BLOCK),
    "age": ("Age of user", USER_BLOCK),
    "user_id": ("Unique id of user", USER_BLOCK),
}
AFFILIATION = [(USER_INTERNAL, "internal"), (USER_EXTERNAL, "external")]


def upgrade() -> None:
    conn = op.get_bind()
    for product_id, name, description, product_type, tag in PRODUCTS:
        conn.execute(
            sa.text(
                "INSERT INTO products (product_id, name, description, product_type, tag, status)"
                " VALUES (:id, :name, :description, :product_type, :tag, 'active')"
            ),
            {"id": product_id, "name": name, "description": description, "product_type": product_type, "tag": tag},
        )
    for block_id, name, description, tag in PRODUCT_BLOCKS:
        conn.execute(
            sa.text(
                "INSERT INTO product_blocks (product_block_id, name, description, tag, status)"
                " VALUES (:id, :name, :description, :tag, 'active')"
            ),
            {"id": block_id, "name": name, "description": description, "tag": tag},
        )
    for resource_type, (description, block_id) in RESOURCE_TYPES.items():
        conn.execute(
            sa.text(
                "WITH rt AS (INSERT INTO resource_types (resource_type, description)"
                " VALUES (:resource_type, :description) RETURNING resource_type_id)"
                " INSERT INTO product_block_resource_types (product_block_id, resource_type_id)"
                " SELECT :block_id, resource_type_id FROM rt"
            ),
            {"resource_type": resource_type, "description": description, "block_id": block_id},
        )
    conn.execute(
        sa.text("INSERT INTO product_product_blocks (product_id, product_block_id) VALUES (:product, :block)"),
        [
            {"product": USER_GROUP, "block": USER_GROUP_BLOCK},
            {"product": USER_INTERNAL, "block": USER_BLOCK},
            {"product": USER_EXTERNAL, "block": USER_BLOCK},
        ],
    )
    conn.execute(
        sa.text("INSERT INTO product_block_relations (in_use_by_id, depends_on_id) VALUES (:user, :group)"),
        {"user": USER_BLOCK, "group": USER_GROUP_BLOCK},
    )
    conn.execute(
        sa.text("INSERT INTO fixed_inputs (name, value, product_id) VALUES ('affiliation', :value, :product)"),
        [{"product": product_id, "value": value} for product_id, value in AFFILIATION],
    )
    # As orchestrator-core's create() helper does (ensure_default_workflows): every product gets the
    # default product workflows (DEFAULT_PRODUCT_WORKFLOWS, "modify_note").
    conn.execute(
        sa.text(
            "INSERT INTO products_workflows (product_id, workflow_id)"
            " SELECT p.product_id, w.workflow_id FROM products p, workflows w"
            " WHERE w.name = 'modify_note' AND p.product_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": [product[0] for product in PRODUCTS]},
    )


def downgrade() -> None:
    conn = op.get_bind()
    product_ids = [product[0] for product in PRODUCTS]
    block_ids = [block[0] for block in PRODUCT_BLOCKS]
    conn.execute(
        sa.text("DELETE FROM products_workflows WHERE product_id = ANY(CAST(:ids AS uuid[]))"), {"ids": product_ids}
    )
    conn.execute(sa.text("DELETE FROM fixed_inputs WHERE product_id = ANY(CAST(:ids AS uuid[]))"), {"ids": product_ids})
    conn.execute(
        sa.text("DELETE FROM product_block_relations WHERE in_use_by_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": block_ids},
    )
    conn.execute(
        sa.text("DELETE FROM product_product_blocks WHERE product_id = ANY(CAST(:ids AS uuid[]))"), {"ids": product_ids}
    )
    conn.execute(
        sa.text("DELETE FROM product_block_resource_types WHERE product_block_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": block_ids},
    )
    conn.execute(
        sa.text("DELETE FROM resource_types WHERE resource_type = ANY(:names)"), {"names": list(RESOURCE_TYPES)}
    )
    conn.execute(
        sa.text("DELETE FROM product_blocks WHERE product_block_id = ANY(CAST(:ids AS uuid[]))"), {"ids": block_ids}
    )
    conn.execute(sa.text("DELETE FROM products WHERE product_id = ANY(CAST(:ids AS uuid[]))"), {"ids": product_ids})
