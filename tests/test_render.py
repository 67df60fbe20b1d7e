"""Rendering: valid, ruff-formatted Python that calls orchestrator-core's helpers, whatever the strings,
and that writes exactly the rows it describes when run against a real database."""

from __future__ import annotations

import ast
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.operations.ops import UpgradeOps

from alembic_wfplugin.model import ColumnChange, ProductSelector, WorkflowSpec
from alembic_wfplugin.ops import (
    CreateWorkflowOp,
    DeleteWorkflowOp,
    LinkProductsOp,
    UnlinkProductsOp,
    UpdateWorkflowOp,
    WorkflowOps,
)
from alembic_wfplugin.render import py_str
from tests.revision_code import as_function, run_rendered

HOSTILE = [
    "it's",
    'say "hi"',
    "both ' and \"",
    "\"\"\"triple\"\"\" and '''triple'''",
    "back\\slash\\",
    "new\nline and carriage\rreturn and\ttab",
    "${mako} and %(interpolation)s and {format}",
    "Überprüfung – ünïcödé ✓ 日本語",  # noqa: RUF001
    "nul\x00 and bell\x07 and del\x7f and nbsp\xa0 and ls\u2028",
    "x" * 4000,
]


def ruff_formatted(source: str, line_length: int = 88) -> str:
    ruff = shutil.which("ruff")
    assert ruff, "ruff must be installed (it is in the test extra)"
    command = [ruff, "format", "--isolated", "--line-length", str(line_length), "-"]
    result = subprocess.run(command, input=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("text", HOSTILE)
def test_py_str_is_a_literal_of_exactly_the_text_and_ruff_stable(text: str) -> None:
    literal = py_str(text)
    assert ast.literal_eval(literal) == text
    source = f"x = {literal}\n"
    assert ruff_formatted(source) == source


SPECS = [
    WorkflowSpec("create_user", "CREATE", "Create user", False, (ProductSelector("User"),)),
    WorkflowSpec("modify_ext", "MODIFY", HOSTILE[3], False, (ProductSelector("User", "USER_EXT"),)),
    WorkflowSpec("task_y", "SYSTEM", HOSTILE[5], True),
    WorkflowSpec("validate_z", "VALIDATE", "V", True, (ProductSelector("User"), ProductSelector("UserGroup"))),
    WorkflowSpec("modify_some", "MODIFY", "Some", False, (ProductSelector("UserGroup"),), ("User internal",)),
    WorkflowSpec("system_not_task", "SYSTEM", HOSTILE[6], False),
    # PostgreSQL text cannot hold NUL, so strings that reach the database are hostile without it
    WorkflowSpec("only_named", "MODIFY", HOSTILE[8].replace("\x00", ""), False, (), ("User external", "User internal")),
]


def body(ops: WorkflowOps) -> str:
    return render_python_code(UpgradeOps(ops=[ops]))


def test_rendered_operations_are_valid_ruff_formatted_python_with_only_expected_calls() -> None:
    ops = WorkflowOps(
        [
            DeleteWorkflowOp(SPECS[0]),
            DeleteWorkflowOp(SPECS[1]),
            *(CreateWorkflowOp(spec) for spec in SPECS),
            CreateWorkflowOp(SPECS[3], restore=True),
            UpdateWorkflowOp("x", [ColumnChange("target", "SYSTEM", "VALIDATE"), ColumnChange("is_task", False, True)]),
            UpdateWorkflowOp("y", [ColumnChange("deleted_at", None, "2026-01-01T00:00:00+00:00")]),
            UpdateWorkflowOp("z", [ColumnChange("description", "a", HOSTILE[4])]),
            LinkProductsOp("a", ["User internal"]),
            UnlinkProductsOp("a", ["User external", HOSTILE[1]]),
        ]
    )
    source = as_function(body(ops))
    for line_length in (79, 88, 100, 120):  # whatever the project's setting
        assert ruff_formatted(source, line_length) == source
    tree = ast.parse(source)
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert calls == {"op.get_bind", "create_workflow", "create_task", "conn.execute", "sa.text"}
    # every string from the specs is present byte for byte as a literal
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    for spec in SPECS:
        assert spec.name in literals and spec.description in literals


def test_reverse_of_create_is_delete_and_back() -> None:
    ops = WorkflowOps([DeleteWorkflowOp(SPECS[0]), CreateWorkflowOp(SPECS[2])])
    reverse = ops.reverse()
    assert [type(op).__name__ for op in reverse.ops] == ["DeleteWorkflowOp", "CreateWorkflowOp"]
    assert reverse.workflow_ops[1].restore  # type: ignore[union-attr]
    assert [op.spec.name for op in reverse.workflow_ops] == ["task_y", "create_user"]
    assert [op.spec for op in reverse.reverse().workflow_ops] == [op.spec for op in ops.workflow_ops]
    assert UpgradeOps(ops=[ops]).as_diffs() == [
        ("remove_workflow", "create_user", "CREATE", "User"),
        ("add_workflow", "task_y", "SYSTEM", "no products"),
    ]
    assert "CreateWorkflowOp('task_y', target=SYSTEM, linked to no products)" in repr(ops)


def rows(connection: sa.Connection, names: list[str]) -> dict[str, tuple[object, ...]]:
    result = connection.execute(
        sa.text(
            "SELECT w.name, w.target, w.description, w.is_task, w.deleted_at,"
            " coalesce(array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL), '{}')"
            " FROM workflows w LEFT JOIN products_workflows USING (workflow_id) LEFT JOIN products p USING (product_id)"
            " WHERE w.name = ANY(:names) GROUP BY w.workflow_id"
        ),
        {"names": names},
    )
    return {name: tuple(rest) for name, *rest in result}


def test_rendered_code_writes_exactly_the_described_rows_and_its_reverse_removes_them(
    connection: sa.Connection,
) -> None:
    ops = WorkflowOps([CreateWorkflowOp(spec) for spec in SPECS])
    run_rendered(body(ops), connection)
    names = [spec.name for spec in SPECS]
    created = rows(connection, names)
    assert created == {
        "create_user": ("CREATE", "Create user", False, None, ["User external", "User internal"]),
        "modify_ext": ("MODIFY", SPECS[1].description, False, None, ["User external"]),
        "task_y": ("SYSTEM", SPECS[2].description, True, None, []),
        "validate_z": ("VALIDATE", "V", True, None, ["User Group", "User external", "User internal"]),
        "modify_some": ("MODIFY", "Some", False, None, ["User Group", "User internal"]),
        "system_not_task": ("SYSTEM", SPECS[5].description, False, None, []),
        "only_named": ("MODIFY", SPECS[6].description, False, None, ["User external", "User internal"]),
    }
    # one of them ran: retiring soft-deletes it and keeps its process and links; the others are deleted
    connection.execute(
        sa.text(
            "INSERT INTO processes (workflow_id, last_status, is_task)"
            " SELECT workflow_id, 'completed', false FROM workflows WHERE name = 'modify_some'"
        )
    )
    run_rendered(body(ops.reverse()), connection)
    after = rows(connection, names)
    assert list(after) == ["modify_some"]
    assert after["modify_some"][3] is not None  # deleted_at
    assert after["modify_some"][4] == ["User Group", "User internal"]
    assert connection.execute(sa.text("SELECT count(*) FROM processes")).scalar() == 1
    # and the reverse of the retirement brings every row back exactly
    run_rendered(body(ops.reverse().reverse()), connection)
    assert rows(connection, names) == created


def test_rendered_updates_and_link_changes_round_trip(connection: sa.Connection) -> None:
    before = rows(connection, ["modify_note", "task_clean_up_tasks"])
    _, note_description, *_ = before["modify_note"]
    task_target, _, task_is_task, *_ = before["task_clean_up_tasks"]
    deleted_at = "2026-01-02T03:04:05.678901+00:00"
    ops = WorkflowOps(
        [
            UpdateWorkflowOp("modify_note", [ColumnChange("description", note_description, HOSTILE[3])]),
            UpdateWorkflowOp(
                "task_clean_up_tasks",
                [
                    ColumnChange("deleted_at", None, deleted_at),
                    ColumnChange("target", task_target, "MODIFY"),
                    ColumnChange("is_task", task_is_task, not task_is_task),
                ],
            ),
            UnlinkProductsOp("modify_note", ["User external", "User internal"]),
            LinkProductsOp("task_clean_up_tasks", ["User Group"]),
        ]
    )
    run_rendered(body(ops), connection)
    changed = rows(connection, ["modify_note", "task_clean_up_tasks"])
    assert changed["modify_note"] == ("MODIFY", HOSTILE[3], False, None, ["User Group"])
    target, _, is_task, when, products = changed["task_clean_up_tasks"]
    assert (target, is_task, when.isoformat(), products) == ("MODIFY", not task_is_task, deleted_at, ["User Group"])  # type: ignore[union-attr]
    run_rendered(body(ops.reverse()), connection)
    assert rows(connection, ["modify_note", "task_clean_up_tasks"]) == before
