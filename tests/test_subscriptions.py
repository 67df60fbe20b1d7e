"""Existing subscriptions keep working: domain-model revisions on databases whose subscriptions were
created through orchestrator-core's own domain-model API (nested blocks, several lifecycle states, one
terminated), judged by orchestrator-core itself after every upgrade and downgrade
(``SubscriptionModel.from_subscription`` for every subscription, ``diff_product_in_database`` for every
product), besides the values computed here from the example.

The code changes are new model classes put in the registries for the test (``changed_models``):
fields new to a block (typed, lists, defaults), a required root block with a required block of its
own, a required block new to an existing block."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.util import CommandError

from tests import oracle
from tests.domain_harness import TUTORIAL_OPTIONS, autogenerate, diffs, downgrade, upgrade
from tests.fixture_app import domain_state
from tests.subscription_examples import (
    NEW_BLOCK_OPTIONS,
    NEW_BLOCKS,
    NEW_FIELD_OPTIONS,
    NEW_FIELDS,
    RENAME_OPTIONS,
    RENAMED,
    changed_models,
    create_tutorial_subscriptions,
    everything,
    judged,
    model_source,
)


@pytest.fixture
def in_sync(connection: sa.Connection, model_registry: MutableMapping[str, Any]) -> sa.Connection:
    """The template database with the tutorial's workflows registered: in sync with the code, committed
    (orchestrator-core reads it through connections of its own)."""
    upgrade(autogenerate(connection), connection)
    connection.commit()
    return connection


def test_new_fields_are_backfilled_as_orchestrator_core_stores_them(
    in_sync: sa.Connection, database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    with oracle.orchestrator_database(database_url):
        subscriptions = create_tutorial_subscriptions(model_registry)
    before = everything(in_sync)
    users = [subscriptions[name] for name in ("ada", "eve", "bob")]
    with changed_models(NEW_FIELDS, model_registry):
        with pytest.raises(CommandError, match=r"resource type 'vlan' of block 'UserBlock' \(int\)"):
            autogenerate(in_sync, wfplugin_resource_types={**NEW_FIELD_OPTIONS, "vlan": {"value": "four thousand"}})
        script = autogenerate(in_sync, wfplugin_resource_types=NEW_FIELD_OPTIONS)
        upgrade(script, in_sync)
        in_sync.commit()
        loaded = judged(database_url)
        for user in users:
            block = loaded[user].user
            assert (block.vlan, sorted(block.tags), block.ports, block.mtu, block.note) == (
                4000,
                ["a", "b"],
                [],
                1500,
                None,
            )
        # one row per list element, none for an empty list; str() of ints, as save() writes them
        rows = [
            (rt, value) for _, _, rt, value in everything(in_sync)["values"] if rt in ("vlan", "tags", "ports", "mtu")
        ]
        assert sorted(rows) == sorted([("mtu", "1500"), ("tags", "a"), ("tags", "b"), ("vlan", "4000")] * 3)
        assert diffs(autogenerate(in_sync, wfplugin_resource_types=NEW_FIELD_OPTIONS)) == []
        downgrade(script, in_sync)
        in_sync.commit()
    assert everything(in_sync) == before
    assert set(judged(database_url)) == set(subscriptions.values())


def test_required_blocks_get_an_instance_per_subscription_and_instance(
    in_sync: sa.Connection, database_url: str, model_registry: MutableMapping[str, Any]
) -> None:

    with oracle.orchestrator_database(database_url):
        subscriptions = create_tutorial_subscriptions(model_registry)
    before = everything(in_sync)
    with changed_models(NEW_BLOCKS, model_registry):
        with pytest.raises(CommandError) as error:  # with subscriptions here, every value must be known
            autogenerate(
                in_sync, **{**NEW_BLOCK_OPTIONS, "wfplugin_resource_types": TUTORIAL_OPTIONS["wfplugin_resource_types"]}
            )
        assert '"theme": {"description": "...", "value": "..."},' in str(error.value)
        script = autogenerate(in_sync, **NEW_BLOCK_OPTIONS)
        upgrade(script, in_sync)
        in_sync.commit()
        loaded = judged(database_url)
        for name in ("ada", "eve", "bob"):
            profile = loaded[subscriptions[name]].profile
            assert (profile.theme, profile.size, profile.settings.level) == ("dark", 3, 1)
            # the user's group is still the group subscription's block, now with its owner
            assert loaded[subscriptions[name]].user.group.owner.owner_name == "root"
        for name in ("staff", "guests"):
            owner = loaded[subscriptions[name]].user_group.owner
            assert (owner.owner_name, owner.owner_subscription_id) == ("root", subscriptions[name])
        after = everything(in_sync)
        # one Profile and one Settings per User subscription, one Owner per group instance: nothing more
        created = [row for row in after["instances"] if row not in before["instances"]]
        assert sorted(block for _, _, block in created) == sorted(
            ["OwnerBlock"] * 2 + ["ProfileBlock", "SettingsBlock"] * 3
        )
        assert diffs(autogenerate(in_sync, **NEW_BLOCK_OPTIONS)) == []
        downgrade(script, in_sync)
        in_sync.commit()
    assert everything(in_sync) == before
    assert set(judged(database_url)) == set(subscriptions.values())


def test_renamed_fixed_input_and_field_keep_their_values_and_a_dropped_field_goes_only_when_discarded(
    in_sync: sa.Connection, database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    with oracle.orchestrator_database(database_url):
        subscriptions = create_tutorial_subscriptions(model_registry)
    in_sync.execute(sa.text("UPDATE subscription_instance_values SET value = '36' WHERE value = '1'"))  # ada: user_id 1
    in_sync.execute(
        sa.text(
            "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
            " SELECT si.subscription_instance_id, rt.resource_type_id, '40' FROM subscription_instances si"
            " JOIN product_blocks b USING (product_block_id), resource_types rt"
            " WHERE b.name = 'UserBlock' AND rt.resource_type = 'age'"
        )
    )
    in_sync.commit()
    before = everything(in_sync)
    with changed_models(RENAMED, model_registry):
        with pytest.raises(CommandError, match=re.escape('wfplugin_discard_values=["UserBlock.user_id"]')):
            autogenerate(in_sync, **RENAME_OPTIONS)
        options = {**RENAME_OPTIONS, "wfplugin_discard_values": ["UserBlock.user_id"]}
        script = autogenerate(in_sync, **options)
        upgrade(script, in_sync)
        in_sync.commit()
        loaded = judged(database_url)
        for name, kind in (("ada", "internal"), ("eve", "internal"), ("bob", "external")):
            assert (loaded[subscriptions[name]].kind, loaded[subscriptions[name]].user.years) == (kind, 40)
        after = everything(in_sync)
        assert not [row for row in after["values"] if row[2] in ("age", "user_id")]
        assert diffs(autogenerate(in_sync, **options)) == []
        downgrade(script, in_sync)
        in_sync.commit()
    restored = everything(in_sync)
    # everything comes back but the discarded values, which the revision said it would not bring back
    discarded = [row for row in before["values"] if row[2] == "user_id"]
    assert len(discarded) == 3
    assert {**restored, "values": sorted(restored["values"])} == {
        **before,
        "values": sorted(row for row in before["values"] if row not in discarded),
    }


def test_a_downgrade_keeps_what_existed_before_its_upgrade_on_the_database_it_runs_on(
    in_sync: sa.Connection,
    database_url: str,
    model_registry: MutableMapping[str, Any],
    target_connection: sa.Connection,
) -> None:
    """Generated where UserBlock lacks its resource type age and User internal its fixed input; run where
    both exist, with values: the upgrade changes nothing there, and neither does its downgrade."""
    target_url = target_connection.engine.url.render_as_string(hide_password=False)
    upgrade(autogenerate(target_connection), target_connection)
    target_connection.commit()
    with oracle.orchestrator_database(target_url):
        subscriptions = create_tutorial_subscriptions(model_registry)
    target_connection.execute(
        sa.text(
            "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)"
            " SELECT si.subscription_instance_id, rt.resource_type_id, '40' FROM subscription_instances si"
            " JOIN product_blocks b USING (product_block_id), resource_types rt"
            " WHERE b.name = 'UserBlock' AND rt.resource_type = 'age'"
        )
    )
    target_connection.commit()
    in_sync.execute(
        sa.text(
            "DELETE FROM product_block_resource_types WHERE resource_type_id ="
            " (SELECT resource_type_id FROM resource_types WHERE resource_type = 'age')"
        )
    )
    in_sync.execute(
        sa.text(
            "DELETE FROM fixed_inputs WHERE name = 'affiliation'"
            " AND product_id = (SELECT product_id FROM products WHERE name = 'User internal')"
        )
    )
    script = autogenerate(in_sync, wfplugin_resource_types={**NEW_FIELD_OPTIONS, "age": {"value": 30}})
    assert ("add_block_resource_type", "UserBlock", "age") in diffs(script)
    assert ("add_fixed_input", "User internal", "affiliation") in diffs(script)
    before = everything(target_connection)
    upgrade(script, target_connection)
    target_connection.commit()
    assert everything(target_connection) == before
    downgrade(script, target_connection)
    target_connection.commit()
    assert everything(target_connection) == before
    assert len(judged(target_url)) == len(subscriptions)
    # where the upgrade did create them (the generating database), the downgrade removes them again
    before = everything(in_sync)
    upgrade(script, in_sync)
    assert ("UserBlock", ["age", "user_id", "username"]) in [
        (row[0], row[4]) for row in domain_state(in_sync)["product_blocks"]
    ]
    downgrade(script, in_sync)
    assert everything(in_sync) == before


RENAMED_CLASS = model_source(
    """
class Member{variant}({product_parent}):
    affiliation: products.product_types.user.Affiliation
    user: products.product_blocks.user.UserBlock{variant}
""",
    'REGISTRY = {"User internal": Member, "User external": Member}',
)


def test_a_renamed_product_class_changes_the_product_type_and_keeps_the_links(
    in_sync: sa.Connection, database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    with oracle.orchestrator_database(database_url):
        subscriptions = create_tutorial_subscriptions(model_registry)
    links = (
        "SELECT w.name, p.name FROM products_workflows JOIN workflows w USING (workflow_id)"
        " JOIN products p USING (product_id) ORDER BY 1, 2"
    )
    linked = in_sync.execute(sa.text(links)).all()
    with changed_models(RENAMED_CLASS, model_registry):
        script = autogenerate(
            in_sync,
            wfplugin_product_types={name: "Member" for name in ("create_user", "modify_user", "terminate_user")},
        )
        assert ("update_product_type", "User internal") in diffs(script)
        upgrade(script, in_sync)
        in_sync.commit()
        types = dict(in_sync.execute(sa.text("SELECT name, product_type FROM products")).all())
        assert (types["User internal"], types["User external"], types["User Group"]) == (
            "Member",
            "Member",
            "UserGroup",
        )
        assert in_sync.execute(sa.text(links)).all() == linked
        assert set(judged(database_url)) == set(subscriptions.values())
        downgrade(script, in_sync)
    assert dict(in_sync.execute(sa.text("SELECT name, product_type FROM products")).all())["User internal"] == "User"
