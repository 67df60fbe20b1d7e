"""The code side: the workflows that orchestrator-core's registry (``ALL_WORKFLOWS``) declares."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from alembic_wfplugin import compat
from alembic_wfplugin.errors import WorkflowPluginError, listed
from alembic_wfplugin.workflows.model import DeclaredWorkflow
from alembic_wfplugin.workflows.module_files import ModuleFiles
from alembic_wfplugin.workflows.remembered import WorkflowMemory
from alembic_wfplugin.workflows.source import Plain


def declared_workflows(
    registry: Mapping[str, Any] | None = None, *, from_source: bool = False, memory: WorkflowMemory | None = None
) -> dict[str, DeclaredWorkflow]:
    """Instantiate every ``LazyWorkflowInstance`` and read its target and description; with
    ``from_source``, read them from the module's source where it states them plainly (remembered by
    the source's content in ``memory``), and import only the others. A module that does not exist, or
    does not define the function exactly once, is never plain: its import reports it.

    Every broken registration is collected, so one run reports them all.
    """
    registry = compat.workflow_registry() if registry is None else registry
    memory = WorkflowMemory() if memory is None else memory
    files = memory.module_files
    declared: dict[str, DeclaredWorkflow] = {}
    problems: list[str] = []
    for name, module, function in sorted(compat.registered_modules(registry)):
        plain = _from_source(module, function, files, memory) if from_source else None
        if plain is not None:
            declared[name] = DeclaredWorkflow(name, module, plain[0], plain[1], compat.is_orchestrator_module(module))
            continue
        lazy = registry[name]
        culprit = f'LazyWorkflowInstance("{lazy.package}", "{function}")'
        try:
            workflow = lazy.instantiate()
        except Exception as exc:  # whatever the module raises, report it against its registration
            last = traceback.format_exception_only(exc)[-1].strip()
            problems.append(f"{culprit}: cannot be instantiated: {last}")
            continue
        target = getattr(workflow, "target", None)
        if target is None or not hasattr(workflow, "steps"):
            problems.append(f"{culprit}: {module}.{function} is not a workflow (decorate it with @workflow(...))")
            continue
        declared[name] = DeclaredWorkflow(
            name=name,
            module=module,
            target=str(getattr(target, "value", target)),
            description=getattr(workflow, "description", None) or "",
            from_orchestrator_core=compat.is_orchestrator_module(module),
        )
    if problems:
        raise WorkflowPluginError(
            listed("Cannot read the workflows the code declares", problems)
            + "\nFix the module path or function name in the LazyWorkflowInstance(...) line, "
            "or remove the line if the workflow is gone."
        )
    return declared


def _from_source(module: str, function: str, files: ModuleFiles, memory: WorkflowMemory) -> Plain | None:
    path = files.source_file(module)
    if path is None:
        return None
    return memory.plain_decorator_of_file(path, function)
