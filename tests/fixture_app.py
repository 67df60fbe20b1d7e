"""Drive a copy of ``migrations_fixture/`` (the tutorial application) the way a user does: through
``python main.py db ...`` in a subprocess, against one database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "migrations_fixture"
VERSIONS = Path("migrations") / "versions" / "schema"


@dataclass(frozen=True)
class WorkflowRow:
    target: str
    description: str
    is_task: bool
    deleted: bool
    products: tuple[str, ...]


def copy_fixture(destination: Path) -> Path:
    shutil.copytree(FIXTURE, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


class FixtureApp:
    def __init__(self, directory: Path, database_url: str) -> None:
        self.directory = directory
        self.database_url = database_url

    def env(self) -> dict[str, str]:
        bin_dir = str(Path(sys.executable).parent)
        return {
            **os.environ,
            "DATABASE_URI": self.database_url,
            "PYTHONPATH": str(self.directory),
            # main.py db revision runs `python main.py db heads` and ruff through PATH.
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python main.py <args>`` in the application's folder."""
        return self.run_command([sys.executable, "main.py", *args], check=check)

    def run_command(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command, cwd=self.directory, env=self.env(), capture_output=True, text=True, timeout=600
        )
        if check and result.returncode != 0:
            output = f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}\n{output}")
        return result

    def revision_files(self) -> set[Path]:
        return set((self.directory / VERSIONS).glob("*.py"))

    def autogenerate(self, message: str = "workflows", check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("db", "revision", "--autogenerate", "-m", message, check=check)

    def upgrade(self) -> None:
        self.run("db", "upgrade", "heads")

    def query(self, statement: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
        engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                return list(connection.execute(sa.text(statement), params))
        finally:
            engine.dispose()

    def workflows(self) -> dict[str, WorkflowRow]:
        """Every ``workflows`` row with the names of the products it is linked to."""
        rows = self.query(
            """
            SELECT w.name, w.target, w.description, w.is_task, w.deleted_at IS NOT NULL AS deleted,
                   coalesce(array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL), '{}')
            FROM workflows w
            LEFT JOIN products_workflows pw ON pw.workflow_id = w.workflow_id
            LEFT JOIN products p ON p.product_id = pw.product_id
            GROUP BY w.workflow_id
            """
        )
        return {
            name: WorkflowRow(target, description, is_task, deleted, tuple(products))
            for name, target, description, is_task, deleted, products in rows
        }
