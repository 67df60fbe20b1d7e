"""tests/oracle.py on the tutorial's products: orchestrator-core loads what it created, and says so when a
subscription is damaged."""

from __future__ import annotations

import uuid
from collections.abc import Callable, MutableMapping
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from alembic_wfplugin import compat, pgserver
from tests import oracle


def fill_group(name: str, group_id: int) -> Callable[[Any], None]:
    def fill(model: Any) -> None:
        model.user_group.group_name = name
        model.user_group.group_id = group_id

    return fill


def fill_user(
    registry: MutableMapping[str, Any], group: UUID, username: str, user_id: int | None
) -> Callable[..., None]:
    """A user in the group of subscription ``group`` (its block loaded in create_subscription's scope)."""

    def fill(model: Any) -> None:
        model.user.group = registry["User Group"].from_subscription(group).user_group
        model.user.username = username
        model.user.age = 36
        model.user.user_id = user_id

    return fill


def create_tutorial(registry: MutableMapping[str, Any]) -> tuple[UUID, UUID, UUID]:
    """An active group, an active internal user in it and a terminated external user (no user_id)."""
    group = oracle.create_subscription("User Group", fill_group("staff", 7))
    user = oracle.create_subscription("User internal", fill_user(registry, group, "ada", 1))
    terminated = oracle.create_subscription("User external", fill_user(registry, group, "bob", None), "terminated")
    return group, user, terminated


def delete_value(database_url: str, subscription: UUID, resource_type: str) -> None:
    """Damage as a faulty revision would: the value row of ``resource_type`` in ``subscription``."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(
                sa.text(
                    "DELETE FROM subscription_instance_values v USING subscription_instances si, resource_types rt"
                    " WHERE si.subscription_instance_id = v.subscription_instance_id"
                    " AND rt.resource_type_id = v.resource_type_id"
                    " AND si.subscription_id = :subscription AND rt.resource_type = :resource_type"
                ),
                {"subscription": subscription, "resource_type": resource_type},
            )
            assert result.rowcount == 1
    finally:
        engine.dispose()


def test_orchestrator_loads_the_subscriptions_it_created(
    database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    with oracle.orchestrator_database(database_url):
        group, user, terminated = create_tutorial(model_registry)
        loaded = oracle.load_all()
        assert oracle.product_diffs() == {}

    assert set(loaded) == {group, user, terminated}
    assert (loaded[group].status, loaded[group].user_group.group_name, loaded[group].user_group.group_id) == (
        "active",
        "staff",
        7,
    )
    assert (loaded[user].status, loaded[user].affiliation, loaded[user].user.username) == ("active", "internal", "ada")
    assert (loaded[user].user.user_id, loaded[user].user.age) == (1, 36)
    # The user's group is the group subscription's own block, not a copy.
    assert loaded[user].user.group.subscription_instance_id == loaded[group].user_group.subscription_instance_id
    assert loaded[user].user.group.owner_subscription_id == group
    # Terminated: loaded as the base model (UserInactive), which lets user_id be None.
    assert (loaded[terminated].status, loaded[terminated].affiliation) == ("terminated", "external")
    assert (type(loaded[terminated]).__name__, loaded[terminated].user.user_id) == ("UserInactive", None)
    assert loaded[terminated].end_date is not None


def test_load_all_names_a_damaged_subscription(database_url: str, model_registry: MutableMapping[str, Any]) -> None:
    with oracle.orchestrator_database(database_url):
        group, user, terminated = create_tutorial(model_registry)
        assert set(oracle.load_all()) == {group, user, terminated}
        delete_value(database_url, user, "username")  # required once active
        with pytest.raises(AssertionError) as raised:
            oracle.load_all()
    message = str(raised.value)
    assert "cannot load 1 of 3 subscriptions" in message
    assert f"subscription {user} ('User internal')" in message
    assert "username" in message
    assert str(group) not in message and str(terminated) not in message


def test_validate_products_steps(database_url: str, model_registry: MutableMapping[str, Any]) -> None:
    with oracle.orchestrator_database(database_url):
        _group, user, _terminated = create_tutorial(model_registry)
        good = oracle.validate_products_steps()
        delete_value(database_url, user, "username")
        damaged = oracle.validate_products_steps()
    assert good["check_subscription_models"] == "Success"
    assert good["check_db_fixed_input_config"] == "Success"
    # The template database holds no workflows rows for the tutorial's (registered) workflows.
    assert "create_user" in good["check_all_workflows_are_in_db"]
    assert "init" not in good and "done" not in good
    assert str(user) in damaged["check_subscription_models"]


def connections(pg: pgserver.PostgresCluster, *databases: str) -> int:
    engine = sa.create_engine(pg.admin_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(:names)"), {"names": list(databases)}
            ).scalar_one()
    finally:
        engine.dispose()


def test_orchestrator_database_nests_restores_and_disconnects(
    pg: pgserver.PostgresCluster, template_database: str, database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    db_module = __import__(f"{compat.orchestrator_package()}.db", fromlist=["wrapped_db"])
    settings = __import__(f"{compat.orchestrator_package()}.settings", fromlist=["app_settings"]).app_settings
    before = (db_module.wrapped_db.wrapped_database, settings.DATABASE_URI)
    first = sa.make_url(database_url).database
    second = f"wfplugin_{uuid.uuid4().hex[:12]}"
    second_url = pg.create_database(second, template=template_database)
    try:
        with oracle.orchestrator_database(database_url) as outer:
            group = oracle.create_subscription("User Group", fill_group("staff", 7))
            with oracle.orchestrator_database(second_url):
                assert oracle.load_all() == {}
                other = oracle.create_subscription("User Group", fill_group("other", 8))
                assert set(oracle.load_all()) == {other}
            assert db_module.wrapped_db.wrapped_database is outer
            assert set(oracle.load_all()) == {group}
            assert connections(pg, second) == 0
        assert (db_module.wrapped_db.wrapped_database, settings.DATABASE_URI) == before
        assert connections(pg, first, second) == 0
    finally:
        pg.drop_database(second)


def test_a_terminated_user_group_keeps_the_active_model(
    database_url: str, model_registry: MutableMapping[str, Any]
) -> None:
    """UserGroupInactive is the base for the initial lifecycle only, so orchestrator-core has no model for
    a terminated group but the registry's UserGroup: a terminated group needs every active field."""

    def name_only(model: Any) -> None:
        model.user_group.group_name = "old"

    with oracle.orchestrator_database(database_url):
        with pytest.raises(ValueError, match="group_id"):  # pydantic's ValidationError
            oracle.create_subscription("User Group", name_only, "terminated")
        terminated = oracle.create_subscription("User Group", fill_group("old", 9), "terminated")
        loaded = oracle.load_all()
    assert set(loaded) == {terminated}
    assert (type(loaded[terminated]).__name__, loaded[terminated].status) == ("UserGroup", "terminated")
