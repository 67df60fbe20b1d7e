"""The pure core: declared and defined workflows in, the changes that make the database match the code
out. No I/O, no alembic, no SQLAlchemy, no orchestrator-core."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping

from alembic_wfplugin.errors import WorkflowPluginError, listed, unstorable
from alembic_wfplugin.options import PREFIX, Options, did_you_mean
from alembic_wfplugin.products import Product, ProductSelector
from alembic_wfplugin.workflows.links import decide_links, unresolved_message
from alembic_wfplugin.workflows.model import (
    ColumnChange,
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    LinkChange,
    Links,
    ProductIndex,
    WorkflowChanges,
    WorkflowRename,
    WorkflowSpec,
    WorkflowUpdate,
    is_task_target,
)

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
    renamed, database, warnings = _renamed(declared, database, options)
    decisions, unresolved = decide_links(declared, database.workflows, database.products, options, default_workflows)
    if unresolved:
        raise WorkflowPluginError(unresolved_message(unresolved))

    live = {name: row for name, row in database.workflows.items() if not row.deleted}
    retired = [
        retired_spec(live[name], database.products, "in the database, not declared in the code")
        for name in sorted(live.keys() - declared.keys())
    ]
    _guard_mass_removal(declared, retired, options)

    by_hand = frozenset(options.products_linked_by_hand)
    managed = ProductIndex(product for product in database.products if product.name not in by_hand)
    made_live, updated, linked, unlinked = [], [], [], []
    end_links: dict[str, frozenset[str]] = {}
    for name, workflow in sorted(declared.items()):
        links, why_links = decisions[name].links, decisions[name].reason
        row = database.workflows.get(name)
        end_links[name] = links.resolve(managed) | {p.name for p in (row.products if row else ()) if p.name in by_hand}
        row = live.get(name)
        if row is None or name in renamed:
            if name in renamed:
                state = f"renamed from {renamed[name].old!r} ({PREFIX}renames['workflows'])"
            elif name not in database.workflows:
                state = "no row"
            else:
                state = "soft-deleted in the database"
            made_live.append(
                WorkflowSpec(
                    name=name,
                    target=workflow.target,
                    description=description_of(workflow, options),
                    is_task=is_task_target(workflow.target),
                    links=links,
                    kept_links=tuple(sorted(by_hand)),
                    overwrite_description=bool(options.compare_descriptions and stated_description(workflow, options)),
                    reason=f"declared in {workflow.module.replace('.', '/')}.py, {state}; links: {why_links}",
                )
            )
            continue
        update = workflow_update(workflow, row, options)
        if update.changes:
            updated.append(update)
        wanted = links.resolve(managed)
        have = {product.name for product in row.products} - by_hand
        product_type = _product_type_of(row)
        if wanted - have:
            linked.append(LinkChange(name, tuple(sorted(wanted - have)), product_type, f"links: {why_links}"))
        if have - wanted:
            unlinked.append(LinkChange(name, tuple(sorted(have - wanted)), product_type, f"links: {why_links}"))
    return WorkflowChanges(
        renamed=tuple(renamed[name] for name in sorted(renamed)),
        made_live=tuple(sorted(made_live, key=lambda spec: spec.sort_key)),
        retired=tuple(sorted(retired, key=lambda spec: spec.sort_key)),
        updated=tuple(sorted(updated, key=lambda update: update.sort_key)),
        linked=tuple(sorted(linked, key=lambda link: link.sort_key)),
        unlinked=tuple(sorted(unlinked, key=lambda link: link.sort_key)),
        end_links=end_links,
        warnings=tuple(warnings),
    )


def _renamed(
    declared: Mapping[str, DeclaredWorkflow], database: DatabaseState, options: Options
) -> tuple[dict[str, WorkflowRename], DatabaseState, list[str]]:
    """The ``wfplugin_renames["workflows"]`` entries this database needs (the old name has a row, the new
    one has none), and the database state as it is once they ran: each old row, live or soft-deleted, under
    its new name (links and all). Never guessed. An entry already applied here is nothing to do; one where
    both names have rows, or neither, renames nothing (a warning: the other changes make the new name what
    the code says, and the old row is retired if live)."""
    renames = options.renames.get("workflows", {})
    rows = dict(database.workflows)
    problems, warnings = [], []
    renamed: dict[str, WorkflowRename] = {}
    for old, new in sorted(renames.items()):
        where = f"{PREFIX}renames['workflows'][{old!r}]"
        if new not in declared:
            problems.append(f"{where}: no LazyWorkflowInstance declares {new!r}{did_you_mean(new, declared)}")
        elif old in declared:
            problems.append(f"{where}: the code still declares {old!r}; remove its LazyWorkflowInstance")
        elif list(renames.values()).count(new) > 1:
            problems.append(f"{where}: several workflows are renamed to {new!r}; keep one entry")
        elif old in rows and new in rows:
            warnings.append(f"{where}: the database holds both {old!r} and {new!r}; nothing renamed")
        elif old in rows:
            row = rows.pop(old)
            previous = retired_spec(dataclasses.replace(row, name=new), database.products, "")
            reason = f"{PREFIX}renames['workflows']: keeps its workflow_id, processes, links and schedules"
            renamed[new] = WorkflowRename(old, new, previous, row.deleted, reason)
            rows[new] = dataclasses.replace(row, name=new)
        elif new not in rows:
            warnings.append(
                f"{where}: the database holds neither {old!r}{did_you_mean(old, rows)} nor {new!r}; nothing renamed"
            )
    if problems:
        raise WorkflowPluginError(listed("Invalid alembic-wfplugin options or names", problems))
    return renamed, dataclasses.replace(database, workflows=rows), warnings


def workflow_update(workflow: DeclaredWorkflow, row: DefinedWorkflow, options: Options) -> WorkflowUpdate:
    """What differs between the code and an existing live row."""
    changes = []
    if workflow.target != row.target:
        changes.append(ColumnChange("target", row.target, workflow.target))
    if is_task_target(workflow.target) != row.is_task:
        changes.append(ColumnChange("is_task", row.is_task, is_task_target(workflow.target)))
    stated = stated_description(workflow, options) if options.compare_descriptions else ""
    if stated and stated != row.description:
        changes.append(ColumnChange("description", row.description, description_of(workflow, options)))
    reason = "; ".join(f"{c.column} is {c.old!r} in the database, {c.new!r} in the code" for c in changes)
    return WorkflowUpdate(workflow.name, tuple(changes), _product_type_of(row), reason)


def _product_type_of(row: DefinedWorkflow) -> str:
    return min((product.product_type for product in row.products), default="")


def _guard_mass_removal(
    declared: Mapping[str, DeclaredWorkflow], retired: Iterable[WorkflowSpec], options: Options
) -> None:
    """Refuse to remove every application workflow when the code declares none: nearly always a missing
    ``import workflows``, not a decision."""
    application_declared = [w for w in declared.values() if not w.from_orchestrator_core]
    removed = list(retired)
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


def stated_description(workflow: DeclaredWorkflow, options: Options) -> str:
    """The description the code states: the decorator's, else ``wfplugin_descriptions``'s, else ``""``."""
    return workflow.description or options.descriptions.get(workflow.name, "")


def description_of(workflow: DeclaredWorkflow, options: Options) -> str:
    """The description the code states, else the name made readable."""
    description = stated_description(workflow, options) or _readable(workflow.name)
    where = f"the @workflow decorator of {workflow.name!r} or {PREFIX}descriptions[{workflow.name!r}]"
    if len(description) > DESCRIPTION_LENGTH:
        raise WorkflowPluginError(
            f"The description of workflow {workflow.name!r} has {len(description)} characters; orchestrator-core "
            f"stores at most {DESCRIPTION_LENGTH} (workflows.description). Shorten it in {where}."
        )
    problem = unstorable(description)
    if problem:
        raise WorkflowPluginError(
            f"The description of workflow {workflow.name!r} contains {problem}. Remove it from {where}."
        )
    return description


def retired_spec(row: DefinedWorkflow, products: Iterable[Product], reason: str) -> WorkflowSpec:
    """The row as it is, so that the downgrade of its retire writes it back exactly, links to products
    linked by hand included."""
    return WorkflowSpec(
        name=row.name,
        target=row.target,
        description=row.description,
        is_task=row.is_task,
        links=link_spec(row.products, products),
        reason=reason,
    )


def link_spec(linked: Iterable[Product], products: Iterable[Product]) -> Links:
    """Describe a set of linked products by product type where a type (or type and tag) picks exactly
    those products (``User`` when every User product is linked), and by product name where none does."""
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
    return Links(selectors=tuple(selectors), products=tuple(names))


def _check_options(declared: Mapping[str, DeclaredWorkflow], database: DatabaseState, options: Options) -> None:
    """Every option that names workflows, products, product types or tags names one that exists; and no
    string we would write is one PostgreSQL cannot store."""
    problems = []
    named_workflows = [
        ("product_types", options.product_types),
        ("descriptions", options.descriptions),
        ("default_product_workflows", options.default_product_workflows or ()),
    ]
    for option, names in named_workflows:
        for name in sorted(set(names) - set(declared)):
            problems.append(
                f"{PREFIX}{option} names workflow {name!r}, which no LazyWorkflowInstance declares"
                f"{did_you_mean(name, declared)} (a typo, or a workflow that was removed?)"
            )
    for name in sorted(set(options.default_product_workflows or ()) & set(options.product_types)):
        problems.append(
            f"workflow {name!r} is both in {PREFIX}default_product_workflows (every product) and in "
            f"{PREFIX}product_types: name it in one of them"
        )
    product_names = {product.name for product in database.products}
    for name in sorted(set(options.products_linked_by_hand) - product_names):
        problems.append(
            f"{PREFIX}products_linked_by_hand names product {name!r}, which the database does not hold"
            f"{did_you_mean(name, product_names)}"
        )
    known_types = database.product_types
    for name, selectors in sorted(options.product_types.items()):
        for selector in selectors:
            if selector.product_type not in known_types:
                problems.append(
                    f"{PREFIX}product_types[{name!r}] maps to product type {selector.product_type!r}, which no "
                    f"product in the database has{did_you_mean(selector.product_type, known_types)} "
                    f"(known: {', '.join(sorted(known_types)) or 'none'})"
                )
            elif selector.tag is not None and not any(selector.selects(product) for product in database.products):
                tags = sorted({p.tag for p in database.products if p.product_type == selector.product_type})
                problems.append(
                    f"{PREFIX}product_types[{name!r}] maps to {str(selector)!r}, but no {selector.product_type} "
                    f"product has tag {selector.tag!r}{did_you_mean(selector.tag, tags)} (tags: {', '.join(tags)})"
                )
    for name in sorted(declared):
        problem = unstorable(name)
        if problem:
            problems.append(f"the workflow name {name!r} (in {declared[name].module}) contains {problem}")
    for name, description in sorted(options.descriptions.items()):
        problem = unstorable(description)
        if problem:
            problems.append(f"{PREFIX}descriptions[{name!r}] contains {problem}")
    if problems:
        raise WorkflowPluginError(listed("Invalid alembic-wfplugin options or names", problems))


def _readable(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()
