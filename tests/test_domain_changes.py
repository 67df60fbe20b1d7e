"""Domain model changes on real databases, in-process (the comparator and the rendered revision as
``main.py`` runs them): a new product of an existing type, a new resource type with and without
instances, a removed block with and without instances, generated on one database and run on another
whose subscriptions differ, the mass-removal guard and hostile strings from the database."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript, UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_wfplugin import compare
from alembic_wfplugin.domain import comparison as domain_comparison
from tests.domain_harness import TUTORIAL_OPTIONS, autogenerate, diffs, downgrade, subscribe, upgrade
from tests.fixture_app import TUTORIAL, WORKFLOW_ROWS, domain_state


@pytest.fixture
def registered(connection: sa.Connection, model_registry: MutableMapping[str, Any]) -> Iterator[sa.Connection]:
    """The template database (the tutorial's products, by its hand-written migration) after the tutorial's
    workflows were registered: in sync with the code, domain models included."""
    upgrade(autogenerate(connection), connection)
    assert diffs(autogenerate(connection)) == []
    yield connection


def links(connection: sa.Connection) -> dict[str, tuple[str, ...]]:
    return {row.name: tuple(row.products) for row in connection.execute(sa.text(WORKFLOW_ROWS))}


def round_trip(connection: sa.Connection, **options: Any) -> dict[str, list[tuple[object, ...]]]:
    """Autogenerate, upgrade, check a rerun finds nothing and the downgrade restores the state before;
    return the state after the upgrade."""
    before = domain_state(connection), links(connection)
    script = autogenerate(connection, **options)
    upgrade(script, connection)
    after = domain_state(connection)
    assert diffs(autogenerate(connection, **options)) == []
    downgrade(script, connection)
    assert (domain_state(connection), links(connection)) == before
    upgrade(script, connection)
    return after


def test_new_product_of_an_existing_type_is_linked_to_its_types_workflows(
    registered: sa.Connection, model_registry: MutableMapping[str, Any]
) -> None:
    model_registry["User contractor"] = model_registry["User internal"]
    given = {"tag": "USER_CON", "fixed_inputs": {"affiliation": "external"}}
    # the User products' descriptions differ, so there is none to infer: the one value missing
    with pytest.raises(CommandError) as error:
        autogenerate(registered, wfplugin_products={"User contractor": given})
    assert '"User contractor": {"description": "..."}' in str(error.value)
    assert "tag" not in str(error.value).split('"User contractor"')[1].split("\n")[0]

    after = round_trip(registered, wfplugin_products={"User contractor": {**given, "description": "A contractor"}})

    (row,) = [row for row in after["products"] if row[0] == "User contractor"]
    assert row == (
        "User contractor",
        "User",
        "A contractor",
        "USER_CON",
        "active",
        ["affiliation=external"],
        ["UserBlock"],
    )
    linked = links(registered)
    for workflow in ("create_user", "modify_user", "terminate_user", "modify_note"):
        assert "User contractor" in linked[workflow], workflow
    assert "User contractor" not in linked["create_user_group"]


def test_product_description_and_tag_inferred_when_all_of_its_type_agree(
    registered: sa.Connection, model_registry: MutableMapping[str, Any]
) -> None:
    model_registry["User Group 2"] = model_registry["User Group"]
    after = round_trip(registered)
    (row,) = [row for row in after["products"] if row[0] == "User Group 2"]
    assert row[1:5] == ("UserGroup", "The users of a group", "GROUP", "active")


def remove_resource_types(connection: sa.Connection, *names: str) -> None:
    connection.execute(sa.text("DELETE FROM resource_types WHERE resource_type = ANY(:names)"), {"names": list(names)})


def test_new_resource_types_without_instances_need_no_value(registered: sa.Connection) -> None:
    remove_resource_types(registered, "age", "user_id")
    after = round_trip(registered)
    assert ("age", "Age of user") in after["resource_types"]
    (block,) = [row for row in after["product_blocks"] if row[0] == "UserBlock"]
    assert block[4] == ["age", "user_id", "username"]


def test_new_required_resource_type_with_instances_needs_a_value(registered: sa.Connection) -> None:
    subscribe(registered, "User internal", {"UserBlock": {"username": "alice"}, "UserGroupBlock": {}})
    remove_resource_types(registered, "age", "user_id")
    # user_id is required (UserBlock: `user_id: int`), age optional (`age: int | None = None`)
    with pytest.raises(CommandError) as error:
        autogenerate(registered)
    message = str(error.value)
    assert '"user_id": {"description": "Unique id of user", "value": "..."}' in message
    assert "1 existing UserBlock instances" in message
    assert '"age"' not in message

    resource_types = {**TUTORIAL_OPTIONS["wfplugin_resource_types"], "user_id": {"description": "x", "value": "0"}}
    after = round_trip(registered, wfplugin_resource_types=resource_types)

    assert ("UserBlock", "user_id", "0") in after["values"]
    assert not [value for value in after["values"] if value[1] == "age"]


def test_a_value_needed_only_on_another_database_stops_its_upgrade(
    registered: sa.Connection, target_connection: sa.Connection
) -> None:
    """Generated where no instance needs a value, run where one does: the upgrade stops, rolled back."""
    remove_resource_types(registered, "user_id")
    script = autogenerate(registered)
    upgrade(autogenerate(target_connection), target_connection)  # the target: registered the same way
    subscribe(target_connection, "User external", {"UserBlock": {"username": "bob"}})
    remove_resource_types(target_connection, "user_id")
    stops_and_rolls_back(script, target_connection, r"'UserBlock' has 1 instances in this database that need a value")


def stops_and_rolls_back(script: MigrationScript, connection: sa.Connection, message: str) -> None:
    """The upgrade stops with ``message``; once PostgreSQL rolls it back, nothing has changed."""
    before = domain_state(connection)
    savepoint = connection.begin_nested()
    with pytest.raises(RuntimeError, match=message):
        upgrade(script, connection)
    savepoint.rollback()
    assert domain_state(connection) == before


def add_legacy_block(connection: sa.Connection, description: str = "Legacy settings") -> None:
    """A product block the code does not declare: a resource type, a relation, a root of User Group."""
    statements = [
        "INSERT INTO product_blocks (name, description, tag, status)"
        " VALUES ('LegacyBlock', :description, 'LEG', 'active')",
        "INSERT INTO resource_types (resource_type, description) VALUES ('legacy_id', 'Legacy id')",
        "INSERT INTO product_block_resource_types SELECT b.product_block_id, rt.resource_type_id"
        " FROM product_blocks b, resource_types rt WHERE b.name = 'LegacyBlock' AND rt.resource_type = 'legacy_id'",
        "INSERT INTO product_block_relations (in_use_by_id, depends_on_id)"
        " SELECT u.product_block_id, d.product_block_id"
        " FROM product_blocks u, product_blocks d WHERE u.name = 'UserGroupBlock' AND d.name = 'LegacyBlock'",
        "INSERT INTO product_product_blocks SELECT p.product_id, b.product_block_id"
        " FROM products p, product_blocks b WHERE p.name = 'User Group' AND b.name = 'LegacyBlock'",
    ]
    for statement in statements:
        connection.execute(sa.text(statement), {"description": description})


def test_removed_block_without_instances_is_deleted_and_comes_back_on_downgrade(registered: sa.Connection) -> None:
    hostile = 'it\'s "legacy" \\n ${x} %(y)s {z}\n\x01 Überprüfung'
    add_legacy_block(registered, hostile)
    with_legacy = domain_state(registered)
    script = autogenerate(registered)
    assert sorted(diff[0] for diff in diffs(script)) == [
        "remove_block_relation",
        "remove_block_resource_type",
        "remove_product_block",
        "remove_product_block_link",
        "remove_resource_type",
    ]
    upgrade(script, registered)
    assert "LegacyBlock" not in {row[0] for row in domain_state(registered)["product_blocks"]}
    assert diffs(autogenerate(registered)) == []
    downgrade(script, registered)
    assert domain_state(registered) == with_legacy  # the hostile description byte for byte


def test_removed_block_with_instances_stops_autogenerate(registered: sa.Connection) -> None:
    add_legacy_block(registered)
    subscribe(registered, "User Group", {"UserGroupBlock": {"group_name": "g"}, "LegacyBlock": {"legacy_id": "7"}})
    before = domain_state(registered)
    with pytest.raises(CommandError) as error:
        autogenerate(registered)
    message = str(error.value)
    assert "product block 'LegacyBlock': 1 subscription instances" in message
    assert "resource type 'legacy_id': 1 subscription instance values" in message
    assert "product block 'LegacyBlock' of product 'User Group': 1 subscription instances" in message
    assert domain_state(registered) == before


def test_removed_block_used_only_on_another_database_stops_its_upgrade(
    registered: sa.Connection, target_connection: sa.Connection
) -> None:
    add_legacy_block(registered)
    script = autogenerate(registered)
    upgrade(autogenerate(target_connection), target_connection)
    add_legacy_block(target_connection)
    subscribe(target_connection, "User Group", {"LegacyBlock": {}})
    stops_and_rolls_back(
        script, target_connection, r"Cannot remove product block 'LegacyBlock' of product 'User Group': 1 subscription"
    )


def test_an_empty_registry_is_refused(registered: sa.Connection, model_registry: MutableMapping[str, Any]) -> None:
    model_registry.clear()
    with pytest.raises(CommandError, match="would remove 3 of the database's 3 products"):
        autogenerate(registered)
    # on purpose: every product goes, with its blocks and resource types (and the workflows' links: the
    # tutorial's workflows stay declared, so the first run asks what they are linked to, as a second would)
    with pytest.raises(CommandError, match="Cannot tell which product type these workflows belong to"):
        autogenerate(registered, wfplugin_allow_removing_all=True)
    before = domain_state(registered), links(registered)
    no_products = {name: [] for name in TUTORIAL}
    script = autogenerate(registered, wfplugin_allow_removing_all=True, wfplugin_product_types=no_products)
    upgrade(script, registered)
    after = domain_state(registered)
    assert after["products"] == after["product_blocks"] == after["resource_types"] == []
    downgrade(script, registered)
    assert (domain_state(registered), links(registered)) == before


def test_a_product_renamed_through_the_option_keeps_its_subscriptions_and_links(
    registered: sa.Connection, model_registry: MutableMapping[str, Any]
) -> None:
    subscribe(registered, "User Group", {"UserGroupBlock": {"group_name": "g", "group_id": "1"}})
    model_registry["User Team"] = model_registry.pop("User Group")
    # never guessed: without the option it is a removal of a product in use
    with pytest.raises(CommandError, match="product 'User Group': 1 subscriptions"):
        autogenerate(registered)
    with pytest.raises(CommandError, match="the code declares no product 'User Teem'"):
        autogenerate(registered, wfplugin_renames={"products": {"User Group": "User Teem"}})

    renames = {"products": {"User Group": "User Team"}}
    script = autogenerate(registered, wfplugin_renames=renames)
    assert diffs(script) == [("rename_product", "User Group", "User Team")]
    after = round_trip(registered, wfplugin_renames=renames)

    assert [row[0] for row in after["products"]] == ["User Team", "User external", "User internal"]
    subscribed = registered.execute(
        sa.text("SELECT p.name FROM subscriptions JOIN products p USING (product_id)")
    ).scalars()
    assert list(subscribed) == ["User Team"]
    assert "User Team" in links(registered)["create_user_group"]


def comparator_statements(connection: sa.Connection, statements: list[str], **options: Any) -> None:
    """One comparator run with domain models (no cache: it compares); its statements go to ``statements``."""

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    opts = {"autogenerate_plugins": ["alembic_wfplugin"], **TUTORIAL_OPTIONS, "wfplugin_cache_dir": False, **options}
    context = MigrationContext.configure(connection, opts=opts)
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        compare.compare_workflows(AutogenContext(context), UpgradeOps())
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)


def test_with_domain_models_an_unchanged_registry_reads_no_subscription_data(
    registered: sa.Connection, model_registry: MutableMapping[str, Any]
) -> None:
    """Workflows (and the scheduler jobs, where the release keeps them in the database) and the registry's
    shape, however many subscriptions; usage is counted in one statement more, only where a change needs it
    (here the removal guard: a product in use)."""
    schedules = registered.execute(sa.text("SELECT to_regclass('workflows_apscheduler_jobs') IS NOT NULL")).scalar()
    for count in (1, 20):
        for _ in range(count):
            subscribe(registered, "User internal", {"UserBlock": {"username": "u"}, "UserGroupBlock": {}})
        statements: list[str] = []
        comparator_statements(registered, statements)
        assert len(statements) == 2 + bool(schedules), statements
        assert all(statement.lstrip().upper().startswith(("SELECT", "WITH")) for statement in statements)
        assert not [statement for statement in statements if "subscription" in statement]
    del model_registry["User internal"]
    statements = []
    with pytest.raises(CommandError, match="product 'User internal': 21 subscriptions"):
        comparator_statements(registered, statements)
    assert len(statements) == 3 + bool(schedules)
    (usage,) = [statement for statement in statements if "subscription" in statement]
    assert "WHERE p.name = ANY(CAST(%(products)s AS text[]))" in usage  # only the objects a change touches


def test_with_domain_models_an_unchanged_application_takes_the_caches_shortcut(
    registered: sa.Connection, model_registry: MutableMapping[str, Any], tmp_path: Any, monkeypatch: Any
) -> None:
    """The "found nothing" key covers the declared domain, the registry's shape and the options: the same
    inputs again run no diff (domain or workflows); a changed row or model compares again."""
    calls: list[object] = []
    real_diff = domain_comparison.diff_domain

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real_diff(*args, **kwargs)

    monkeypatch.setattr(domain_comparison, "diff_domain", counted)
    cache = {"wfplugin_cache_dir": str(tmp_path)}
    comparator_statements(registered, [], **cache)
    assert len(calls) == 1
    comparator_statements(registered, [], **cache)
    assert len(calls) == 1  # the shortcut: nothing compared again
    registered.execute(sa.text("UPDATE products SET tag = 'OTHER' WHERE name = 'User Group'"))
    comparator_statements(registered, [], **cache)
    assert len(calls) == 2  # the shape changed (an existing product's tag is the database's: nothing to do)
    comparator_statements(registered, [], **cache)
    assert len(calls) == 2  # nothing found again: the shortcut
    del model_registry["User external"]
    comparator_statements(registered, [], **cache)
    comparator_statements(registered, [], **cache)
    assert len(calls) == 4  # the code changed, and a comparison that finds a removal is no shortcut


def test_a_block_in_use_on_a_large_database_is_still_counted_and_stops_autogenerate(registered: sa.Connection) -> None:
    """usage_needed counts the blocks the code no longer declares, however large the database is."""
    registered.execute(
        sa.text("INSERT INTO product_blocks (name, description, tag, status) VALUES ('Legacy', 'x', 'L', NULL)")
    )
    subscribe(registered, "User internal", {"UserBlock": {"username": "u"}, "UserGroupBlock": {}})
    registered.execute(
        sa.text(
            "INSERT INTO subscription_instances (subscription_id, product_block_id)"
            " SELECT (SELECT subscription_id FROM subscriptions LIMIT 1), product_block_id"
            " FROM product_blocks, generate_series(1, 50000) WHERE name = 'Legacy'"
        )
    )
    statements: list[str] = []
    with pytest.raises(CommandError, match="product block 'Legacy': 50000 subscription instances"):
        comparator_statements(registered, statements)
    assert len([statement for statement in statements if "subscription" in statement]) == 1
