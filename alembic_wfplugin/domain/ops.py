"""The containers of domain-model operations (``operations.ChangeOp``s over ``model.DomainChange``), the
type alembic dispatches to ``render.render_domain_ops``. A revision holds two: additions (before the
workflow operations, so that new products can be linked to workflows) and removals (after them, so that
a removed product's workflow links go first, and a downgrade brings the product back before linking it
again)."""

from __future__ import annotations

from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.operations import ChangeOps


class DomainOps(ChangeOps[DomainChange]):
    """All domain-model operations of one revision in one place (additions, or removals), in the order they run."""
