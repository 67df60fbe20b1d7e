"""The one rule that decides which products each declared workflow is linked to.

Products named in ``wfplugin_products_linked_by_hand`` are left out of everything below: no link to
them is added or removed. For every other product, a declared workflow is linked to:

1. **every product**, if it is a default product workflow (orchestrator-core's
   ``DEFAULT_PRODUCT_WORKFLOWS``, or ``wfplugin_default_product_workflows``), whatever its target;
2. else **exactly the products its ``wfplugin_product_types`` entry selects**, if it has one;
3. else, if it has a live row linked to at least one product that this revision keeps (a product linked
   by hand counts; a product the revision removes does not): **the products it is linked to now, plus
   every new product of a product type whose established products it is all linked to**. A product is
   *new* when no workflow under this rule 3 is linked to it (default and mapped workflows do not count,
   so products added together, or beside a mapped workflow, are all new); the others are *established*
   (``wfplugin_link_new_products=False`` turns the "plus" off);
4. else (a workflow added or brought back, or a live row linked to no product): **no product** if its
   target is ``SYSTEM`` (a task); otherwise **every product of its product type**, inferred from the
   code: the parent package of its module and its name without the leading verb, normalised
   (``workflows.user_group.create_user_group`` -> ``usergroup``), matched against the product types in
   the database; exactly one must match, or autogenerate stops and asks for a ``wfplugin_product_types``
   entry.

Rules 1, 2 and 4 depend only on the code, the options and the products, so a revision that applies
them leaves nothing for the next autogenerate; rule 3 depends on links, and the products it adds are
established afterwards, so it reaches its fixed point in the same revision.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from alembic_wfplugin.errors import listed
from alembic_wfplugin.options import PREFIX, Options
from alembic_wfplugin.products import Product, ProductSelector
from alembic_wfplugin.workflows.model import DeclaredWorkflow, DefinedWorkflow, Links


@dataclass(frozen=True)
class Decision:
    links: Links
    reason: str


def decide_links(
    declared: Mapping[str, DeclaredWorkflow],
    rows: Mapping[str, DefinedWorkflow],
    products: Iterable[Product],
    options: Options,
    default_workflows: Collection[str],
) -> tuple[dict[str, Decision], list[str]]:
    """Every declared workflow -> its links and why; and a line per workflow the rule cannot decide."""
    by_hand = frozenset(options.products_linked_by_hand)
    products = tuple(products)
    managed = tuple(product for product in products if product.name not in by_hand)
    product_types = {product.product_type for product in products}
    kept = frozenset(product.name for product in products)  # the products after this revision
    decided: dict[str, Decision] = {}
    current: dict[str, frozenset[str]] = {}  # rule 3's workflows -> their managed links
    unresolved: list[str] = []
    for name, workflow in sorted(declared.items()):
        row = rows.get(name)
        # links to products this revision removes do not count: without them the row is linked to
        # nothing, so the next autogenerate would apply rule 4; this one does
        linked = frozenset() if row is None or row.deleted else frozenset(p.name for p in row.products) & kept
        if name in default_workflows:
            decided[name] = Decision(Links(every_product=True), "every product (a default product workflow)")
        elif name in options.product_types:
            mapped = Links(selectors=options.product_types[name])
            decided[name] = Decision(mapped, f"{mapped} ({PREFIX}product_types)")
        elif linked:  # links to products linked by hand count here: such a workflow is not new
            current[name] = linked - by_hand
        elif workflow.target == "SYSTEM":
            decided[name] = Decision(Links(), "none (target SYSTEM: a task)")
        elif (product_type := infer_product_type(workflow, product_types)) is not None:
            inferred = Links(selectors=(ProductSelector(product_type),))
            decided[name] = Decision(inferred, f"every {product_type} product (inferred from the code)")
        else:
            unresolved.append(_unresolved_line(workflow, product_types))

    adopted = _new_products_adopted(current, managed) if options.link_new_products else {}
    for name, linked in current.items():
        new = ", ".join(sorted(adopted.get(name, ())))
        reason = (
            f"as they are, plus new {new} (linked to every established product of its type)" if new else "as they are"
        )
        decided[name] = Decision(Links(products=tuple(sorted(linked | adopted.get(name, frozenset())))), reason)
    return decided, unresolved


def _new_products_adopted(
    current: Mapping[str, frozenset[str]], products: Iterable[Product]
) -> dict[str, frozenset[str]]:
    """Rule 3's "plus": each workflow -> the new products it is linked to."""
    established = frozenset().union(*current.values())
    of_type: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        of_type[product.product_type].append(product)
    # only product types that have both established and new products can adopt anything
    adoptable = []
    for group in of_type.values():
        old = frozenset(product.name for product in group if product.name in established)
        new = frozenset(product.name for product in group) - old
        if old and new:
            adoptable.append((old, new))
    return {
        name: frozenset().union(*(new for old, new in adoptable if old <= linked)) for name, linked in current.items()
    }


def normalise(text: str) -> str:
    """``User_Group`` / ``user-group`` / ``usergroup`` -> ``usergroup``."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def inference_keys(workflow: DeclaredWorkflow) -> set[str]:
    """What a workflow's location and name say about its product type: the parent package of its module
    (``workflows.user_group.create_user_group`` -> ``usergroup``) and its name without the leading verb
    (``create_user_group`` -> ``usergroup``)."""
    keys = set()
    packages = workflow.module.split(".")
    if len(packages) >= 2:
        keys.add(normalise(packages[-2]))
    _verb, _, subject = workflow.name.partition("_")
    if subject:
        keys.add(normalise(subject))
    return keys - {""}


def infer_product_type(workflow: DeclaredWorkflow, product_types: Iterable[str]) -> str | None:
    keys = inference_keys(workflow)
    matches = sorted(product_type for product_type in set(product_types) if normalise(product_type) in keys)
    return matches[0] if len(matches) == 1 else None


def _unresolved_line(workflow: DeclaredWorkflow, product_types: Iterable[str]) -> str:
    keys = ", ".join(repr(key) for key in sorted(inference_keys(workflow)))
    known = ", ".join(sorted(product_types)) or "none"
    return (
        f"{workflow.name} ({workflow.target}, in {workflow.module}): no single product type matches {keys}; "
        f"product types in the database: {known}"
    )


def unresolved_message(lines: list[str]) -> str:
    example = ", ".join(f'"{line.split(" ", 1)[0]}": "ProductType"' for line in lines[:2])
    return (
        listed("Cannot tell which product type these workflows belong to", lines)
        + "\nMap each one in migrations/env.py, e.g. context.configure(..., "
        + f"{PREFIX}product_types={{{example}}}); "
        + 'a value may also be "ProductType:TAG", a list of those, or [] for no product. '
        + "No revision file was written."
    )
