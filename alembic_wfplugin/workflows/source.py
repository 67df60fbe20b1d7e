"""Reading a workflow's target and description from its module's source, without importing it.

Importing every workflow module is the largest cost of a comparison (each pulls in forms, product
models, service clients). Where the source states both plainly (one orchestrator-core decorator with
literal arguments), the syntax tree is enough; anything less plain returns ``None`` and the caller
imports the module instead.

What the syntax tree says depends on the source text alone (``plain_decorator``), which is what makes it
safe to cache by the file's content (``cache.py``). Finding the file is ``module_files.py``'s.
"""

from __future__ import annotations

import ast

from alembic_wfplugin.compat import ORCHESTRATOR_PACKAGES
from alembic_wfplugin.runtime import garbage_collector_paused
from alembic_wfplugin.workflows.module_files import ModuleFiles, read_bytes

# orchestrator-core's workflow decorators and the target each implies (None: the ``target`` argument)
DECORATORS: dict[str, str | None] = {
    "workflow": None,
    "task": "SYSTEM",
    "create_workflow": "CREATE",
    "modify_workflow": "MODIFY",
    "terminate_workflow": "TERMINATE",
    "validate_workflow": "VALIDATE",
    "reconcile_workflow": "RECONCILE",
}
DECORATOR_MODULES = {"workflow", "workflows.utils"}  # relative to orchestrator-core's package
TARGETS = {"CREATE", "MODIFY", "TERMINATE", "SYSTEM", "VALIDATE", "RECONCILE"}
Plain = tuple[str, str]  # (target, description)


def read_from_source(module: str, function: str) -> Plain | None:
    """``(target, description)`` of ``module.function`` from its source, or ``None`` if not plain."""
    path = ModuleFiles().source_file(module)
    if path is None:
        return None
    source = read_bytes(path)
    return None if source is None else plain_decorator(source, function, path)


def plain_decorator(source: bytes, function: str, filename: str = "<workflow module>") -> Plain | None:
    """``(target, description)`` of ``function`` in this module source, or ``None`` if not plain.

    Depends on ``source`` and ``function`` only (``filename`` names the file in nothing it returns)."""
    try:
        with garbage_collector_paused():
            tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):  # ValueError: NUL bytes, an unknown encoding declaration
        return None
    decorators, target_class = _orchestrator_imports(tree)
    definitions = [node for node in tree.body if _binds(node, function)]
    if len(definitions) != 1 or not isinstance(definitions[0], ast.FunctionDef):
        return None  # redefined, reassigned or made by a factory: only an import tells
    if len(definitions[0].decorator_list) != 1:
        return None
    decorator = definitions[0].decorator_list[0]
    if not isinstance(decorator, ast.Call):
        return None
    if not isinstance(decorator.func, ast.Name) or decorator.func.id not in decorators:
        return None
    return _arguments(decorator, decorators[decorator.func.id], target_class)


def _orchestrator_imports(tree: ast.Module) -> tuple[dict[str, str], str | None]:
    """Local names of orchestrator-core's decorators (-> their own name) and of its ``Target``."""
    decorators: dict[str, str] = {}
    target_class = None
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        for prefix in (f"{package}." for package in ORCHESTRATOR_PACKAGES):
            if node.module.startswith(prefix):
                relative = node.module[len(prefix) :]
                break
        else:
            continue
        for alias in node.names:
            local = alias.asname or alias.name
            if relative in DECORATOR_MODULES and alias.name in DECORATORS:
                decorators[local] = alias.name
            elif relative == "targets" and alias.name == "Target":
                target_class = local
    return decorators, target_class


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == name
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(target, ast.Name) and target.id == name for target in targets)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any((alias.asname or alias.name) == name for alias in node.names)
    return False


def _arguments(call: ast.Call, decorator: str, target_class: str | None) -> Plain | None:
    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(kw.arg is None for kw in call.keywords):
        return None
    keywords = {kw.arg: kw.value for kw in call.keywords}
    description_node = keywords.get("description", call.args[0] if call.args else None)
    if description_node is None:
        description = ""
    elif isinstance(description_node, ast.Constant) and isinstance(description_node.value, str):
        description = description_node.value
    else:
        return None
    fixed = DECORATORS[decorator]
    if fixed is not None:
        return fixed, description
    target_node = keywords.get("target", call.args[2] if len(call.args) > 2 else None)
    if target_node is None:
        return "SYSTEM", description  # @workflow's default
    if (
        isinstance(target_node, ast.Attribute)
        and isinstance(target_node.value, ast.Name)
        and target_node.value.id == target_class
        and target_node.attr in TARGETS
    ):
        return target_node.attr, description
    return None
