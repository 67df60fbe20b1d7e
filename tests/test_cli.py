"""The drift report, `python -m alembic_wfplugin diff`, run from the application's folder."""

from __future__ import annotations

import io
import re
import sys

import pytest

from alembic_wfplugin.cli import report
from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.operations import ChangeOp
from alembic_wfplugin.products import ProductSelector
from alembic_wfplugin.workflows.changes import (
    AddWorkflow,
    LinkProducts,
    RetireWorkflow,
    UnlinkProducts,
    UpdateWorkflow,
    WorkflowChange,
)
from alembic_wfplugin.workflows.model import ColumnChange, Links, WorkflowSpec
from tests.fixture_app import FixtureApp


def diff(app: FixtureApp) -> tuple[int, str]:
    result = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    return result.returncode, result.stdout + result.stderr


# the report's layout is ours; the command itself runs on every release in the other tests of this module
# and tests/test_domain_models.py
@pytest.mark.release_independent
def test_drift_is_a_table_with_reasons_and_exit_1_then_exit_0_in_sync(app: FixtureApp) -> None:
    files, database = app.revision_files(), app.snapshot()
    code, output = diff(app)
    assert code == 1, output
    assert re.search(r"Drift in workflow registration: \d+ changes", output)
    line = next(line for line in output.splitlines() if line.split()[1:2] == ["create_user"])
    assert line.split()[:5] == ["workflow", "create_user", "add", "CREATE;", "User"]
    assert "declared in workflows/user/create_user.py, no row; links: every User product" in line
    assert "\033[" not in output  # no colour outside a terminal
    assert app.revision_files() == files  # diff writes no revision file ...
    assert app.snapshot() == database  # ... and changes nothing in the database

    app.autogenerate("register")
    app.upgrade()
    code, output = diff(app)
    assert code == 0, output
    assert "in sync" in output
    assert len(app.revision_files()) == len(files) + 1  # diff itself wrote nothing


def test_stdout_holds_the_report_only(app: FixtureApp) -> None:
    result = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("Drift in workflow registration: ")
    log_line = re.compile(r"^\S+ \S+ \[(info|debug|warning) *\]", re.MULTILINE)  # orchestrator-core's log lines ...
    assert not log_line.search(result.stdout)
    assert log_line.search(result.stderr)  # ... go to stderr


def test_help_shows_whole_sentences(app: FixtureApp) -> None:
    result = app.run_command([sys.executable, "-m", "alembic_wfplugin", "--help"])
    text = " ".join(result.stdout.split())
    assert "as a table for people and CI logs. Exit status: 0 in sync, 1 drift, 2 error." in text


def test_a_database_not_at_head_names_the_pending_revision_and_the_command(registered_app: FixtureApp) -> None:
    before = registered_app.revision_files()
    registered_app.run("db", "revision", "-m", "by hand")  # not applied
    (new,) = registered_app.revision_files() - before
    pending = new.name.split("_")[1]
    code, output = diff(registered_app)
    assert code == 2
    assert f"pending: {pending}" in output
    assert "python main.py db upgrade heads" in output


def test_a_section_listing_orchestrator_cores_revisions_does_not_get_them_twice(app: FixtureApp) -> None:
    from alembic_wfplugin import cli, compat

    ini = str(app.directory / "alembic.ini")
    standalone = cli.config(ini, "standalone", orchestrator_versions=True).get_main_option("version_locations")
    assert standalone is not None and compat.schema_versions_folder() not in standalone.split()
    plain = cli.config(ini, "alembic", orchestrator_versions=True).get_main_option("version_locations")
    assert plain is not None and compat.schema_versions_folder() in plain.split()


def test_error_exits_2_with_the_message(app: FixtureApp) -> None:
    app.register("workflows.user.no_such_module", "create_nothing")
    code, output = diff(app)
    assert code == 2
    assert "error: Cannot read the workflows the code declares" in output
    assert "Traceback" not in output


def columns(lines: list[str]) -> list[list[str]]:
    """The report's table cut into its columns at the header's column starts."""
    header = lines[2]
    starts = [header.index(title) for title in ("kind", "name", "change", "details", "why")]
    return [
        [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
        for line in lines[2 : lines.index("", 2)]
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def every_change_kind() -> list[ChangeOp[WorkflowChange]]:
    add = AddWorkflow(
        WorkflowSpec(
            "create_port",
            "CREATE",
            "Create port",
            False,
            Links(selectors=(ProductSelector("Port"),), products=("Cable",)),
            reason="declared in workflows/port/create_port.py, not in the database",
        )
    )
    retire = RetireWorkflow(
        WorkflowSpec("create_old", "CREATE", "Old", False, Links(products=("Port 1G",)), reason="not declared")
    )
    update = UpdateWorkflow(
        "validate_port",
        [ColumnChange("target", "SYSTEM", "VALIDATE"), ColumnChange("is_task", False, True)],
        reason="target is 'SYSTEM' ...",
    )
    link = LinkProducts("modify_port", ["Port 10G", "Port 1G"], reason="products added after ...")
    unlink = UnlinkProducts("terminate_port", ["Port 1G"], reason="product removed ...")
    return [ChangeOp(change) for change in (add, retire, update, link, unlink)]


def test_report_shows_every_change_kind() -> None:
    out = io.StringIO()
    report(every_change_kind(), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Drift in workflow registration: 5 changes"
    assert lines[1] == ""
    assert columns(lines) == [
        ["kind", "name", "change", "details", "why"],
        [
            "workflow",
            "create_port",
            "add",
            "CREATE; Port, Cable",
            "declared in workflows/port/create_port.py, not in the database",
        ],
        ["workflow", "create_old", "retire", "CREATE; Port 1G", "not declared"],
        [
            "workflow",
            "validate_port",
            "update",
            "target 'SYSTEM' -> 'VALIDATE', is_task False -> True",
            "target is 'SYSTEM' ...",
        ],
        ["workflow", "modify_port", "link", "Port 10G, Port 1G", "products added after ..."],
        ["workflow", "terminate_port", "unlink", "Port 1G", "product removed ..."],
    ]
    assert lines[-2:] == [
        "",
        'Write the revision with: PYTHONPATH=. python main.py db revision --autogenerate -m "..."',
    ]
    assert all(line == line.rstrip() for line in lines)
    assert "\033[" not in out.getvalue()


def test_report_colours_the_change_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    report(every_change_kind(), out)
    coloured = re.findall(r"\033\[(\d+)m(\w+) *\033\[0m", out.getvalue())
    assert coloured == [("32", "add"), ("31", "retire"), ("33", "update"), ("36", "link"), ("35", "unlink")]
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    report(every_change_kind(), out)
    assert "\033[" not in out.getvalue()


def test_report_in_sync() -> None:
    out = io.StringIO()
    report([], out)
    assert out.getvalue() == "Workflow registration is in sync with the database.\n"
    out = io.StringIO()
    report([], out, compared="domain models and workflow registration")
    assert out.getvalue() == "Domain models and workflow registration are in sync with the database.\n"


def test_one_table_holds_every_kind_of_change_in_the_order_the_revision_runs_them() -> None:
    """Domain-model changes and workflow changes in one table, each change in its colour on a terminal."""
    product = ChangeOp(
        DomainChange("add", "product", ("Port 10G",), {"product_type": "Port"}, reason="in SUBSCRIPTION_MODEL_REGISTRY")
    )
    field = ChangeOp(
        DomainChange("add", "block_resource_type", ("PortBlock", "mtu"), reason="a field of block PortBlock")
    )
    renamed = ChangeOp(DomainChange("rename", "product_block", ("Old", "New"), reason="wfplugin_renames"))
    removed = ChangeOp(DomainChange("remove", "resource_type", ("age",), reason="not in the code"))
    out = Terminal()
    report([renamed, product, field, *every_change_kind()[:1], removed], out, compared="workflow registration and X")
    lines = re.sub(r"\033\[\d+m", "", out.getvalue()).splitlines()
    assert lines[0] == "Drift in workflow registration and X: 5 changes"
    assert columns(lines) == [
        ["kind", "name", "change", "details", "why"],
        ["product block", "Old", "rename", "-> New", "wfplugin_renames"],
        ["product", "Port 10G", "add", "Port", "in SUBSCRIPTION_MODEL_REGISTRY"],
        ["block resource type", "PortBlock, mtu", "add", "", "a field of block PortBlock"],
        [
            "workflow",
            "create_port",
            "add",
            "CREATE; Port, Cable",
            "declared in workflows/port/create_port.py, not in the database",
        ],
        ["resource type", "age", "remove", "", "not in the code"],
    ]
    coloured = re.findall(r"\033\[(\d+)m(\w+) *\033\[0m", out.getvalue())
    assert coloured == [("34", "rename"), ("32", "add"), ("32", "add"), ("32", "add"), ("31", "remove")]
