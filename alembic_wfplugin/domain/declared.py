"""The code side: the products in orchestrator-core's ``SUBSCRIPTION_MODEL_REGISTRY``, their product
blocks, resource types and fixed inputs, read from the models' own field lists.

orchestrator-core lists on each class only the fields that class annotates itself
(``_non_product_block_fields_`` / ``_product_block_fields_``), and the registry holds one lifecycle
variant. A field is the model's if any lifecycle variant of it, or any of their model superclasses,
declares it, so this reads the union of them all.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

from alembic_wfplugin import compat
from alembic_wfplugin.domain.model import DeclaredBlock, DeclaredDomain, DeclaredProduct, Field
from alembic_wfplugin.errors import WorkflowPluginError


def declared_domain(registry: Mapping[str, Any] | None = None) -> DeclaredDomain:
    registry = compat.subscription_model_registry() if registry is None else registry
    base = compat.domain_base()
    products: dict[str, DeclaredProduct] = {}
    blocks: dict[str, DeclaredBlock] = {}
    pending: list[str] = []
    for name, model in sorted(registry.items()):
        plain, block_fields = _fields(model, base)
        root_blocks = _block_names(block_fields, base)
        products[name] = DeclaredProduct(name, model.__name__, plain, root_blocks)
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
        depends_on = _block_names(block_fields, base)
        blocks[name] = DeclaredBlock(name, plain, depends_on)
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
    for klass in sorted(classes, key=lambda klass: (klass is active, klass.__qualname__)):  # active last: wins
        for name in vars(klass).get("_non_product_block_fields_", {}):
            plain[name] = _field(name, active.model_fields.get(name) or klass.model_fields[name])
        for name in vars(klass).get("_product_block_fields_", {}):
            block_fields[name] = klass
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


def _block_names(block_fields: Mapping[str, Any], base: Any) -> tuple[str, ...]:
    names: set[str] = set()
    for field_type in block_fields.values():
        for klass in field_type if isinstance(field_type, tuple) else (field_type,):
            names |= set(getattr(klass, "__names__", ()) or ())
    return tuple(sorted(names))


def _field(name: str, info: Any) -> Field:
    """What a pydantic field tells about the values it needs."""
    annotation = info.annotation
    optional = _is_optional(annotation)
    default = info.get_default() if not info.is_required() and info.default_factory is None else None
    allowed = _allowed_values(annotation)
    return Field(
        name=name,
        required=info.is_required() and not optional,
        default=None if default is None else _stored(default),
        allowed=allowed,
        description=info.description,
    )


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
