"""The one place that knows where orchestrator-core keeps its modules.

orchestrator-core 5.0 moved everything from ``orchestrator.*`` to ``orchestrator.core.*``. Nothing
else in this package imports orchestrator-core; and nothing here runs at import time, because this
package is loaded while ``import alembic`` sets up plugins.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from functools import cache
from types import ModuleType
from typing import Any


def alembic_has_plugins() -> bool:
    """alembic 1.18 introduced plugins (``autogenerate_plugins``, entry point group ``alembic.plugins``)."""
    return importlib.util.find_spec("alembic.runtime.plugins") is not None


# orchestrator-core's top-level packages: 5.x's first, as a prefix of module paths in either release.
ORCHESTRATOR_PACKAGES = ("orchestrator.core", "orchestrator")


def is_orchestrator_module(module: str) -> bool:
    """Whether ``module`` belongs to orchestrator-core itself (its own workflows, 4.x or 5.x)."""
    return module == "orchestrator" or module.startswith("orchestrator.")


@cache
def orchestrator_package() -> str:
    """``"orchestrator.core"`` on orchestrator-core 5.x, ``"orchestrator"`` on 4.x."""
    try:
        importlib.import_module("orchestrator.core.workflows")
    except ModuleNotFoundError:
        return "orchestrator"
    return "orchestrator.core"


def _module(relative: str) -> ModuleType:
    return importlib.import_module(f"{orchestrator_package()}.{relative}")


def workflow_registry() -> Mapping[str, Any]:
    """orchestrator-core's ``ALL_WORKFLOWS``: workflow name -> ``LazyWorkflowInstance``."""
    registry: Mapping[str, Any] = _module("workflows").ALL_WORKFLOWS
    return registry


def default_workflows_package() -> str:
    """The package that relative ``LazyWorkflowInstance`` paths (``".modify_note"``) are relative to."""
    package: str = _module("workflows").DEFAULT_PKG
    return package


def registered_modules(registry: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(workflow name, absolute module, function)`` of every ``LazyWorkflowInstance``, registry order.
    Relative packages (``".modify_note"``) are relative to orchestrator-core's own workflows package."""
    default = default_workflows_package()
    return [
        (name, f"{default}{lazy.package}" if lazy.package.startswith(".") else lazy.package, lazy.function)
        for name, lazy in registry.items()
    ]


def default_product_workflows() -> tuple[str, ...]:
    """orchestrator-core's ``DEFAULT_PRODUCT_WORKFLOWS`` setting: workflows linked to every product."""
    settings = _module("settings").app_settings
    return tuple(getattr(settings, "DEFAULT_PRODUCT_WORKFLOWS", ["modify_note"]))


def schema_versions_folder() -> str:
    """orchestrator-core's own schema revisions, which ``main.py db ...`` adds to version_locations."""
    migrations = _module("migrations")  # a namespace package (no __init__.py, no __file__) before 4.3
    folder = os.path.dirname(migrations.__file__) if migrations.__file__ else next(iter(migrations.__path__))
    return os.path.join(os.path.abspath(folder), "versions", "schema")


def subscription_model_registry() -> Mapping[str, Any]:
    """orchestrator-core's ``SUBSCRIPTION_MODEL_REGISTRY``: product name -> ``SubscriptionModel`` class."""
    registry: Mapping[str, Any] = _module("domain").SUBSCRIPTION_MODEL_REGISTRY
    return registry


def domain_base() -> ModuleType:
    """orchestrator-core's ``domain.base``: ``DomainModel``, ``ProductBlockModel``, ``SubscriptionModel``."""
    return _module("domain.base")


def lifecycle_variants() -> Mapping[tuple[Any, Any], Any]:
    """(base model class, lifecycle) -> the model class for that lifecycle, as orchestrator-core registers
    them (``domain.lifecycle``)."""
    variants: Mapping[tuple[Any, Any], Any] = _module("domain.lifecycle")._sub_type_per_lifecycle
    return variants


def is_list_type(annotation: Any) -> bool:
    """orchestrator-core's own test for a field stored as one row per element (``types.is_list_type``)."""
    return bool(_module("types").is_list_type(annotation))


def skipped_products() -> tuple[str, ...]:
    """orchestrator-core's ``SKIP_MODEL_FOR_MIGRATION_DB_DIFF`` setting: products its wizard leaves alone."""
    settings = _module("settings").app_settings
    return tuple(getattr(settings, "SKIP_MODEL_FOR_MIGRATION_DB_DIFF", None) or ())


def workflow_translations() -> tuple[frozenset[str], str | None]:
    """The workflow names orchestrator-core translates (``generate_translations("en-GB")["workflow"]``: its
    own ``en-GB.json`` merged with the application's ``TRANSLATIONS_DIR``), and that folder."""
    folder = getattr(_module("settings").app_settings, "TRANSLATIONS_DIR", None)
    translations = _module("services.translations").generate_translations("en-GB")
    workflows = translations.get("workflow", {})
    return frozenset(workflows if isinstance(workflows, Mapping) else ()), str(folder) if folder else None
