"""Property of domain-model revisions on databases with subscriptions, judged by orchestrator-core.

Each example draws a change of the tutorial's models (any of: new fields on UserBlock, typed and lists;
a required root block with a required block of its own; a required block new to UserGroupBlock; a fixed
input and a field renamed; a field with values dropped and discarded), which of the subscriptions that
orchestrator-core's own API created are on the database (two groups, users in every lifecycle state:
initial, provisioning, active, terminated), and whether the revision is generated there or on a database
without subscriptions.

The oracle is written from the example alone, never from the plugin's diff: after the upgrade
orchestrator-core loads every subscription with the values the change implies (``expected_user`` and
``expected_group``), its own model check finds nothing, the created instances and values are the ones
counted here, a rerun finds nothing; after the downgrade every row is back (but the discarded values)
and orchestrator-core loads every subscription with the old models.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from alembic_wfplugin import pgserver
from tests import oracle
from tests.domain_harness import assert_counts_needed_suffice, autogenerate, diffs, downgrade, upgrade
from tests.scenario import property_settings
from tests.subscription_examples import (
    NEW_BLOCK_OPTIONS,
    NEW_FIELD_OPTIONS,
    RENAME_OPTIONS,
    changed_models,
    everything,
    model_source,
)

EXAMPLES = int(os.environ.get("WFPLUGIN_SUBSCRIPTION_EXAMPLES", "8"))
FEATURES = ("fields", "root block", "child block", "renames", "discard")


@dataclass(frozen=True)
class User:
    username: str
    user_id: int | None
    age: int | None
    lifecycle: str
    product: str


# The subscriptions of the template, by family: a group and the users in it.
FAMILIES = {
    "staff": (
        ("staff", 7),
        (
            User("ada", 1, 36, "active", "User internal"),
            User("eve", 2, None, "provisioning", "User internal"),
            User("ian", None, 20, "initial", "User external"),
        ),
    ),
    "guests": (("guests", 8), (User("bob", 3, 51, "terminated", "User external"),)),
}
AFFILIATION = {"User internal": "internal", "User external": "external"}


@dataclass(frozen=True)
class Example:
    features: frozenset[str]
    families: frozenset[str]
    generated_without_subscriptions: bool


examples = st.builds(
    Example,
    features=st.frozensets(st.sampled_from(FEATURES), min_size=1),
    families=st.frozensets(st.sampled_from(sorted(FAMILIES))),
    generated_without_subscriptions=st.booleans(),
)


def models(features: frozenset[str]) -> str:
    """The tutorial's models after the change: every lifecycle variant declares every field."""
    owner = "    owner: OwnerBlock{variant}\n" if "child block" in features else ""
    age = "years" if "renames" in features else "age"
    user_id = "" if "discard" in features else "    user_id: {required_when_active}int\n"
    fields = (
        "    vlan: {required_from_provisioning}int\n    tags: list[str] = ['a', 'b']\n    ports: list[int] = []\n"
        "    mtu: int = 1500\n    note: str | None = None\n"
        if "fields" in features
        else ""
    )
    affiliation = "kind" if "renames" in features else "affiliation"
    profile = "    profile: ProfileBlock{variant}\n" if "root block" in features else ""
    source = (
        'class SettingsBlock{variant}({parent}product_block_name="SettingsBlock"):\n'
        "    level: {required_when_active}int\n\n"
        'class ProfileBlock{variant}({parent}product_block_name="ProfileBlock"):\n'
        "    theme: {required_when_active}str\n    size: int = 3\n    settings: SettingsBlock{variant}\n"
        # an optional block and a list of blocks: nothing to create, they load as None and []
        "    backup: SettingsBlock{variant} | None = None\n    history: list[SettingsBlock{variant}]\n\n"
        'class OwnerBlock{variant}({parent}product_block_name="OwnerBlock"):\n'
        "    owner_name: {required_when_active}str\n\n"
        'class UserGroupBlock{variant}({parent}product_block_name="UserGroupBlock"):\n'
        "    group_name: {required_from_provisioning}str\n    group_id: {required_when_active}int\n" + owner + "\n"
        'class UserBlock{variant}({parent}product_block_name="UserBlock"):\n'
        "    group: UserGroupBlock{variant}\n    username: {required_from_provisioning}str\n"
        f"    {age}: int | None = None\n" + user_id + fields + "\n"
        "class User{variant}({product_parent}):\n"
        f"    {affiliation}: products.product_types.user.Affiliation\n    user: UserBlock{{variant}}\n" + profile + "\n"
        "class UserGroup{variant}({product_parent}):\n    user_group: UserGroupBlock{variant}\n"
    )
    return model_source(source, 'REGISTRY = {"User internal": User, "User external": User, "User Group": UserGroup}')


def options(features: frozenset[str]) -> dict[str, Any]:
    """The options of test_subscriptions' cases, which this property's features combine."""
    given: dict[str, Any] = {
        "wfplugin_product_blocks": NEW_BLOCK_OPTIONS["wfplugin_product_blocks"],
        "wfplugin_resource_types": {
            **NEW_FIELD_OPTIONS,
            **NEW_BLOCK_OPTIONS["wfplugin_resource_types"],
            **RENAME_OPTIONS["wfplugin_resource_types"],
        },
    }
    if "renames" in features:
        given.update({key: RENAME_OPTIONS[key] for key in ("wfplugin_renames", "wfplugin_products")})
    if "discard" in features:
        given["wfplugin_discard_values"] = ["UserBlock.user_id"]
    return given


def expected_user(user: User, features: frozenset[str]) -> dict[str, Any]:
    """What orchestrator-core loads of a user subscription after the upgrade, from the example."""
    expected: dict[str, Any] = {
        "status": user.lifecycle,
        "kind" if "renames" in features else "affiliation": AFFILIATION[user.product],
        "user.username": user.username,
        "user.years" if "renames" in features else "user.age": user.age,
    }
    if "discard" not in features:
        expected["user.user_id"] = user.user_id
    if "fields" in features:
        expected.update({"user.vlan": 4000, "user.tags": ["a", "b"], "user.ports": [], "user.mtu": 1500})
        expected["user.note"] = None
    if "root block" in features:
        expected.update({"profile.theme": "dark", "profile.size": 3, "profile.settings.level": 1})
        expected.update({"profile.backup": None, "profile.history": []})
    if "child block" in features:
        expected["user.group.owner.owner_name"] = "root"
    return expected


def expected_group(name: str, group_id: int, features: frozenset[str]) -> dict[str, Any]:
    expected: dict[str, Any] = {"user_group.group_name": name, "user_group.group_id": group_id}
    if "child block" in features:
        expected["user_group.owner.owner_name"] = "root"
    return expected


def observed(model: Any, expected: dict[str, Any]) -> dict[str, Any]:
    def get(path: str) -> Any:
        value = model
        for part in path.split("."):
            value = getattr(value, part)
        value = getattr(value, "value", value)  # an Enum by its value
        return sorted(value) if isinstance(value, list) else value

    return {path: get(path) for path in expected}


def expected_created(users: int, groups: int, features: frozenset[str]) -> dict[str, int]:
    """The instances and values the upgrade writes: per block, and per resource type."""
    instances = {}
    if "root block" in features:
        instances.update({"ProfileBlock": users, "SettingsBlock": users})
    if "child block" in features:
        instances["OwnerBlock"] = groups
    values = {}
    if "fields" in features:  # a row per list element, none for an empty list or a None
        values.update({"vlan": users, "tags": 2 * users, "mtu": users})
    if "root block" in features:
        values.update({"theme": users, "size": users, "level": users})
    if "child block" in features:
        values["owner_name"] = groups
    return {**{f"instances of {k}": v for k, v in instances.items() if v}, **{k: v for k, v in values.items() if v}}


def create_families(registry: MutableMapping[str, Any]) -> dict[str, dict[str, uuid.UUID]]:
    """The subscriptions of FAMILIES through orchestrator-core's API: family -> name -> subscription id."""
    ids: dict[str, dict[str, uuid.UUID]] = {}
    for family, ((group_name, group_id), users) in FAMILIES.items():

        def fill_group(model: Any, group_name: str = group_name, group_id: int = group_id) -> None:
            model.user_group.group_name, model.user_group.group_id = group_name, group_id

        group = oracle.create_subscription("User Group", fill_group)
        ids[family] = {group_name: group}
        for user in users:

            def fill(model: Any, user: User = user, group: uuid.UUID = group) -> None:
                model.user.group = registry["User Group"].from_subscription(group).user_group
                model.user.username, model.user.user_id, model.user.age = user.username, user.user_id, user.age

            ids[family][user.username] = oracle.create_subscription(user.product, fill, user.lifecycle)
    return ids


@pytest.fixture
def databases(
    pg: pgserver.PostgresCluster, registered_template: tuple[Any, str], model_registry: MutableMapping[str, Any]
) -> Iterator[tuple[pgserver.PostgresCluster, str, str, dict[str, dict[str, uuid.UUID]]]]:
    """A template with the tutorial registered and FAMILIES' subscriptions, made once per test; and the
    registered tutorial without subscriptions."""
    _, registered = registered_template
    name = f"wfplugin_subs_{uuid.uuid4().hex[:8]}"
    url = pg.create_database(name, template=registered)
    with oracle.orchestrator_database(url):
        ids = create_families(model_registry)
    yield pg, name, registered, ids
    pg.drop_database(name)


@contextmanager
def database_copy(pg: pgserver.PostgresCluster, template: str) -> Iterator[tuple[str, sa.Connection]]:
    name = f"wfplugin_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(name, template=template)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield url, connection
    finally:
        engine.dispose()
        pg.drop_database(name)


def check(example: Example, databases: Any, registry: MutableMapping[str, Any]) -> None:
    pg, with_subscriptions, without, ids = databases
    features = example.features
    with database_copy(pg, with_subscriptions) as (url, target), database_copy(pg, without) as (_, empty):
        for family in sorted(set(FAMILIES) - example.families):  # the subscriptions not on this database
            target.execute(
                sa.text("DELETE FROM subscriptions WHERE subscription_id = ANY(:ids)"),
                {"ids": list(ids[family].values())},
            )
        target.commit()
        before = everything(target)
        generating = empty if example.generated_without_subscriptions else target
        with changed_models(models(features), registry):
            assert_counts_needed_suffice(target, **options(features))
            script = autogenerate(generating, **options(features))
            if currently_in_test_context():
                note(f"changes: {diffs(script)}")
            upgrade(script, target)
            target.commit()
            with oracle.orchestrator_database(url):
                loaded = oracle.load_all()
                assert oracle.product_diffs() == {}
            for family in sorted(example.families):
                (group_name, group_id), users = FAMILIES[family]
                expected = expected_group(group_name, group_id, features)
                assert observed(loaded[ids[family][group_name]], expected) == expected
                for user in users:
                    expected = expected_user(user, features)
                    assert observed(loaded[ids[family][user.username]], expected) == expected, user
            after = everything(target)
            users = sum(len(FAMILIES[family][1]) for family in example.families)
            assert created(before, after) == expected_created(users, len(example.families), features)
            assert diffs(autogenerate(target, **options(features))) == []
            downgrade(script, target)
            target.commit()
        restored = everything(target)
        discarded = [row for row in before["values"] if "discard" in features and row[2] == "user_id"]
        assert restored == {**before, "values": [row for row in before["values"] if row not in discarded]}
        # with the old models: every subscription loads, but those whose discarded value their lifecycle
        # requires (UserBlock.user_id: required when active), as the revision's reason says
        kept = {ids[family][name] for family in example.families for name in ids[family]}
        unloadable = {
            ids[family][user.username]
            for family in example.families
            for user in FAMILIES[family][1]
            if "discard" in features and user.lifecycle == "active"
        }
        with oracle.orchestrator_database(url):
            if unloadable:
                with pytest.raises(AssertionError) as error:
                    oracle.load_all()
                assert {i for i in kept if str(i) in str(error.value)} == unloadable
            else:
                assert set(oracle.load_all()) == kept
            assert oracle.product_diffs() == {}


def created(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    """Instances per block and values per resource type that are in ``after`` only (by id)."""
    counts: dict[str, int] = {}
    known = {row[0] for row in before["instances"]}
    for _, _, block in (row for row in after["instances"] if row[0] not in known):
        counts[f"instances of {block}"] = counts.get(f"instances of {block}", 0) + 1
    known = {row[0] for row in before["values"]}
    for _, _, resource_type, _ in (row for row in after["values"] if row[0] not in known):
        counts[resource_type] = counts.get(resource_type, 0) + 1
    return counts


SETTINGS = property_settings(EXAMPLES)


@SETTINGS
@given(example=examples)
def test_subscriptions_load_after_every_upgrade_and_downgrade(
    example: Example, databases: Any, model_registry: MutableMapping[str, Any]
) -> None:
    check(example, databases, model_registry)


# Every change at once, generated on each kind of database, replayed every run.
@pytest.mark.parametrize("generated_without_subscriptions", [False, True])
def test_every_change_at_once(
    generated_without_subscriptions: bool, databases: Any, model_registry: MutableMapping[str, Any]
) -> None:
    check(Example(frozenset(FEATURES), frozenset(FAMILIES), generated_without_subscriptions), databases, model_registry)


def test_the_oracle_catches_a_rule_that_is_silently_missing(
    databases: Any, model_registry: MutableMapping[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the instances of required blocks the revision still applies, reruns clean and downgrades
    (the database's own view is consistent): orchestrator-core is what fails to load the subscriptions."""
    from alembic_wfplugin.domain import diff

    monkeypatch.setattr(diff, "_required_blocks", lambda block_fields: [])
    with pytest.raises(AssertionError, match=r"cannot load 4 of 6 subscriptions(.|\n)*profile"):
        check(Example(frozenset({"root block"}), frozenset(FAMILIES), False), databases, model_registry)
