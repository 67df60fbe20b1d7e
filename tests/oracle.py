"""orchestrator-core itself as the judge of a database's subscriptions (in-process tests).

Everything here goes through orchestrator-core's own API (its global ``db``, ``SubscriptionModel``,
``task_validate_products``' steps), on 4.x (``orchestrator.*``) and 5.x (``orchestrator.core.*``)::

    with orchestrator_database(database_url):
        group = create_subscription("User Group", fill)
        assert load_all()[group].user_group.group_name == "staff"
        assert product_diffs() == {}

The products' models must be in ``SUBSCRIPTION_MODEL_REGISTRY`` (the ``model_registry`` fixture).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any
from uuid import UUID

import pydantic
import sqlalchemy as sa

from alembic_wfplugin import compat

CUSTOMER_ID = "oracle-customer"  # the customer of every subscription create_subscription() makes
_ABSENT = object()


def _core(relative: str) -> ModuleType:
    """An orchestrator-core module by its path below the top-level package."""
    return importlib.import_module(f"{compat.orchestrator_package()}.{relative}")


def _db() -> Any:
    """orchestrator-core's global ``db`` (a wrapper around the current ``Database``)."""
    return _core("db").db


@contextmanager
def orchestrator_database(url: str) -> Iterator[Any]:
    """Point orchestrator-core's global ``db`` (and ``app_settings.DATABASE_URI``) at ``url`` with
    ``init_database``, inside one ``db.database_scope()``; yield the ``Database``.

    Afterwards the session is removed, both engines are disposed (no connection is left open, so the
    database can be dropped) and the previous database, setting and ``BaseModel.query`` come back.
    Calls may nest, for different databases."""
    db_module = _core("db")
    settings = _core("settings").app_settings
    base_model = _core("db.database").BaseModel
    wrapper = db_module.wrapped_db
    saved_database = wrapper.wrapped_database
    saved_uri = settings.DATABASE_URI
    saved_query = base_model.__dict__.get("_query", _ABSENT)  # set by Database(); absent on 4.x until then
    # 5.x: a secret DSN, 4.x: a plain PostgresDsn; validated as the setting itself validates it.
    uri_type = type(settings).model_fields["DATABASE_URI"].annotation
    try:
        settings.DATABASE_URI = pydantic.TypeAdapter(uri_type).validate_python(url)
        db_module.init_database(settings)
        database = wrapper.wrapped_database
        try:
            with database.database_scope():
                yield database
        finally:
            database.scoped_session.remove()
            database.engine.dispose()
            async_engine = getattr(database, "async_engine", None)  # 5.x only
            if async_engine is not None:
                async_engine.sync_engine.dispose()
    finally:
        wrapper.wrapped_database = saved_database
        settings.DATABASE_URI = saved_uri
        if saved_query is _ABSENT:
            if "_query" in base_model.__dict__:
                delattr(base_model, "_query")
        else:
            base_model._query = saved_query


def create_subscription(product_name: str, fill: Callable[[Any], None], lifecycle: str = "active") -> UUID:
    """Create and commit a subscription of ``product_name`` as a workflow does; return its id.

    The initial model (``from_product_id`` on the product's class for the initial lifecycle, with
    status initial) is passed to ``fill``, which sets its fields; then, unless ``lifecycle`` is
    ``"initial"``, ``SubscriptionModel.from_other_lifecycle`` (as orchestrator-core's ``set_status``
    step does) and ``save()``. Runs in a database scope of its own: ``fill`` must load any block of
    another subscription it uses itself (e.g. ``UserGroup.from_subscription(id).user_group``).
    Inside ``orchestrator_database``."""
    base = _core("domain.base")
    lifecycles = _core("types").SubscriptionLifecycle
    lookup = _core("domain.lifecycle").lookup_specialized_type
    product_table = _core("db").ProductTable
    model_class = compat.subscription_model_registry()[product_name]
    status = lifecycles(lifecycle)
    db = _db()
    with db.database_scope():
        product_id = db.session.execute(
            sa.select(product_table.product_id).where(product_table.name == product_name)
        ).scalar_one()
        initial_class = lookup(model_class, lifecycles.INITIAL)
        model = initial_class.from_product_id(product_id, CUSTOMER_ID, status=lifecycles.INITIAL)
        fill(model)
        if status != lifecycles.INITIAL:
            model = base.SubscriptionModel.from_other_lifecycle(model, status)
        model.save()
        db.session.commit()
        subscription_id: UUID = model.subscription_id
    return subscription_id


def load_all() -> dict[UUID, Any]:
    """Every subscription in the ``subscriptions`` table, loaded by ``SubscriptionModel.from_subscription``
    (each in a database scope of its own). Raises one AssertionError naming every subscription that does
    not load: its id, its product and the error."""
    subscription_model = _core("domain.base").SubscriptionModel
    db = _db()
    with db.database_scope():
        rows = db.session.execute(
            sa.text(
                "SELECT s.subscription_id, p.name FROM subscriptions s JOIN products p USING (product_id)"
                " ORDER BY p.name, s.subscription_id"
            )
        ).all()
    loaded: dict[UUID, Any] = {}
    failures: list[str] = []
    for subscription_id, product in rows:
        with db.database_scope():
            try:
                loaded[subscription_id] = subscription_model.from_subscription(subscription_id)
            except Exception as error:
                failures.append(f"subscription {subscription_id} ({product!r}): {type(error).__name__}: {error}")
    if failures:
        raise AssertionError(
            f"orchestrator-core cannot load {len(failures)} of {len(rows)} subscriptions:\n" + "\n".join(failures)
        )
    return loaded


def product_diffs() -> dict[str, dict[str, Any]]:
    """``diff_product_in_database`` of every registered product that is in the ``products`` table:
    product name -> what orchestrator-core finds different between model and database. Only products with
    differences are listed (``{}``: models and database agree)."""
    db = _db()
    diffs: dict[str, dict[str, Any]] = {}
    with db.database_scope():
        product_ids = dict(db.session.execute(sa.text("SELECT name, product_id FROM products")).all())
        for name, model_class in compat.subscription_model_registry().items():
            if name in product_ids:
                diffs.update(model_class.diff_product_in_database(product_ids[name]))  # {name: diff} or {}
    return diffs


def validate_products_steps() -> dict[str, str]:
    """Each step of orchestrator-core's ``task_validate_products`` (those the installed release has), run
    as ``step({})`` in a database scope of its own: step function name -> ``"Success"`` or the failure."""
    task = _core("workflows.tasks.validate_products").task_validate_products
    db = _db()
    results: dict[str, str] = {}
    for step in task.steps:
        if step.__name__ in ("init", "done"):  # the workflow's own start and end, no checks
            continue
        with db.database_scope():
            process = step({})
        if process.issuccess():
            results[step.__name__] = "Success"
        else:
            error = process.unwrap()
            details = getattr(error, "details", None)
            text = f"{type(error).__name__}: {error}" if details is None else f"{error.message}: {details}"
            results[step.__name__] = text if isinstance(error, BaseException) else repr(error)
    return results


TRANSLATIONS_STEP = "check_workflows_for_matching_targets_and_descriptions"
MISSING_TRANSLATIONS = "Workflows with missing translations: "


def assert_validate_products_passes(untranslated: Collection[str], steps: Mapping[str, str]) -> None:
    """Every step of ``task_validate_products`` (``steps``: ``validate_products_steps()``) passed, except the
    translations check where the test application lacks translations on purpose: that one failed naming
    exactly ``untranslated`` (the workflows alembic-wfplugin's warning named), or passed when it is empty."""
    failures = {step: text for step, text in steps.items() if text != "Success"}
    translations = failures.pop(TRANSLATIONS_STEP, None)
    assert failures == {}, failures
    if translations is None:
        assert not untranslated, f"orchestrator-core translates {sorted(untranslated)}, the plugin warned"
        return
    assert translations.startswith(MISSING_TRANSLATIONS), translations
    assert set(translations.removeprefix(MISSING_TRANSLATIONS).splitlines()) == set(untranslated)


def products_lacking_workflows() -> list[str]:
    """The products ``check_that_products_have_create_modify_and_terminate_workflows`` reports (it passes,
    and lists them in its state)."""
    step = _core("workflows.tasks.validate_products").check_that_products_have_create_modify_and_terminate_workflows
    with _db().database_scope():
        process = step({})
    state = process.unwrap()
    return sorted(state["products_without_at_least_create_modify_terminate_validate_workflows"])
