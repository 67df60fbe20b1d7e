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
from typing import Any

from tests import oracle
from tests.fixture_app import FixtureApp

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPT = """
import json, sys
import products, workflows  # the application's registries, as its main.py imports them
from tests import oracle
with oracle.orchestrator_database(sys.argv[1]):
    if sys.argv[2:] == ["load"]:
        found = {"loaded": len(oracle.load_all()), "diffs": oracle.product_diffs()}
    else:
        found = {"steps": oracle.validate_products_steps(), "lacking": oracle.products_lacking_workflows()}
print("ORACLE " + json.dumps(found, default=str))
"""


def _oracle(app: FixtureApp, *args: str) -> dict[str, Any]:
    """The oracle SCRIPT's findings, in a process of the application's own."""
    env = {**app.env(), "PYTHONPATH": os.pathsep.join([str(app.directory), str(REPOSITORY)])}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, app.database_url, *args],
        cwd=app.directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("ORACLE ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr
    found: dict[str, Any] = json.loads(lines[-1].removeprefix("ORACLE "))
    return found


def validate_products(app: FixtureApp) -> tuple[dict[str, str], list[str]]:
    """Each step's result, and the products the four-targets step lists."""
    found = _oracle(app)
    return found["steps"], found["lacking"]


def orchestrator_core_loads(app: FixtureApp) -> tuple[int, dict[str, Any]]:
    """How many subscriptions ``from_subscription`` loads (it raises, naming each one it cannot), and
    ``diff_product_in_database`` of every registered product (``{}``: models and database agree)."""
    found = _oracle(app, "load")
    return found["loaded"], found["diffs"]


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
