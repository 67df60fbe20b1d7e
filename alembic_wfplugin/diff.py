"""The pure core: declared and defined workflows in, the changes that make the database match the code
out. No I/O, no alembic, no orchestrator-core."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.model import (
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    Product,
    ProductSelector,
    WorkflowChanges,
    WorkflowSpec,
    is_task_target,
)
from alembic_wfplugin.options import PREFIX, Options

DESCRIPTION_LENGTH = 2000  # orchestrator-core's workflows.description is varchar(2000)


def diff_workflows(
    declared: Mapping[str, DeclaredWorkflow], database: DatabaseState, options: Options
) -> WorkflowChanges:
    _check_options(declared, database, options)
    live = {name: row for name, row in database.workflows.items() if not row.deleted}
    soft_deleted = sorted(name for name, row in database.workflows.items() if row.deleted and name in declared)
    if soft_deleted:
        raise WorkflowPluginError(
            f"Declared workflow(s) {', '.join(soft_deleted)} exist in the database but are soft-deleted "
            "(workflows.deleted_at is set); orchestrator-core's create_workflow would silently skip them. "
            "Restore them by hand (UPDATE workflows SET deleted_at = NULL WHERE name = ...) in a revision, "
            "or remove their LazyWorkflowInstance lines."
        )

    added: list[WorkflowSpec] = []
    unresolved: list[str] = []
    reasons: dict[str, str] = {}
    for name in sorted(declared.keys() - live.keys()):
        workflow = declared[name]
        selectors = product_selectors(workflow, database.product_types, options)
        if selectors is None and workflow.target != "SYSTEM":
            unresolved.append(_unresolved_line(workflow, database.product_types))
            continue
        added.append(
            WorkflowSpec(
                name=name,
                target=workflow.target,
                description=description_of(workflow, options),
                is_task=is_task_target(workflow.target),
                selectors=selectors or (),
            )
        )
        reasons[name] = f"declared in {workflow.module}, not in the database"
    if unresolved:
        raise WorkflowPluginError(_unresolved_message(unresolved))

    removed = [removed_spec(live[name], database.products) for name in sorted(live.keys() - declared.keys())]
    for spec in removed:
        reasons[spec.name] = "in the database, not declared in the code"
    return WorkflowChanges(
        added=tuple(sorted(added, key=lambda spec: spec.sort_key)),
        removed=tuple(sorted(removed, key=lambda spec: spec.sort_key)),
        reasons=reasons,
    )


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


def product_selectors(
    workflow: DeclaredWorkflow, product_types: Iterable[str], options: Options
) -> tuple[ProductSelector, ...] | None:
    """The products a new workflow is linked to: the options' mapping first, then inference; ``None``
    when neither decides."""
    if workflow.name in options.product_types:
        return options.product_types[workflow.name]
    keys = inference_keys(workflow)
    matches = sorted(product_type for product_type in set(product_types) if normalise(product_type) in keys)
    if len(matches) == 1:
        return (ProductSelector(matches[0]),)
    return None


def description_of(workflow: DeclaredWorkflow, options: Options) -> str:
    """The decorator's description, else the options' mapping, else the name made readable."""
    description = workflow.description or options.descriptions.get(workflow.name) or _readable(workflow.name)
    if len(description) > DESCRIPTION_LENGTH:
        raise WorkflowPluginError(
            f"The description of workflow {workflow.name!r} has {len(description)} characters; orchestrator-core "
            f"stores at most {DESCRIPTION_LENGTH} (workflows.description). Shorten it in the @workflow decorator "
            f"or in {PREFIX}descriptions."
        )
    if "\x00" in description:
        raise WorkflowPluginError(
            f"The description of workflow {workflow.name!r} contains a NUL character, which PostgreSQL text "
            f"cannot store. Remove it from the @workflow decorator or from {PREFIX}descriptions."
        )
    return description


def _readable(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def removed_spec(row: DefinedWorkflow, products: Iterable[Product]) -> WorkflowSpec:
    """The row as it is, so that the reverse of its delete writes it back."""
    selectors, product_names = link_spec(row.products, products)
    return WorkflowSpec(
        name=row.name,
        target=row.target,
        description=row.description,
        is_task=row.is_task,
        selectors=selectors,
        product_names=product_names,
    )


def link_spec(
    linked: Iterable[Product], products: Iterable[Product]
) -> tuple[tuple[ProductSelector, ...], tuple[str, ...]]:
    """Describe a set of linked products as selectors where a selector picks exactly those products
    (``User`` when every User product is linked), and by product name where none does."""
    linked = set(linked)
    products = set(products) | linked
    selectors: list[ProductSelector] = []
    names: list[str] = []
    for product_type in sorted({product.product_type for product in linked}):
        of_type = {product for product in products if product.product_type == product_type}
        mine = {product for product in linked if product.product_type == product_type}
        if mine == of_type:
            selectors.append(ProductSelector(product_type))
            continue
        for tag in sorted({product.tag for product in mine}):
            mine_with_tag = {product for product in mine if product.tag == tag}
            if mine_with_tag == {product for product in of_type if product.tag == tag}:
                selectors.append(ProductSelector(product_type, tag))
            else:
                names.extend(sorted(product.name for product in mine_with_tag))
    return tuple(selectors), tuple(names)


def _check_options(declared: Mapping[str, DeclaredWorkflow], database: DatabaseState, options: Options) -> None:
    problems = []
    for option, names in (("product_types", options.product_types), ("descriptions", options.descriptions)):
        for name in sorted(set(names) - set(declared)):
            problems.append(
                f"{PREFIX}{option} names workflow {name!r}, which no LazyWorkflowInstance declares "
                "(a typo, or a workflow that was removed?)"
            )
    known_types = database.product_types
    for name, selectors in sorted(options.product_types.items()):
        for selector in selectors:
            if selector.product_type not in known_types:
                problems.append(
                    f"{PREFIX}product_types[{name!r}] maps to product type {selector.product_type!r}, which no "
                    f"product in the database has (known: {', '.join(sorted(known_types)) or 'none'})"
                )
            elif selector.tag is not None and not any(
                product.product_type == selector.product_type and product.tag == selector.tag
                for product in database.products
            ):
                problems.append(
                    f"{PREFIX}product_types[{name!r}] maps to {str(selector)!r}, but no {selector.product_type} "
                    f"product has tag {selector.tag!r}"
                )
    if problems:
        raise WorkflowPluginError("Invalid alembic-wfplugin options:\n  - " + "\n  - ".join(problems))


def _unresolved_line(workflow: DeclaredWorkflow, product_types: Iterable[str]) -> str:
    keys = ", ".join(repr(key) for key in sorted(inference_keys(workflow)))
    known = ", ".join(sorted(product_types)) or "none"
    return (
        f"{workflow.name} ({workflow.target}, in {workflow.module}): no single product type matches {keys}; "
        f"product types in the database: {known}"
    )


def _unresolved_message(lines: list[str]) -> str:
    example = ", ".join(f'"{line.split(" ", 1)[0]}": "ProductType"' for line in lines[:2])
    return (
        "Cannot tell which product type these new workflows belong to:\n  - "
        + "\n  - ".join(lines)
        + "\nMap each one in migrations/env.py, e.g. context.configure(..., "
        + f"{PREFIX}product_types={{{example}}}); "
        + 'a value may also be "ProductType:TAG" or a list of those. No revision file was written.'
    )
