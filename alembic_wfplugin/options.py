"""Every user-facing option, in one typed place.

Options are keyword arguments to ``context.configure(...)`` in ``env.py``; alembic forwards unknown
keyword arguments into the migration context's options, where the comparator reads them. All of
them start with ``wfplugin_`` so they cannot clash with alembic's own. Each is declared once, as a
field of :class:`Options`: its default, its parser and the comparison that reads it (``option()``),
and its docstring; docs/options.md and the README's list follow the fields (a test holds them to it).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.products import ProductSelector

PREFIX = "wfplugin_"


@dataclass(frozen=True)
class ProductValues:
    description: str | None = None
    tag: str | None = None
    status: str | None = None
    fixed_inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockValues:
    description: str | None = None
    tag: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class ResourceTypeValues:
    description: str | None = None
    value: str | tuple[str, ...] | None = None  # a list field's value is a tuple: one row per element


def _mapping(value: Any, option: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WorkflowPluginError(f"{option} must be a dict, got {type(value).__name__}")
    return value


def _bool(value: Any, option: str) -> bool:
    if not isinstance(value, bool):
        raise WorkflowPluginError(f"{option} must be True or False, got {value!r}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise WorkflowPluginError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _strings(value: Any, option: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise WorkflowPluginError(f"{option} must be a list of strings, got {value!r}")
    return tuple(_string(item, option) for item in items)


def _selectors(value: Any, where: str) -> tuple[ProductSelector, ...]:
    selectors = set()
    for item in _strings(value, where):
        product_type, _, tag = item.partition(":")
        selectors.add(ProductSelector(_string(product_type, where), tag or None))
    return tuple(sorted(selectors, key=lambda selector: selector.sort_key))


def _read_workflows(value: Any, option: str) -> str:
    choices = ("import", "source")
    if value not in choices:
        raise WorkflowPluginError(f"{option} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return str(value)


def _values(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """A dict whose keys are among ``keys`` and whose values are strings (``fixed_inputs``: a dict of them)."""
    items = _mapping(value, where)
    parsed: dict[str, Any] = {}
    for key, item in items.items():
        if key not in keys:
            raise WorkflowPluginError(
                f"{where} has an unknown key {key!r}{did_you_mean(str(key), keys)}; known keys: {', '.join(keys)}"
            )
        if key == "fixed_inputs":
            parsed[key] = {
                name: _string(fixed, f"{where}['fixed_inputs'][{name!r}]")
                for name, fixed in _mapping(item, where).items()
            }
        else:
            parsed[key] = _string(item, f"{where}[{key!r}]")
    return parsed


def _stored(value: Any, where: str) -> str | tuple[str, ...]:
    """A resource type value as orchestrator-core stores it: ``str()`` of a scalar, of each list element."""
    if isinstance(value, list | tuple):
        return tuple(_scalar(item, f"{where}[{index}]") for index, item in enumerate(value))
    return _scalar(value, where)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool | int | float) or (isinstance(value, str) and value):
        return str(value)
    raise WorkflowPluginError(f"{where} must be a non-empty string, a number, a bool or a list of them, got {value!r}")


def _resource_type_values(item: Any, where: str) -> ResourceTypeValues:
    if isinstance(item, str):
        return ResourceTypeValues(description=_string(item, where))
    given = dict(_mapping(item, where))
    value = given.pop("value", None)
    parsed = ResourceTypeValues(**_values(given, where, ("description", "value")))
    return dataclasses.replace(parsed, value=None if value is None else _stored(value, f"{where}['value']"))


def _per_name(value: Any, option: str, parse: Callable[[Any, str], Any]) -> dict[str, Any]:
    return {name: parse(item, f"{option}[{name!r}]") for name, item in _mapping(value, option).items()}


def _renames(value: Any, option: str) -> dict[str, dict[str, str]]:
    kinds = tuple(RENAME_KEYS)
    parsed = {}
    for kind, renamed in _mapping(value, option).items():
        if kind not in kinds:
            raise WorkflowPluginError(
                f"{option} has an unknown key {kind!r}{did_you_mean(str(kind), kinds)}; known keys: {', '.join(kinds)}"
            )
        parsed[kind] = {
            _string(old, f"{option}[{kind!r}]"): _string(new, f"{option}[{kind!r}][{old!r}]")
            for old, new in _mapping(renamed, f"{option}[{kind!r}]").items()
        }
    return parsed


def _cache_dir(value: Any, option: str) -> str | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return _string(value, f"{option} (True, False or a folder)")


def _product_types(value: Any, option: str) -> dict[str, tuple[ProductSelector, ...]]:
    return _per_name(value, option, _selectors)


def _descriptions(value: Any, option: str) -> dict[str, str]:
    return _per_name(value, option, _string)


def _strings_or_none(value: Any, option: str) -> tuple[str, ...] | None:
    return None if value is None else _strings(value, option)


def _products(value: Any, option: str) -> dict[str, ProductValues]:
    keys = ("description", "tag", "status", "fixed_inputs")
    return _per_name(value, option, lambda item, where: ProductValues(**_values(item, where, keys)))


def _product_blocks(value: Any, option: str) -> dict[str, BlockValues]:
    keys = ("description", "tag", "status")
    return _per_name(value, option, lambda item, where: BlockValues(**_values(item, where, keys)))


def _resource_types(value: Any, option: str) -> dict[str, ResourceTypeValues]:
    return _per_name(value, option, _resource_type_values)


# Who reads an option: the workflow comparison, the domain-model comparison, or both.
WORKFLOWS, DOMAIN_MODELS, EVERY_KIND = "workflows", "domain models", "every kind"

# wfplugin_renames: each key, and the comparison that owns it (and reads it).
RENAME_KEYS = {
    "workflows": WORKFLOWS,
    **dict.fromkeys(("products", "product_blocks", "resource_types", "fixed_inputs"), DOMAIN_MODELS),
}

Parser = Callable[[Any, str], Any]


def option(parse: Parser, owner: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING) -> Any:
    """A field of :class:`Options`: its default, the parser of its ``wfplugin_`` keyword (value, option name
    -> the parsed value, or a :class:`WorkflowPluginError`), and the comparison that reads it."""
    return field(default=default, default_factory=factory, metadata={"parse": parse, "owner": owner})


@dataclass(frozen=True)
class Options:
    # Read by the workflow comparison.
    product_types: Mapping[str, tuple[ProductSelector, ...]] = option(_product_types, WORKFLOWS, factory=dict)
    """``wfplugin_product_types``: workflow name -> the products it is linked to, exactly. A value is
    ``"ProductType"``, ``"ProductType:TAG"`` (only the products of that type with that tag), a list of
    those, or ``[]`` (linked to no product). Default: ``{}``."""

    descriptions: Mapping[str, str] = option(_descriptions, WORKFLOWS, factory=dict)
    """``wfplugin_descriptions``: workflow name -> description for a new workflow whose decorator has
    none. Default: ``{}`` (the name made readable: ``create_user`` -> ``"Create user"``)."""

    compare_descriptions: bool = option(_bool, WORKFLOWS, False)
    """``wfplugin_compare_descriptions``: also update the description of existing workflows when the code
    states one (decorator or ``wfplugin_descriptions``) that differs from the database; the code wins.
    Off by default: orchestrator-core 5.x keeps descriptions in the database (edited in the UI/API).
    Default: ``False``."""

    link_new_products: bool = option(_bool, WORKFLOWS, True)
    """``wfplugin_link_new_products``: link a new product (one that no workflow of the application is
    linked to yet) to every workflow that is linked to all established products of its type.
    Default: ``True``."""

    products_linked_by_hand: tuple[str, ...] = option(_strings, WORKFLOWS, ())
    """``wfplugin_products_linked_by_hand``: names of products whose workflow links the plugin never
    changes (a product being phased out, say): no link to them is added or removed. Default: ``()``."""

    default_product_workflows: tuple[str, ...] | None = option(_strings_or_none, WORKFLOWS, None)
    """``wfplugin_default_product_workflows``: workflows that every product is linked to. Default:
    ``None``, meaning orchestrator-core's ``DEFAULT_PRODUCT_WORKFLOWS`` setting (``["modify_note"]``)."""

    read_workflows: str = option(_read_workflows, WORKFLOWS, "source")
    """``wfplugin_read_workflows``: how a workflow's target and description are read. ``"source"`` reads
    them from the module's syntax tree where one orchestrator-core decorator states them with literal
    arguments (remembered by the module's content, see ``cache_dir``), and imports only the others; a
    module or function that does not exist is still reported (its import fails), but a module that
    exists and would fail to import goes unnoticed. ``"import"`` instantiates every
    ``LazyWorkflowInstance`` (imports every workflow module, so any module that fails to import is
    reported): strict, and slow on a large application. Default: ``"source"``."""

    cache_dir: str | bool = option(_cache_dir, WORKFLOWS, True)
    """``wfplugin_cache_dir``: where ``"source"`` remembers what each module's source says, keyed by the
    module file's content: ``True`` for the user cache folder (``$XDG_CACHE_HOME/alembic-wfplugin``,
    else ``~/.cache/alembic-wfplugin``), a folder path, or ``False`` for no cache (every module parsed on
    every run). Default: ``True``."""

    # Read by the domain-model comparison (with wfplugin_domain_models=True).
    domain_models: bool = option(_bool, DOMAIN_MODELS, False)
    """``wfplugin_domain_models``: also compare the domain models (products, product blocks, resource types,
    fixed inputs of ``SUBSCRIPTION_MODEL_REGISTRY``) and write their migration. Default: ``False``."""

    products: Mapping[str, ProductValues] = option(_products, DOMAIN_MODELS, factory=dict)
    """``wfplugin_products``: product name -> what a new product's row needs that the code cannot say:
    ``{"description": ..., "tag": ..., "status": ..., "fixed_inputs": {name: value}}``. ``status``
    defaults to ``"active"``; description and tag default to those of the existing products of the same
    product type when they all agree; a fixed input defaults to the only value its type allows, or the
    field's default. Read only when the product is created. Default: ``{}``."""

    product_blocks: Mapping[str, BlockValues] = option(_product_blocks, DOMAIN_MODELS, factory=dict)
    """``wfplugin_product_blocks``: product block name -> ``{"description": ..., "tag": ..., "status": ...}``
    for a new product block (status defaults to ``"active"``). Default: ``{}``."""

    resource_types: Mapping[str, ResourceTypeValues] = option(_resource_types, DOMAIN_MODELS, factory=dict)
    """``wfplugin_resource_types``: resource type -> its description (a string), or ``{"description": ...,
    "value": ...}`` where ``value`` is written to the existing subscription instances of a block that
    gains this resource type (or that the revision creates): a string, number or bool for a plain field, a
    list of them for a list field, checked against the field's type. A key ``"Block.resource_type"``
    gives the value for that product block only (``Block`` as its ``product_block_name``). The
    description defaults to the field's own (``Field(description=...)``); the value to the field's
    default. Default: ``{}``."""

    discard_values: tuple[str, ...] = option(_strings, DOMAIN_MODELS, ())
    """``wfplugin_discard_values``: ``["Block.resource_type", ...]`` (the block's ``product_block_name``, a
    dot, the field): where the code no longer declares the field, the upgrade deletes its values on that
    block's instances instead of stopping; a downgrade does not bring them back. Default: ``()``."""

    # Read by every kind's comparison.
    import_modules: tuple[str, ...] = option(_strings, EVERY_KIND, ())
    """``wfplugin_import_modules``: modules to import before reading orchestrator-core's registries (the
    workflows, ``SUBSCRIPTION_MODEL_REGISTRY``), e.g. ``["workflows", "products"]``; needed where
    ``env.py`` runs without the application's ``main.py`` (plain ``alembic check``). Default: ``()``."""

    allow_removing_all: bool = option(_bool, EVERY_KIND, False)
    """``wfplugin_allow_removing_all``: let a revision remove every application workflow while the code
    declares none of them (normally a missing ``import workflows``, so refused), and, with domain models,
    every product, or more than half of four or more. Default: ``False``."""

    renames: Mapping[str, Mapping[str, str]] = option(_renames, EVERY_KIND, factory=dict)
    """``wfplugin_renames``: ``{"workflows" | "products" | "product_blocks" | "resource_types" | "fixed_inputs":
    {old name: new name}}``. Where the database has the old name and not the new one, the revision renames the row
    (keeping its id; a workflow its processes, product links and schedules; a product or block its subscriptions,
    instances and values) instead of removing one object and adding another. A renamed workflow's target,
    ``is_task`` and links then follow the code as for any workflow. A fixed input is renamed on every product whose
    type declares the new name and not the old. A resource type is renamed on every block whose code declares the
    new name and not the old (in place where that is every block that has it; otherwise those blocks' values move to
    the new resource type and the others keep the old one); ``"Block.old": "new"`` renames it on that block only.
    Renames are never guessed. Default: ``{}``."""

    warnings_are_errors: bool = option(_bool, EVERY_KIND, False)
    """``wfplugin_warnings_are_errors``: stop autogenerate (and fail ``alembic check`` and the drift report)
    on any warning: an option that names nothing, a renamed name the database does not hold, a declared
    workflow without a translation, a product without a workflow of each target orchestrator-core's
    ``task_validate_products`` reports on. For CI. Default: ``False``."""

    @classmethod
    def from_context_opts(cls, opts: Mapping[str, Any], alembics: Iterable[str] = ()) -> Options:
        """Parse the ``wfplugin_*`` keyword arguments; what is not given keeps the default above.

        ``alembics``: the keyword names of alembic's own ``context.configure()``; any other keyword that is
        a near miss of ours (``wfplgin_domain_models``) is an error, not an option quietly ignored."""
        ours = {key[len(PREFIX) :]: value for key, value in opts.items() if key.startswith(PREFIX)}
        known = {f.name for f in fields(cls)}
        misspelled = sorted(key for key in set(opts) - set(alembics) if _near_miss(key, known))
        if misspelled:
            hints = [f"{key}{did_you_mean(_unprefixed(key), known, prefix=PREFIX)}" for key in misspelled]
            raise WorkflowPluginError(
                f"Misspelled alembic-wfplugin option(s) in context.configure(): {', '.join(hints)}; alembic-wfplugin "
                f"reads only keywords that start with {PREFIX!r}. Known options: "
                f"{', '.join(PREFIX + name for name in sorted(known))}."
            )
        unknown = sorted(set(ours) - known)
        if unknown:
            hints = [f"{PREFIX}{name}{did_you_mean(name, known, prefix=PREFIX)}" for name in unknown]
            raise WorkflowPluginError(
                f"Unknown alembic-wfplugin option(s) in context.configure(): {', '.join(hints)}. "
                f"Known options: {', '.join(PREFIX + name for name in sorted(known))}."
            )
        parse = {f.name: f.metadata["parse"] for f in fields(cls)}
        parsed = cls(**{name: parse[name](value, PREFIX + name) for name, value in ours.items()})
        parsed.check_domain_options_switched_on()
        return parsed

    def check_domain_options_switched_on(self) -> None:
        """Domain-model options are read only with ``wfplugin_domain_models=True``: set without it, they
        would be ignored without a word."""
        if self.domain_models:
            return
        defaults = Options()
        ignored = [
            PREFIX + f.name
            for f in fields(self)
            if f.metadata["owner"] == DOMAIN_MODELS and getattr(self, f.name) != getattr(defaults, f.name)
        ]
        ignored += [f"{PREFIX}renames[{key!r}]" for key in sorted(self.renames) if RENAME_KEYS[key] == DOMAIN_MODELS]
        if ignored:
            raise WorkflowPluginError(
                f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} read only when domain models are "
                f"compared, and {PREFIX}domain_models is off: add {PREFIX}domain_models=True to "
                "context.configure(...) in env.py, or remove them."
            )


def _unprefixed(key: str) -> str:
    """``key`` without what stands for our prefix (``wfplgin_domain_models`` -> ``domain_models``)."""
    head, _, rest = key.partition("_")
    return rest if _edits(head.lower(), PREFIX[:-1]) <= 2 else key


def _near_miss(key: str, known: Iterable[str]) -> bool:
    """A keyword that is not ours but within a small edit distance of our prefix or of one of our options."""
    if key.startswith(PREFIX):
        return False  # ours: checked against the known options by name
    head = key.partition("_")[0].lower()
    return _edits(head, PREFIX[:-1]) <= 2 or any(_edits(key.lower(), PREFIX + name) <= 2 for name in known)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def did_you_mean(name: str, candidates: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean X?)`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    if not close:
        return ""
    return f" (did you mean {prefix}{close[0]}?)" if prefix else f" (did you mean {close[0]!r}?)"
