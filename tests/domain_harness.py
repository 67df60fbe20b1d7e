"""In-process domain model runs on real databases: the tutorial's products registered as main.py's
``import products`` does, the real comparator (alembic's ``produce_migrations``), the revision rendered
by alembic's renderer and executed as a revision runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext

from alembic_wfplugin.compare import no_schema_objects
from tests.revision_code import rendered, run_rendered

# The tutorial's values that the code cannot state, as its hand-written migration writes them.
TUTORIAL_OPTIONS: dict[str, Any] = {
    "wfplugin_domain_models": True,
    "wfplugin_products": {
        "User Group": {"description": "The users of a group", "tag": "GROUP"},
        "User internal": {
            "description": "An internal user",
            "tag": "USER_INT",
            "fixed_inputs": {"affiliation": "internal"},
        },
        "User external": {
            "description": "An external user",
            "tag": "USER_EXT",
            "fixed_inputs": {"affiliation": "external"},
        },
    },
    "wfplugin_product_blocks": {
        "UserGroupBlock": {"description": "User group settings", "tag": "UGS"},
        "UserBlock": {"description": "User settings", "tag": "US"},
    },
    "wfplugin_resource_types": {
        "group_name": "Unique name of user group",
        "group_id": "Unique id of user group",
        "username": "Name of user",
        "age": "Age of user",
        "user_id": "Unique id of user",
    },
}


def autogenerate(connection: sa.Connection, **options: Any) -> MigrationScript:
    opts = {
        "autogenerate_plugins": ["alembic_wfplugin"],
        "include_object": no_schema_objects,
        **TUTORIAL_OPTIONS,
        **options,
    }
    return produce_migrations(MigrationContext.configure(connection, opts=opts), sa.MetaData())


def upgrade(script: MigrationScript, connection: sa.Connection) -> None:
    run_rendered(rendered(script.upgrade_ops), connection)


def downgrade(script: MigrationScript, connection: sa.Connection) -> None:
    run_rendered(rendered(script.downgrade_ops), connection)


def diffs(script: MigrationScript) -> list[tuple[Any, ...]]:
    return list(script.upgrade_ops.as_diffs())  # type: ignore[union-attr]


def subscribe(connection: sa.Connection, product: str, values: dict[str, dict[str, str]]) -> None:
    """A subscription of ``product`` with an instance of each block in ``values`` (block -> resource
    type -> value), as orchestrator-core stores one."""
    subscription = connection.execute(
        sa.text(
            "INSERT INTO subscriptions (description, status, product_id, customer_id, insync)"
            " SELECT 'test', 'active', product_id, 'customer', true FROM products WHERE name = :product"
            " RETURNING subscription_id"
        ),
        {"product": product},
    ).scalar_one()
    for block, resource_values in values.items():
        instance = connection.execute(
            sa.text(
                "INSERT INTO subscription_instances (subscription_id, product_block_id)"
                " SELECT :subscription, product_block_id FROM product_blocks WHERE name = :block"
                " RETURNING subscription_instance_id"
            ),
            {"subscription": subscription, "block": block},
        ).scalar_one()
        for resource_type, value in resource_values.items():
            connection.execute(
                sa.text(
                    "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
                    " SELECT :instance, resource_type_id, :value FROM resource_types WHERE resource_type = :rt"
                ),
                {"instance": instance, "rt": resource_type, "value": value},
            )


def assert_counts_needed_suffice(connection: sa.Connection, **options: Any) -> None:
    """The domain diff on the usage counts ``usage_needed`` asks for is the diff on every count (the same
    changes, reasons and numbers, or the same error): the reader counts only what a change touches, never
    less than the diff reads."""
    from alembic_wfplugin import compat
    from alembic_wfplugin.domain.declared import declared_domain
    from alembic_wfplugin.domain.defined import everything, parse_shape, read_shape, read_usage, with_usage
    from alembic_wfplugin.domain.diff import diff_domain
    from alembic_wfplugin.domain.usage import usage_needed
    from alembic_wfplugin.errors import WorkflowPluginError
    from alembic_wfplugin.options import Options

    parsed = Options.from_context_opts({**TUTORIAL_OPTIONS, **options})
    declared, shape = declared_domain(), parse_shape(read_shape(connection))

    def outcome(counted: Any) -> Any:
        try:
            return diff_domain(declared, counted, parsed, compat.skipped_products())
        except WorkflowPluginError as error:
            return str(error)

    request = usage_needed(declared, shape, parsed)
    partial = with_usage(shape, read_usage(connection, request)) if request else shape
    assert outcome(partial) == outcome(with_usage(shape, read_usage(connection, everything(shape))))
