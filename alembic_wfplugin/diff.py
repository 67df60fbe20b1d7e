"""The pure core: declared and defined workflows in, the changes that make the database match the code
out. No I/O, no alembic, no orchestrator-core."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.model import (
    ColumnChange,
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    LinkChange,
    Product,
    ProductSelector,
    WorkflowChanges,
    WorkflowSpec,
    WorkflowUpdate,
    is_task_target,
)
from alembic_wfplugin.options import PREFIX, Options

DESCRIPTION_LENGTH = 2000  # orchestrator-core's workflows.description is varchar(2000)


def diff_workflows(
    declared: Mapping[str, DeclaredWorkflow],
    database: DatabaseState,
    options: Options,
    default_workflows: Collection[str] = (),
) -> WorkflowChanges:
    """``default_workflows``: orchestrator-core's DEFAULT_PRODUCT_WORKFLOWS (unless the options say)."""
    if options.default_product_workflows is not None:
        default_workflows = options.default_product_workflows
    _check_options(declared, database, options)
    rows = database.workflows
    live = {name: row for name, row in rows.items() if not row.deleted}

    added: list[WorkflowSpec] = []
    unresolved: list[str] = []
    reasons: dict[str, str] = {}
    for name in sorted(declared.keys() - rows.keys()):
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
        reasons[name] = f"declared in {workflow.module.replace('.', '/')}.py, not in the database"
    if unresolved:
        raise WorkflowPluginError(_unresolved_message(unresolved))

    removed = [removed_spec(live[name], database.products) for name in sorted(live.keys() - declared.keys())]
    _guard_mass_removal(declared, removed, options)
    for spec in removed:
        reasons[spec.name] = "in the database, not declared in the code"

    updated = []
    for name in sorted(declared.keys() & rows.keys()):
        update = workflow_update(declared[name], rows[name], options, has_is_task=database.has_is_task)
        if update.changes:
            updated.append(update)

    kept = {name: rows[name] for name in declared.keys() & rows.keys()}
    linked, unlinked = link_changes(kept, database.products, options, frozenset(default_workflows))
    return WorkflowChanges(
        added=tuple(sorted(added, key=lambda spec: spec.sort_key)),
        removed=tuple(sorted(removed, key=lambda spec: spec.sort_key)),
        updated=tuple(sorted(updated, key=lambda update: update.sort_key)),
        linked=linked,
        unlinked=unlinked,
        reasons=reasons,
    )


def workflow_update(
    workflow: DeclaredWorkflow, row: DefinedWorkflow, options: Options, *, has_is_task: bool
) -> WorkflowUpdate:
    """What differs between the code and an existing row (restoring it first if it is soft-deleted)."""
    changes = []
    if row.deleted_at is not None:
        changes.append(ColumnChange("deleted_at", row.deleted_at, None))
    if workflow.target != row.target:
        changes.append(ColumnChange("target", row.target, workflow.target))
    if has_is_task and is_task_target(workflow.target) != row.is_task:
        changes.append(ColumnChange("is_task", row.is_task, is_task_target(workflow.target)))
    if options.compare_descriptions:
        stated = workflow.description or options.descriptions.get(workflow.name)
        if stated and stated != row.description:
            changes.append(ColumnChange("description", row.description, description_of(workflow, options)))
    reason = "; ".join(_change_reason(change) for change in changes)
    return WorkflowUpdate(workflow.name, tuple(changes), _product_type_of(row), reason)


def link_changes(
    rows: Mapping[str, DefinedWorkflow],
    products: Iterable[Product],
    options: Options,
    default_workflows: frozenset[str],
) -> tuple[tuple[LinkChange, ...], tuple[LinkChange, ...]]:
    """Links to add and to remove for the declared workflows that have a row."""
    products = tuple(products)
    by_type: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        by_type[product.product_type].append(product)
    names_by_type = {product_type: {product.name for product in group} for product_type, group in by_type.items()}
    current = {name: {product.name for product in row.products} for name, row in rows.items()}
    # the products each workflow ends up linked to by the rules that do not depend on other workflows
    wanted: dict[str, set[str]] = {}
    why: dict[str, str] = {}
    for name in rows:
        if name in default_workflows:
            # linked to every product, never unlinked (orchestrator-core's DEFAULT_PRODUCT_WORKFLOWS)
            wanted[name] = {product.name for product in products}
            why[name] = "a default product workflow (DEFAULT_PRODUCT_WORKFLOWS): linked to every product"
        elif name in options.product_types:
            wanted[name] = {
                product.name
                for selector in options.product_types[name]
                for product in by_type.get(selector.product_type, ())
                if selector.tag in (None, product.tag)
            }
            why[name] = f"{PREFIX}product_types states its products"
        else:
            wanted[name] = current[name]
    if options.link_new_products:
        # Judged on the links after the rules above, so that a product this revision unlinks from a mapped
        # workflow is linked here at once, not by the next autogenerate.
        linked = {product for name, names in wanted.items() if name not in default_workflows for product in names}
        # each new product with the other products of its type (if there are any)
        new_products = [
            (product.name, others)
            for product in products
            if product.name not in linked and (others := names_by_type[product.product_type] - {product.name})
        ]
        for name in rows:
            if name in default_workflows or name in options.product_types:
                continue
            adopted = {product for product, others in new_products if others <= current[name]}
            if adopted:
                wanted[name] = wanted[name] | adopted
                why[name] = "products added after it was registered; it is linked to every other product of their type"
    to_link = {name: wanted[name] - current[name] for name in rows}
    to_unlink = {name: current[name] - wanted[name] for name in rows}
    return _link_list(to_link, rows, why), _link_list(to_unlink, rows, why)


def _link_list(
    changes: Mapping[str, set[str]], rows: Mapping[str, DefinedWorkflow], why: Mapping[str, str]
) -> tuple[LinkChange, ...]:
    links = [
        LinkChange(name, tuple(sorted(products)), _product_type_of(rows[name]), why[name])
        for name, products in changes.items()
        if products
    ]
    return tuple(sorted(links, key=lambda link: link.sort_key))


def _product_type_of(row: DefinedWorkflow) -> str:
    return min((product.product_type for product in row.products), default="")


def _change_reason(change: ColumnChange) -> str:
    if change.column == "deleted_at":
        return "declared in the code, soft-deleted in the database"
    return f"{change.column} is {change.old!r} in the database, {change.new!r} in the code"


def _guard_mass_removal(
    declared: Mapping[str, DeclaredWorkflow], removed: Iterable[WorkflowSpec], options: Options
) -> None:
    """Refuse to remove every application workflow when the code declares none: nearly always a missing
    ``import workflows``, not a decision."""
    application_declared = [w for w in declared.values() if w.module.split(".")[0] != "orchestrator"]
    removed = list(removed)
    if application_declared or not removed or options.allow_removing_all:
        return
    names = ", ".join(spec.name for spec in removed[:5]) + (", ..." if len(removed) > 5 else "")
    raise WorkflowPluginError(
        f"The code declares none of the application's workflows (only orchestrator-core's own), while the "
        f"database holds {len(removed)} of them ({names}); autogenerate would remove them all. Most likely the "
        "package that registers them is not imported: add `import workflows` to main.py, or set "
        f'{PREFIX}import_modules=["workflows"] in env.py. To remove them all on purpose, set '
        f"{PREFIX}allow_removing_all=True. No revision file was written."
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
