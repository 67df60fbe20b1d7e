"""The imperative shell: the alembic comparator that wires readers -> diff -> operations."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript, UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from alembic_wfplugin import compat
from alembic_wfplugin.domain.declared import declared_domain
from alembic_wfplugin.domain.defined import parse_shape, read_shape, read_usage, with_usage
from alembic_wfplugin.domain.diff import DomainDiff, diff_domain
from alembic_wfplugin.domain.ops import DomainOp, DomainOps
from alembic_wfplugin.domain.usage import usage_needed
from alembic_wfplugin.errors import WorkflowPluginError, listed
from alembic_wfplugin.kinds import compared_names
from alembic_wfplugin.options import Options
from alembic_wfplugin.runtime import garbage_collector_paused, import_modules
from alembic_wfplugin.workflows.cache import ComparisonCache, cache_file, comparison_key, default_folder, value_digest
from alembic_wfplugin.workflows.checks import lacking_targets, scheduled_but_undeclared, untranslated
from alembic_wfplugin.workflows.declared import declared_workflows
from alembic_wfplugin.workflows.defined import database_snapshot, parse_snapshot
from alembic_wfplugin.workflows.diff import diff_workflows
from alembic_wfplugin.workflows.model import (
    DatabaseState,
    DeclaredWorkflow,
    DefinedWorkflow,
    Product,
    WorkflowChanges,
    WorkflowSpec,
)
from alembic_wfplugin.workflows.ops import (
    AddWorkflowOp,
    LinkProductsOp,
    RenameWorkflowOp,
    RetireWorkflowOp,
    UnlinkProductsOp,
    UpdateWorkflowOp,
    WorkflowOp,
    WorkflowOps,
)

log = logging.getLogger("alembic.wfplugin")

# Migration contexts in which the comparator ran, i.e. autogenerate runs (see skip_empty_revision),
# and the operation lists it filled: registered both as a plugin and through register(), it runs once.
_compared: weakref.WeakSet[MigrationContext] = weakref.WeakSet()
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
    options = Options.from_context_opts(autogen_context.opts, alembic_keywords())
    import_modules(options.import_modules)
    # PostgreSQL builds the snapshot on a core of its own while this process reads the cache and the
    # workflow modules; the connection is used by that one thread alone until its result is in. The
    # reading makes tens of thousands of objects without cycles: collections of the whole heap
    # (orchestrator-core and the application are loaded) would cost more than the reading itself.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="wfplugin-snapshot") as pool,
        garbage_collector_paused(),
    ):
        sending = threading.Event()
        reading = pool.submit(_snapshot, connection, sending)
        # until the statement is sent, the thread needs the interpreter, which reading the cache file
        # (one long call into the JSON parser) would hold for milliseconds
        sending.wait(timeout=1)
        cache = ComparisonCache(cache_path(options.cache_dir) if options.read_workflows == "source" else None)
        with _saved(cache):
            changes, domain = _changes(connection, options, cache, reading)
    _compared.add(autogen_context.migration_context)
    _after_env_hook(autogen_context.migration_context)
    additions = [DomainOp(change) for change in domain.additions] if domain else []
    removals = [DomainOp(change) for change in domain.removals] if domain else []
    ops = workflow_ops(changes)
    logged: list[WorkflowOp | DomainOp] = [*additions, *ops, *removals]
    for op in logged:
        log.info("Detected %s", op.describe())
    found = f"{len(logged)} change{'s' if len(logged) != 1 else ''}" if logged else "in sync"
    log.info("Compared %s with the database: %s.", compared_names(autogen_context.opts), found)
    # Domain additions first (workflows link to new products), removals last (a product's workflow links
    # go first; a downgrade, which runs these in reverse, brings products back before linking them).
    for container in (DomainOps(additions), WorkflowOps(ops), DomainOps(removals)):
        if container.ops:
            upgrade_ops.ops.append(container)
    return _continue()


def alembic_keywords() -> frozenset[str]:
    """The keywords of alembic's own ``context.configure()`` (this release's), which are never ours."""
    from alembic.runtime.environment import EnvironmentContext

    return frozenset(inspect.signature(EnvironmentContext.configure).parameters)


def _snapshot(connection: Connection, sending: threading.Event) -> str:
    try:
        return database_snapshot(connection, before_sending=sending.set)
    finally:
        sending.set()  # whatever stopped it, the comparator waits no longer


def _changes(
    connection: Connection, options: Options, cache: ComparisonCache, reading: Future[str]
) -> tuple[WorkflowChanges, DomainDiff | None]:
    """The workflow changes (and with ``wfplugin_domain_models``, the domain model changes); every warning
    logged (or, with ``wfplugin_warnings_are_errors``, raised)."""
    registry = compat.workflow_registry()
    translated, translations_dir = compat.workflow_translations()
    warnings = untranslated(registry, translated, translations_dir)  # read every run: a file of its own
    changes, domain, database, declared = _compared_changes(connection, options, cache, reading, registry)
    found = list(changes.warnings)  # the cache's "nothing again": the warnings of the comparison it stands for
    if database is not None and declared is not None:
        found += lacking_targets(declared, changes.end_links, database.products)
        found += scheduled_but_undeclared(declared, database, changes)
        cache.this_run.in_sync_warnings = tuple(found)
    warnings += found
    for warning in warnings:
        warn(warning)
    if warnings and options.warnings_are_errors:
        raise WorkflowPluginError(
            listed("Warnings, and wfplugin_warnings_are_errors=True", warnings) + "\nNo revision file was written."
        )
    return changes, domain


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


def _compared_changes(
    connection: Connection, options: Options, cache: ComparisonCache, reading: Future[str], registry: Mapping[str, Any]
) -> tuple[WorkflowChanges, DomainDiff | None, DatabaseState | None, Mapping[str, DeclaredWorkflow] | None]:
    """The changes; and the database state and declared workflows they were computed from (``None``, ``None``
    when the cache's shortcut saw the inputs of a comparison that found nothing)."""
    from_source = options.read_workflows == "source"
    default_workflows = compat.default_product_workflows()
    declared = None
    digest = cache.unchanged_declared(registry)  # a stat per module when nothing changed
    if digest is None:
        declared = declared_workflows(registry, from_source=from_source, cache=cache)
        digest = cache.remember_declared(registry, declared)
    snapshot = reading.result()
    domain_code, shape, skipped = None, "", compat.skipped_products() if options.domain_models else ()
    if options.domain_models:
        # the registry's shape only: catalogue-sized, whatever the number of subscriptions
        domain_code, shape = declared_domain(), read_shape(connection)
        digest = f"{digest}:{value_digest((domain_code, skipped))}"
    key = comparison_key(digest, f"{snapshot}\n{shape}", options, default_workflows)
    if key == cache.this_run.in_sync:  # the same inputs as a comparison that found nothing: nothing again
        return WorkflowChanges(warnings=cache.this_run.in_sync_warnings), None, None, None
    if declared is None:
        declared = declared_workflows(registry, from_source=from_source, cache=cache)
    database = parse_snapshot(snapshot)
    domain: DomainDiff | None = None
    unknown: tuple[str, ...] = ()
    if domain_code is not None:
        defined = parse_shape(shape)
        request = usage_needed(domain_code, defined, options)  # only what a change touches is counted
        if request:
            defined = with_usage(defined, read_usage(connection, request))
        domain = diff_domain(domain_code, defined, options, skipped)
        unknown = tuple(
            f"Option {name} names nothing in the code or the database; remove it from env.py" for name in domain.unknown
        )
        # new products get their workflow links in the same revision; removed ones lose them
        database = dataclasses.replace(
            database,
            products=domain.products,
            workflows=_renamed_links(database.workflows, domain.renamed_products),
        )
    changes = diff_workflows(declared, database, options, default_workflows)
    found_nothing = changes.is_empty() and (domain is None or not (domain.additions or domain.removals))
    cache.this_run.in_sync = key if found_nothing else None
    return dataclasses.replace(changes, warnings=unknown + changes.warnings), domain, database, declared


def _renamed_links(workflows: Mapping[str, DefinedWorkflow], renamed: Mapping[str, str]) -> dict[str, DefinedWorkflow]:
    """Workflow rows as they are once products are renamed (a link follows the product's id)."""

    def product(linked: Product) -> Product:
        return dataclasses.replace(linked, name=renamed.get(linked.name, linked.name))

    return {
        name: dataclasses.replace(row, products=tuple(map(product, row.products))) for name, row in workflows.items()
    }


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


def workflow_ops(changes: WorkflowChanges) -> list[WorkflowOp]:
    """The order they run in: rename, retire, add, update, link, unlink."""
    renamed = {rename.new: rename for rename in changes.renamed}

    def restores(spec: WorkflowSpec) -> WorkflowSpec | None:
        """A renamed workflow's row as it was: what the downgrade writes back before renaming it back."""
        rename = renamed.get(spec.name)
        return (
            None
            if rename is None
            else dataclasses.replace(rename.previous, overwrite_description=spec.overwrite_description)
        )

    return [
        *(RenameWorkflowOp(r.old, r.new, was_deleted=r.was_deleted, reason=r.reason) for r in changes.renamed),
        *(RetireWorkflowOp(spec) for spec in changes.retired),
        *(AddWorkflowOp(spec, restores(spec)) for spec in changes.made_live),
        *(UpdateWorkflowOp(update.name, update.changes, reason=update.reason) for update in changes.updated),
        *(LinkProductsOp(link.workflow, link.products, reason=link.reason) for link in changes.linked),
        *(UnlinkProductsOp(link.workflow, link.products, reason=link.reason) for link in changes.unlinked),
    ]


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
        and context in _compared
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
