"""What orchestrator-core's ``task_validate_products`` will report that only code can fix, seen at
autogenerate time: warnings, not changes (pure: no I/O).

- ``check_workflows_for_matching_targets_and_descriptions`` fails for a declared workflow without an
  entry under ``"workflow"`` in the translations (orchestrator-core's own ``en-GB.json`` merged with the
  application's ``TRANSLATIONS_DIR``);
- ``check_that_products_have_create_modify_and_terminate_workflows`` lists every active product that is
  not linked to a workflow of each of its four targets (``modify_note`` does not count);
- and orchestrator-core's scheduler starts the workflow of a job whose workflow the code no longer
  declares, and fails.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from alembic_wfplugin.products import Product
from alembic_wfplugin.workflows.model import DatabaseState, DeclaredWorkflow, WorkflowChanges

CHECKED_TARGETS = ("CREATE", "MODIFY", "TERMINATE", "VALIDATE")  # task_validate_products' order: its list
NAMED = 20  # names in one warning; the rest are counted


def at_most_named(names: list[str]) -> str:
    """``a, b, c``; past ``NAMED`` names, ``a, b, ... and 180 more``."""
    shown = ", ".join(names[:NAMED])
    return shown if len(names) <= NAMED else f"{shown} and {len(names) - NAMED} more"


def untranslated(declared: Iterable[str], translated: Collection[str], translations_dir: str | None) -> list[str]:
    """One warning naming every declared workflow without a translation, or none."""
    missing = sorted(set(declared) - set(translated))
    if not missing:
        return []
    where = (
        f"{translations_dir}/en-GB.json" if translations_dir else "TRANSLATIONS_DIR/en-GB.json (TRANSLATIONS_DIR unset)"
    )
    return [
        f"{len(missing)} declared workflow(s) have no translation, so orchestrator-core's task_validate_products "
        f"fails (check_workflows_for_matching_targets_and_descriptions): {at_most_named(missing)}. "
        f'Add them under "workflow" in {where}.'
    ]


def lacking_targets(
    declared: Mapping[str, DeclaredWorkflow], end_links: Mapping[str, Collection[str]], products: Iterable[Product]
) -> list[str]:
    """One warning naming every active product that, once the revision ran, lacks a workflow of one of
    the four targets task_validate_products checks, or none."""
    targets: dict[str, set[str]] = {}
    for name, workflow in declared.items():
        if name == "modify_note" or workflow.target not in CHECKED_TARGETS:
            continue
        for linked in end_links.get(name, ()):
            targets.setdefault(linked, set()).add(workflow.target)
    lacking = []
    for product in sorted(products):
        missing = [target for target in CHECKED_TARGETS if target not in targets.get(product.name, set())]
        if product.status == "active" and missing:
            lacking.append(f"{product.name!r} (no {', '.join(missing)})")
    if not lacking:
        return []
    return [
        f"{len(lacking)} active product(s) lack a workflow of each target that orchestrator-core's "
        f"task_validate_products reports on ({', '.join(CHECKED_TARGETS)}): {at_most_named(lacking)}. "
        "Declare the workflows in the code (or accept its report)."
    ]


def scheduled_but_undeclared(
    declared: Mapping[str, DeclaredWorkflow], database: DatabaseState, changes: WorkflowChanges
) -> list[str]:
    """One warning listing the scheduler jobs of workflows the code no longer declares (rows these changes
    retire, whose jobs the revision removes; rows soft-deleted earlier, whose jobs keep firing), or none."""
    retired = {spec.name for spec in changes.retired}
    renamed = {rename.old for rename in changes.renamed}  # their jobs move with the row
    described = []
    for name, job, deleted in database.schedules:
        if name in declared or name in renamed:
            continue
        if name in retired:
            what = "this revision retires it and removes the job"
        elif deleted:
            what = "soft-deleted: remove the job in orchestrator-core's UI or API"
        else:
            what = "live"
        described.append(f"{job!r} of {name!r} ({what})")
    if not described:
        return []
    return [f"Scheduler jobs of workflows the code no longer declares: {', '.join(described)}."]
