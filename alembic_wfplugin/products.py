"""Products as every kind and the options name them: a product row as the workflow links see it (what
domain models hand to workflow registration, ``comparison.Handoff``), and a selector of the products of
one product type (``wfplugin_product_types``). Pure core."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProductSelector:
    """Every product of ``product_type`` (narrowed to ``tag`` when given)."""

    product_type: str
    tag: str | None = None

    def __str__(self) -> str:
        return self.product_type if self.tag is None else f"{self.product_type}:{self.tag}"

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.product_type, self.tag or "")

    def selects(self, product: Product) -> bool:
        return product.product_type == self.product_type and self.tag in (None, product.tag)


@dataclass(frozen=True, order=True)
class Product:
    name: str
    product_type: str
    tag: str
    # orchestrator-core checks the workflows of active products only (task_validate_products)
    status: str = field(default="active", compare=False)
