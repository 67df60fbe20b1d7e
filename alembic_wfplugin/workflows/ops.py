"""The container of workflow-registration operations (``operations.ChangeOp``s over
``workflows.changes``), the type alembic dispatches to ``render.render_workflow_ops``; grouped so that
the revision fetches its connection once."""

from __future__ import annotations

from alembic_wfplugin.operations import ChangeOps
from alembic_wfplugin.workflows.changes import WorkflowChange


class WorkflowOps(ChangeOps[WorkflowChange]):
    """All workflow operations of one revision, in the order they run."""
