"""The code side: the products in orchestrator-core's ``SUBSCRIPTION_MODEL_REGISTRY``, their product
blocks, resource types and fixed inputs, read from the models' own field lists.

orchestrator-core lists on each class only the fields that class annotates itself
(``_non_product_block_fields_`` / ``_product_block_fields_``), and the registry holds one lifecycle
variant. A field is the model's if any lifecycle variant of it, or any of their model superclasses,
declares it, so this reads the union of them all.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from alembic_wfplugin import compat
from alembic_wfplugin.domain.model import BlockField, DeclaredBlock, DeclaredDomain, DeclaredProduct, Field, Stored
from alembic_wfplugin.errors import WorkflowPluginError


def declared_domain(registry: Mapping[str, Any] | None = None) -> DeclaredDomain:
    registry = compat.subscription_model_registry() if registry is None else registry
    base = compat.domain_base()
    products: dict[str, DeclaredProduct] = {}
    blocks: dict[str, DeclaredBlock] = {}
    pending: list[str] = []
    for name, model in sorted(registry.items()):
        plain, block_fields = _fields(model, base)
        root_blocks = _block_names(block_fields)
        products[name] = DeclaredProduct(name, model.__name__, plain, root_blocks, _block_fields(model, block_fields))
        pending += root_blocks
    while pending:
        name = pending.pop()
        if name in blocks:
            continue
        model = base.ProductBlockModel.registry.get(name)
        if model is None:  # a block name that no class registered: orchestrator-core itself cannot load it
            raise WorkflowPluginError(
                f"Product block {name!r} is used by a model but no ProductBlockModel declares it."
            )
        plain, block_fields = _fields(model, base)
        depends_on = _block_names(block_fields)
        blocks[name] = DeclaredBlock(name, plain, depends_on, _block_fields(model, block_fields))
        pending += depends_on
    return DeclaredDomain(products, dict(sorted(blocks.items())))


def _fields(model: Any, base: Any) -> tuple[dict[str, Field], dict[str, Any]]:
    """The model's plain fields (as ``Field``) and product block fields (name -> type), over every
    lifecycle variant and model superclass; facts about a plain field from the active variant."""
    active = _active_variant(model)
    roots = (base.DomainModel, base.ProductBlockModel, base.SubscriptionModel)
    classes: set[Any] = {
        klass
        for variant in _variants(model)
        for klass in variant.__mro__
        if isinstance(klass, type) and issubclass(klass, base.DomainModel) and klass not in roots
    }
    plain: dict[str, Field] = {}
    block_fields: dict[str, Any] = {}
    ordered = sorted(classes, key=lambda klass: (klass is active, klass.__qualname__))  # active last: wins
    for klass in ordered:
        for name in vars(klass).get("_non_product_block_fields_", {}):
            plain[name] = plain_field(name, active.model_fields.get(name) or klass.model_fields[name])
        for name in vars(klass).get("_product_block_fields_", {}):
            block_fields[name] = klass
    for name, read in plain.items():  # the active variant's description, else any variant's
        infos = [klass.model_fields.get(name) for klass in [active, *ordered]]
        description = next((info.description for info in infos if info is not None and info.description), None)
        plain[name] = dataclasses.replace(read, description=description)
    types_by_field = {name: klass._get_depends_on_product_block_types()[name] for name, klass in block_fields.items()}
    return dict(sorted(plain.items())), types_by_field


def _variants(model: type) -> set[type]:
    base_type = getattr(model, "__base_type__", None) or model
    return {model, base_type} | {klass for (of, _), klass in compat.lifecycle_variants().items() if of is base_type}


def _active_variant(model: type) -> Any:
    base_type = getattr(model, "__base_type__", None) or model
    for (of, lifecycle), klass in compat.lifecycle_variants().items():
        if of is base_type and getattr(lifecycle, "value", None) == "active":
            return klass
    return model


def _block_names(block_fields: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted({name for field_type in block_fields.values() for name in _names_of(field_type)}))


def _names_of(field_type: Any) -> set[str]:
    names: set[str] = set()
    for klass in field_type if isinstance(field_type, tuple) else (field_type,):
        names |= set(getattr(klass, "__names__", ()) or ())
    return names


def _block_fields(model: Any, block_fields: Mapping[str, Any]) -> tuple[BlockField, ...]:
    """Each product block field with whether an instance must exist: required in some lifecycle variant
    (orchestrator-core loads a subscription with the variant of its lifecycle state)."""
    required = set()
    for variant in _variants(model):
        for name, annotation in vars(variant).get("_product_block_fields_", {}).items():
            if not _is_optional(annotation) and not compat.is_list_type(annotation):
                required.add(name)
    return tuple(
        BlockField(name, tuple(sorted(_names_of(field_type))), name in required)
        for name, field_type in sorted(block_fields.items())
    )


def plain_field(name: str, info: Any) -> Field:
    """What a pydantic field tells about the values it needs, and how its values are stored."""
    annotation = info.annotation
    optional = _is_optional(annotation)
    is_list = compat.is_list_type(annotation)
    default = info.get_default(call_default_factory=True) if not info.is_required() else None
    return Field(
        name=name,
        required=info.is_required() and not optional and not is_list,
        default=None if default is None else stored_value(default, is_list),
        allowed=_allowed_values(annotation),
        description=info.description,
        is_list=is_list,
        type_name=_type_name(annotation),
        check=_checker(annotation, tuple(info.metadata), is_list),
    )


def stored_value(value: Any, is_list: bool) -> Stored:
    """A value as orchestrator-core's ``save()`` stores it: ``str()`` of each list element (no row for an
    empty list), ``str()`` of a scalar; an Enum by its value."""
    return tuple(_stored(item) for item in value) if is_list else (_stored(value),)


def _checker(annotation: Any, metadata: tuple[Any, ...], is_list: bool) -> Callable[[Stored], str | None]:
    """Loads stored rows as orchestrator-core does (a list field from its rows, a scalar from its one row)
    and validates them as pydantic will; returns pydantic's complaint, or None."""
    import pydantic  # orchestrator-core's own dependency; imported only when domain models are read

    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(
        typing.Annotated[annotation, *metadata] if metadata else annotation
    )

    def check(stored: Stored) -> str | None:
        if not is_list and len(stored) != 1:
            return "a field that is not a list holds exactly one value"
        try:
            adapter.validate_python(list(stored) if is_list else stored[0])
        except pydantic.ValidationError as error:
            return "; ".join(str(e["msg"]) for e in error.errors())
        return None

    return check


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _is_optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def _allowed_values(annotation: Any) -> tuple[str, ...] | None:
    """The values a field may hold when its type is an Enum or a Literal (``None`` otherwise)."""
    while True:  # Annotated[X, ...] and Optional[X] allow what X allows (None is no value to store)
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _is_optional(annotation) and len(typing.get_args(annotation)) == 2:
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        else:
            break
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(_stored(value) for value in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(_stored(member) for member in annotation)
    return None


def _stored(value: Any) -> str:
    """A value as orchestrator-core stores it in a text column: ``str(value)``, an Enum by its value."""
    return str(value.value if isinstance(value, enum.Enum) else value)
