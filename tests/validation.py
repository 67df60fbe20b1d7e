"""orchestrator-core's ``task_validate_products`` run against an application's database, in a process of
the application's own (its code, its registries, its settings, as main.py imports them), next to what
alembic-wfplugin's warnings said it would find."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests import oracle
from tests.fixture_app import FixtureApp

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPT = """
import json, sys
import products, workflows  # the application's registries, as its main.py imports them
from tests import oracle
with oracle.orchestrator_database(sys.argv[1]):
    found = {"steps": oracle.validate_products_steps(), "lacking": oracle.products_lacking_workflows()}
print("ORACLE " + json.dumps(found))
"""


def validate_products(app: FixtureApp) -> tuple[dict[str, str], list[str]]:
    """Each step's result, and the products the four-targets step lists."""
    env = {**app.env(), "PYTHONPATH": os.pathsep.join([str(app.directory), str(REPOSITORY)])}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, app.database_url],
        cwd=app.directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("ORACLE ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr
    found = json.loads(lines[-1].removeprefix("ORACLE "))
    return found["steps"], found["lacking"]


def warned_untranslated(output: str) -> set[str]:
    """The workflows the plugin's translations warning names."""
    match = re.search(r"check_workflows_for_matching_targets_and_descriptions\): (.+?)\. Add them", output)
    return set(match[1].split(", ")) if match else set()


def warned_lacking(output: str) -> list[str]:
    """The products the plugin's four-targets warning names."""
    match = re.search(r"reports on \(CREATE, MODIFY, TERMINATE, VALIDATE\): (.+?)\. Declare", output)
    return sorted(re.findall(r"'([^']+)' \(no ", match[1])) if match else []


def assert_orchestrator_core_agrees(app: FixtureApp, output: str) -> None:
    """task_validate_products passes on the database but for what the plugin's warnings in ``output`` (the
    last autogenerate's) named: the same untranslated workflows, the same products lacking a target."""
    steps, lacking = validate_products(app)
    oracle.assert_validate_products_passes(warned_untranslated(output), steps)
    assert lacking == warned_lacking(output)
