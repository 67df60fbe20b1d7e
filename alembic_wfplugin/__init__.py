"""alembic-wfplugin: an Alembic autogenerate plugin for orchestrator-core's workflow registration.

This module is imported while ``import alembic`` sets up plugins (through the ``alembic.plugins``
entry point), so it must stay light: nothing here imports alembic or orchestrator-core at module level.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "no_schema_objects", "register", "skip_empty_revision"]

if TYPE_CHECKING:
    from alembic_wfplugin.compare import no_schema_objects, skip_empty_revision
    from alembic_wfplugin.plugin import register


def __getattr__(name: str) -> Any:
    # Lazy re-exports: importing alembic_wfplugin.compare pulls in alembic itself.
    if name in ("skip_empty_revision", "no_schema_objects"):
        from alembic_wfplugin import compare

        return getattr(compare, name)
    if name == "register":
        from alembic_wfplugin import plugin

        return plugin.register
    raise AttributeError(f"module 'alembic_wfplugin' has no attribute {name!r}")
