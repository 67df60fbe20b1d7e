"""The one error type the plugin raises. It subclasses alembic's CommandError, so the ``alembic``
command line prints it as ``FAILED: <message>`` instead of a traceback."""

from alembic.util import CommandError


class WorkflowPluginError(CommandError):
    """Autogenerate cannot write a correct revision; the message names the culprit and the fix."""
