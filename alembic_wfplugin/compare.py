"""The imperative shell: the alembic comparator, which runs the comparison of every kind (``kinds.KINDS``)
and adds their operations to the revision."""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript, UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from alembic_wfplugin.cache import ComparisonCache, cache_file, comparison_key, default_folder
from alembic_wfplugin.comparison import Compared, Comparison, Handoff
from alembic_wfplugin.errors import WorkflowPluginError, listed
from alembic_wfplugin.kinds import KINDS, Kind, compared_names
from alembic_wfplugin.options import Options
from alembic_wfplugin.runtime import garbage_collector_paused, import_modules

log = logging.getLogger("alembic.wfplugin")

# Migration contexts in which the comparator ran, i.e. autogenerate runs (see skip_empty_revision),
# and the operation lists it filled: registered both as a plugin and through register(), it runs once.
_ran_in: weakref.WeakSet[MigrationContext] = weakref.WeakSet()
_filled: weakref.WeakSet[UpgradeOps] = weakref.WeakSet()


def compare_workflows(autogen_context: AutogenContext, upgrade_ops: UpgradeOps, *_: Any) -> Any:
    """Append the operations that make the ``workflows`` table (and, with ``wfplugin_domain_models``, the
    domain model tables) match the code to ``upgrade_ops``.

    Called by alembic for every autogenerate run (``revision --autogenerate``, ``check``); the extra
    positional argument of the pre-1.18 ``"schema"`` hook is ignored.
    """
    if upgrade_ops in _filled:
        return _continue()
    _filled.add(upgrade_ops)
    try:
        return _compare(autogen_context, upgrade_ops)
    except WorkflowPluginError as error:
        if under_orchestrator_cli():
            # orchestrator-core's main.py (typer) would print a long traceback with the message wrapped
            # at the terminal's width (which breaks the env.py text it asks to paste): show it once, as it
            # is, and exit with status 1. No revision file was written; the database was not touched.
            # Printed, not logged: orchestrator-core's log renderer adds colours and the logger's name.
            print(
                f"\nalembic-wfplugin stopped autogenerate; no revision file was written.\n\n{error}\n", file=sys.stderr
            )
            import typer

            raise typer.Exit(1) from None
        # alembic's CommandError: the alembic command line prints "FAILED: <message>", library callers
        # (alembic's API, pytest-alembic) get the exception.
        log.error("%s", error)
        raise CommandError(str(error)) from error


def under_orchestrator_cli() -> bool:
    """Whether this autogenerate runs in a command of orchestrator-core's command line (``main.py db ...``)."""
    try:
        import typer
    except ImportError:
        return False
    if typer.Exit.__module__.startswith("typer."):  # typer 0.22+ carries click of its own
        from typer._click.globals import get_current_context
    else:
        from click import get_current_context  # type: ignore[no-redef]
    context = get_current_context(silent=True)
    callback = getattr(getattr(context, "command", None), "callback", None)
    return getattr(callback, "__module__", "").startswith("orchestrator.")


def _compare(autogen_context: AutogenContext, upgrade_ops: UpgradeOps) -> Any:
    connection = autogen_context.connection
    if connection is None or autogen_context.migration_context.as_sql:
        raise WorkflowPluginError(
            "alembic-wfplugin compares against the live database, but this autogenerate run has no "
            "connection (offline mode). Run it online: python main.py db revision --autogenerate."
        )
    if connection.dialect.name != "postgresql":
        raise WorkflowPluginError(
            f"alembic-wfplugin needs orchestrator-core's PostgreSQL database; this connection is "
            f"{connection.dialect.name!r}. Point sqlalchemy.url / DATABASE_URI at the orchestrator database."
        )
    options = Options.from_context_opts(autogen_context.opts, alembic_keywords())
    import_modules(options.import_modules)
    kinds = [kind for kind in KINDS if kind.switched_on(autogen_context.opts)]
    # PostgreSQL builds the snapshots on a core of its own while this process reads the cache and the
    # code; the connection is used by that one thread alone until its result is in. The reading makes
    # tens of thousands of objects without cycles: collections of the whole heap (orchestrator-core and
    # the application are loaded) would cost more than the reading itself.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="wfplugin-snapshot") as pool,
        garbage_collector_paused(),
    ):
        sending = threading.Event()
        reading = pool.submit(_read_databases, connection, kinds, sending)
        # until the statement is sent, the thread needs the interpreter, which reading the cache file
        # (one long call into the JSON parser) would hold for milliseconds
        sending.wait(timeout=1)
        cache = ComparisonCache(cache_path(options.cache_dir) if options.read_workflows == "source" else None)
        with _saved(cache):
            comparisons = [kind.comparison(connection, options, cache) for kind in kinds]
            results = _compared(comparisons, options, cache, reading)
    _ran_in.add(autogen_context.migration_context)
    _after_env_hook(autogen_context.migration_context)
    # each kind's operations around the later kinds': its "before" ahead of theirs, its "after" behind them
    compared = list(zip(kinds, results, strict=True))
    containers = [
        *(kind.container.of(result.before) for kind, result in compared),
        *(kind.container.of(result.after) for kind, result in reversed(compared)),
    ]
    logged: list[Any] = [op for container in containers for op in container.ops]
    for op in logged:
        log.info("Detected %s", op.describe())
    found = f"{len(logged)} change{'s' if len(logged) != 1 else ''}" if logged else "in sync"
    log.info("Compared %s with the database: %s.", compared_names(autogen_context.opts), found)
    upgrade_ops.ops += [container for container in containers if container.ops]
    return _continue()


def _read_databases(connection: Connection, kinds: list[Kind], sending: threading.Event) -> list[str]:
    try:
        return [kind.read_database(connection, sending.set) for kind in kinds]
    except sa.exc.ProgrammingError as exc:
        raise WorkflowPluginError(
            "The database has no orchestrator-core schema (tables workflows, products, products_workflows): "
            f"{str(exc.orig).splitlines()[0]}. Run `python main.py db upgrade heads` first."
        ) from exc
    finally:
        sending.set()  # whatever stopped it, the comparator waits no longer


def _compared(
    comparisons: list[Comparison], options: Options, cache: ComparisonCache, reading: Future[list[str]]
) -> list[Compared]:
    """Every kind's result, in the order of ``comparisons``; every warning logged (or, with
    ``wfplugin_warnings_are_errors``, raised). The cache's shortcut: when the code, the database and the
    options are those of a comparison that found nothing, nothing is compared (its warnings are shown)."""
    codes = [comparison.read_code() for comparison in comparisons]
    databases = reading.result()
    key = comparison_key([code.digest for code in codes], databases, options)
    warnings = [warning for code in codes for warning in code.warnings]
    if key == cache.in_sync:
        results = [Compared(Handoff()) for _ in comparisons]
        warnings += cache.in_sync_warnings
    else:
        results, handed = [], Handoff()
        for comparison, database in zip(comparisons, databases, strict=True):
            result = comparison.compare(database, handed)
            results.append(result)
            handed = result.handoff
        found = [warning for result in results for warning in result.warnings]
        cache.in_sync = None if any(result.before or result.after for result in results) else key
        cache.in_sync_warnings = tuple(found)
        warnings += found
    for warning in warnings:
        warn(warning)
    if warnings and options.warnings_are_errors:
        raise WorkflowPluginError(
            listed("Warnings, and wfplugin_warnings_are_errors=True", warnings) + "\nNo revision file was written."
        )
    return results


def alembic_keywords() -> frozenset[str]:
    """The keywords of alembic's own ``context.configure()`` (this release's), which are never ours."""
    from alembic.runtime.environment import EnvironmentContext

    return frozenset(inspect.signature(EnvironmentContext.configure).parameters)


def warn(message: str) -> None:
    """Log a warning through ``alembic.wfplugin``; to stderr as well where logging would show it nowhere
    (orchestrator-core's env.py configures no logging: plain ``alembic check`` has only alembic's
    NullHandler), so that every entry point shows it."""
    log.warning("%s", message)
    logger: logging.Logger | None = log
    while logger is not None:
        if any(not isinstance(h, logging.NullHandler) and h.level <= logging.WARNING for h in logger.handlers):
            return
        logger = logger.parent if logger.propagate else None
    print(f"WARNING [{log.name}] {message}", file=sys.stderr)


@contextmanager
def _saved(cache: ComparisonCache) -> Iterator[None]:
    """Save the cache however the comparison ends: what was parsed before a broken registration
    stopped the run is kept too."""
    try:
        yield
    finally:
        cache.save()


def cache_path(cache_dir: str | bool) -> Path | None:
    """The cache file of the application in the working directory (``wfplugin_cache_dir``)."""
    if cache_dir is False:
        return None
    return cache_file(default_folder() if cache_dir is True else Path(cache_dir))


def no_schema_objects(*_: Any) -> bool:
    """An ``include_object`` for a workflows-only autogenerate on alembic before 1.18 (where
    ``autogenerate_plugins`` does not exist): alembic compares no table, column, index or constraint.
    Workflow registration is not a schema object, so it is compared all the same."""
    return False


def skip_empty_revision(context: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
    """A ``process_revision_directives`` hook: write no file when autogenerate found nothing to do.

    orchestrator-core's ``env.py`` drops empty revisions only when ``config.cmd_opts.autogenerate`` is
    set, which ``python main.py db revision --autogenerate`` never sets. This hook knows an autogenerate
    run by the comparator having run in it, so a plain ``db revision`` (to write by hand) is kept. It acts
    only for alembic's ``revision`` command (``check`` needs the empty script to report on), and not when
    the caller passed a hook of its own (pytest-alembic inspects the script itself).
    """
    environment = context.environment_context
    opts = environment.context_opts if environment is not None else {}
    function = opts.get("fn")
    command = getattr(function, "__qualname__", "").split(".")[0]  # alembic's command's own closure
    callers_hook = getattr(opts.get("revision_context"), "process_revision_directives", None)
    if (
        directives
        and context in _ran_in
        and command == "revision"
        and callers_hook is None
        and all(ops.is_empty() for ops in directives[0].upgrade_ops_list)
    ):
        directives[:] = []
        compared = compared_names(context.opts, schema=_compares_schema(context), joined_by="or")
        log.info("No changes in %s detected; no revision file written.", compared)


def _compares_schema(context: MigrationContext) -> bool:
    """Whether alembic compared the schema in this run too (not a workflows-only run)."""
    if context.opts.get("include_object") is no_schema_objects:
        return False
    plugins = context.opts.get("autogenerate_plugins")
    if plugins is None:  # alembic's default: its own schema comparison
        return True
    return any(name.startswith("alembic.autogenerate") for name in plugins)


def _after_env_hook(context: MigrationContext) -> None:
    """Run ``skip_empty_revision`` after whatever ``process_revision_directives`` env.py configured, so
    that an unchanged orchestrator-core env.py (whose own check never fires through main.py) writes no
    empty revision either. alembic reads the hook from the context's options after the comparators."""
    configured = context.opts.get("process_revision_directives")
    if configured is skip_empty_revision or getattr(configured, "_alembic_wfplugin", False):
        return

    def then_skip_empty(context: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
        if configured is not None:
            configured(context, revision, directives)
        skip_empty_revision(context, revision, directives)

    then_skip_empty._alembic_wfplugin = True  # type: ignore[attr-defined]
    context.opts["process_revision_directives"] = then_skip_empty


def _continue() -> Any:
    try:
        from alembic.util import PriorityDispatchResult
    except ImportError:  # alembic < 1.18 has no priority dispatch; any return value will do
        return None
    return PriorityDispatchResult.CONTINUE
