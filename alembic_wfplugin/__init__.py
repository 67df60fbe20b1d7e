"""alembic-wfplugin: an Alembic autogenerate plugin for orchestrator-core's workflow registration.

This module is imported while ``import alembic`` sets up plugins (through the ``alembic.plugins``
entry point), so it must stay light: nothing here imports alembic or orchestrator-core at module level.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "skip_empty_revision"]

if TYPE_CHECKING:
    from alembic_wfplugin.compare import skip_empty_revision


def __getattr__(name: str) -> Any:
    # Lazy re-export: importing alembic_wfplugin.compare pulls in alembic itself.
    if name == "skip_empty_revision":
        from alembic_wfplugin import compare

        return compare.skip_empty_revision
    raise AttributeError(f"module 'alembic_wfplugin' has no attribute {name!r}")
