"""The drift report, `python -m alembic_wfplugin diff`, run from the application's folder."""

from __future__ import annotations

import io
import re
import sys

from alembic_wfplugin.cli import report
from alembic_wfplugin.model import ColumnChange, ProductSelector, WorkflowSpec
from alembic_wfplugin.ops import CreateWorkflowOp, LinkProductsOp, UpdateWorkflowOp
from tests.fixture_app import FixtureApp


def diff(app: FixtureApp) -> tuple[int, str]:
    result = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    return result.returncode, result.stdout + result.stderr


def test_drift_is_a_table_with_reasons_and_exit_1_then_exit_0_in_sync(app: FixtureApp) -> None:
    code, output = diff(app)
    assert code == 1, output
    assert re.search(r"Workflow registration drift: \d+ changes", output)
    line = next(line for line in output.splitlines() if line.strip().startswith("create_user "))
    assert line.split()[:4] == ["create_user", "add", "CREATE", "User"]
    assert "declared in workflows/user/create_user.py, not in the database" in line
    assert "\033[" not in output  # no colour outside a terminal
    assert app.revision_files() == app.revision_files()

    files = app.revision_files()
    app.autogenerate("register")
    app.upgrade()
    code, output = diff(app)
    assert code == 0, output
    assert "in sync" in output
    assert len(app.revision_files()) == len(files) + 1  # diff itself wrote nothing


def test_error_exits_2_with_the_message(app: FixtureApp) -> None:
    app.register("workflows.user.no_such_module", "create_nothing")
    code, output = diff(app)
    assert code == 2
    assert "error: Cannot read the workflows the code declares" in output
    assert "Traceback" not in output


def test_report_shows_every_change_kind() -> None:
    out = io.StringIO()
    create = CreateWorkflowOp(WorkflowSpec("create_port", "CREATE", "Create port", False, (ProductSelector("Port"),)))
    create.reason = "declared in workflows/port/create_port.py, not in the database"
    update = UpdateWorkflowOp(
        "validate_port", [ColumnChange("target", "SYSTEM", "VALIDATE")], reason="target is 'SYSTEM' ..."
    )
    report([create, update, LinkProductsOp("create_port", ["Port 10G"], reason="products added after ...")], out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Workflow registration drift: 3 changes"
    assert [line.split()[:2] for line in lines[3:6]] == [
        ["create_port", "add"],
        ["validate_port", "update"],
        ["create_port", "link"],
    ]
    assert "SYSTEM -> VALIDATE" in lines[4]
