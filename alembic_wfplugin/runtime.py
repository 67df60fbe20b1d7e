"""The shell's process-level helpers: importing the modules env.py names (``wfplugin_import_modules``)
and pausing the garbage collector while large object graphs without cycles are built."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from alembic_wfplugin.errors import WorkflowPluginError


def import_modules(modules: Iterable[str]) -> None:
    """Import the modules that fill the registries (``wfplugin_import_modules``)."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise WorkflowPluginError(
                f"wfplugin_import_modules: cannot import {module!r} ({exc}). Run from the application's "
                f"folder with PYTHONPATH=. (as orchestrator-core's tutorial does), or fix the module name."
            ) from exc


@contextmanager
def garbage_collector_paused() -> Iterator[None]:
    """A syntax tree is thousands of objects without reference cycles; letting them trigger collections
    of the whole heap (orchestrator-core and the application are loaded) triples the parsing time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
