"""Every user-facing option, in one typed place.

Options are keyword arguments to ``context.configure(...)`` in ``env.py``; alembic forwards unknown
keyword arguments into the migration context's options, where the comparator reads them. All of
them start with ``wfplugin_`` so they cannot clash with alembic's own.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from alembic_wfplugin.model import ProductSelector

PREFIX = "wfplugin_"


@dataclass(frozen=True)
class Options:
    product_types: Mapping[str, tuple[ProductSelector, ...]] = field(default_factory=dict)
    """``wfplugin_product_types``: workflow name -> product type(s) it is linked to, for workflows whose
    product type cannot be inferred. A value is ``"ProductType"``, ``"ProductType:TAG"`` (only the
    products of that type with that tag) or a list of those. Default: ``{}``."""

    descriptions: Mapping[str, str] = field(default_factory=dict)
    """``wfplugin_descriptions``: workflow name -> description for a new workflow whose decorator has
    none. Default: ``{}`` (the name made readable: ``create_user`` -> ``"Create user"``)."""

    import_modules: tuple[str, ...] = ()
    """``wfplugin_import_modules``: modules to import before reading orchestrator-core's workflow
    registry, e.g. ``["workflows"]``; needed where ``env.py`` runs without the application's
    ``main.py`` (plain ``alembic check``). Default: ``()``."""

    compare_descriptions: bool = False
    """``wfplugin_compare_descriptions``: also update the description of existing workflows when the code
    states one (decorator or ``wfplugin_descriptions``) that differs from the database; the code wins.
    Off by default: orchestrator-core 5.x keeps descriptions in the database (edited in the UI/API).
    Default: ``False``."""

    link_new_products: bool = True
    """``wfplugin_link_new_products``: link a product that no workflow is linked to yet (added after its
    product type's workflows were registered) to every workflow that is linked to all other products of
    its type. Default: ``True``."""

    default_product_workflows: tuple[str, ...] | None = None
    """``wfplugin_default_product_workflows``: workflows that every product must be linked to, and that
    are never unlinked. Default: ``None``, meaning orchestrator-core's ``DEFAULT_PRODUCT_WORKFLOWS``
    setting (``["modify_note"]``)."""

    read_workflows: str = "import"
    """``wfplugin_read_workflows``: how a workflow's target and description are read. ``"import"``
    instantiates every ``LazyWorkflowInstance`` (imports every workflow module, so a module that fails
    to import is reported); ``"source"`` reads them from the module's syntax tree where one
    orchestrator-core decorator states them with literal arguments, and imports only the others: much
    faster on a large application, but a module that would fail to import goes unnoticed.
    Default: ``"import"``."""

    allow_removing_all: bool = False
    """``wfplugin_allow_removing_all``: let a revision remove every application workflow while the code
    declares none of them (normally a missing ``import workflows``, so refused). Default: ``False``."""

    @classmethod
    def from_context_opts(cls, opts: Mapping[str, Any]) -> Options:
        ours = {key[len(PREFIX) :]: value for key, value in opts.items() if key.startswith(PREFIX)}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(ours) - known)
        if unknown:
            from alembic_wfplugin.errors import WorkflowPluginError

            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {PREFIX}{close[0]}?)" if close else ""
                hints.append(f"{PREFIX}{name}{hint}")
            raise WorkflowPluginError(
                f"Unknown alembic-wfplugin option(s) in context.configure(): {', '.join(hints)}. "
                f"Known options: {', '.join(PREFIX + name for name in sorted(known))}."
            )
        return cls(
            product_types={
                name: _parse_selectors(name, value)
                for name, value in _mapping(ours.get("product_types", {}), "product_types").items()
            },
            descriptions={
                name: _string(value, f"{PREFIX}descriptions[{name!r}]")
                for name, value in _mapping(ours.get("descriptions", {}), "descriptions").items()
            },
            import_modules=tuple(
                _string(module, f"{PREFIX}import_modules") for module in _sequence(ours.get("import_modules", ()))
            ),
            compare_descriptions=_bool(ours.get("compare_descriptions", False), "compare_descriptions"),
            read_workflows=_choice(ours.get("read_workflows", "import"), "read_workflows", ("import", "source")),
            allow_removing_all=_bool(ours.get("allow_removing_all", False), "allow_removing_all"),
            link_new_products=_bool(ours.get("link_new_products", True), "link_new_products"),
            default_product_workflows=None
            if ours.get("default_product_workflows") is None
            else tuple(
                _string(name, f"{PREFIX}default_product_workflows")
                for name in _sequence(ours["default_product_workflows"])
            ),
        )


def _mapping(value: Any, option: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        from alembic_wfplugin.errors import WorkflowPluginError

        raise WorkflowPluginError(
            f"{PREFIX}{option} must be a dict of workflow name -> value, got {type(value).__name__}"
        )
    return value


def _bool(value: Any, option: str) -> bool:
    if not isinstance(value, bool):
        from alembic_wfplugin.errors import WorkflowPluginError

        raise WorkflowPluginError(f"{PREFIX}{option} must be True or False, got {value!r}")
    return value


def _choice(value: Any, option: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        from alembic_wfplugin.errors import WorkflowPluginError

        raise WorkflowPluginError(f"{PREFIX}{option} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return str(value)


def _sequence(value: Any) -> Sequence[Any]:
    return [value] if isinstance(value, str) else list(value)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        from alembic_wfplugin.errors import WorkflowPluginError

        raise WorkflowPluginError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _parse_selectors(workflow: str, value: Any) -> tuple[ProductSelector, ...]:
    where = f"{PREFIX}product_types[{workflow!r}]"
    selectors = []
    for item in _sequence(value):
        product_type, _, tag = _string(item, where).partition(":")
        selectors.append(ProductSelector(product_type, tag or None))
    if not selectors:
        _string(None, where)
    return tuple(sorted(set(selectors), key=lambda selector: selector.sort_key))
