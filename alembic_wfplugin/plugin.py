"""The Alembic plugin (alembic 1.18+), published through the ``alembic.plugins`` entry point.

alembic imports this module and calls ``setup()`` in the middle of ``import alembic``: only the parts
of alembic that are initialised by then are imported here (``alembic.autogenerate.render``, not
``alembic.autogenerate``), and orchestrator-core not at all; the comparator imports it when it runs.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any


def setup(plugin: Any) -> None:
    from alembic.util import DispatchPriority

    register_renderers()
    # "autogenerate" (not "schema"): alembic's own "schema" dispatch is a plugin too, and is not
    # enabled in a workflows-only run (autogenerate_plugins=["alembic_wfplugin"]).
    plugin.add_autogenerate_comparator(compare_workflows, "autogenerate", priority=DispatchPriority.LAST)


_registered = False


def register() -> None:
    """Switch the plugin on from ``env.py``, on any alembic version: ``alembic_wfplugin.register()``.

    On alembic before 1.18 (no plugin system) this is the only switch: the comparator joins alembic's
    global ``"schema"`` comparators and runs in every autogenerate. On 1.18 and newer it joins the
    global ``"autogenerate"`` comparators; naming ``alembic_wfplugin`` in ``autogenerate_plugins`` as
    well does not make it run twice (the comparator runs once per autogenerate).
    """
    global _registered
    if _registered:
        return
    from alembic.autogenerate import compare as alembic_compare

    register_renderers()
    try:
        from alembic.util import DispatchPriority
    except ImportError:  # alembic < 1.18
        alembic_compare.comparators.dispatch_for("schema")(compare_workflows)
    else:
        alembic_compare.comparators.dispatch_for("autogenerate", priority=DispatchPriority.LAST)(compare_workflows)
    _registered = True


_renderers_registered = False


def register_renderers() -> None:
    global _renderers_registered
    if _renderers_registered:  # both setup() and register() may run in one process
        return
    _renderers_registered = True
    from alembic.autogenerate.render import renderers

    from alembic_wfplugin.kinds import KINDS

    for kind in KINDS:
        renderers.dispatch_for(kind.container)(kind.render)


def compare_workflows(autogen_context: Any, upgrade_ops: Any, *rest: Any) -> Any:
    from alembic_wfplugin import compare

    return compare.compare_workflows(autogen_context, upgrade_ops, *rest)


# alembic's loader iterates over what the entry point loads, so it must be a list of modules.
PLUGINS: list[ModuleType] = [sys.modules[__name__]]
