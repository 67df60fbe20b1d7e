"""Rendering: valid, ruff-formatted plain-SQL Python (``op``, ``sa`` and builtins only) whatever the strings,
that writes exactly the rows it describes when run against a real database, and stops with a clear error
where it cannot."""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize

import pytest
import sqlalchemy as sa
from alembic.operations.ops import UpgradeOps

from alembic_wfplugin.products import ProductSelector
from alembic_wfplugin.pysource import py_str
from alembic_wfplugin.workflows.changes import (
    AddWorkflow,
    LinkProducts,
    RenameWorkflow,
    RetireWorkflow,
    UnlinkProducts,
    UpdateWorkflow,
    WorkflowChange,
    workflow_changes,
)
from alembic_wfplugin.workflows.model import ColumnChange, Links, WorkflowChanges, WorkflowRename, WorkflowSpec
from alembic_wfplugin.workflows.ops import WorkflowOps
from tests.fixture_app import WORKFLOW_ROWS
from tests.revision_code import GENERATED_CALLS, calls, free_names, rendered, ruff_formatted, run_rendered

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
# Line breaks of every kind Python or str.splitlines() knows, and other control characters: none may end a
# comment early.
HOSTILE_REASONS = [
    *HOSTILE,
    "ends in a backslash \\",
    "\r\nwindows\r\nlines\r\n",
    "form\x0cfeed, vtab\x0b, fs\x1c gs\x1d rs\x1e nel\x85 ps\u2029 esc\x1b[31m",
    "\n    x = 1  # looks like code",
    "\"\"\"\nclosing a string that is not open\n'''",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_py_str_is_a_literal_of_exactly_the_text_and_ruff_stable(text: str) -> None:
    literal = py_str(text)
    assert ast.literal_eval(literal) == text
    source = f"x = {literal}\n"
    assert ruff_formatted(source) == source


USER, USER_EXT, USER_GROUP = ProductSelector("User"), ProductSelector("User", "USER_EXT"), ProductSelector("UserGroup")
SPECS = [
    WorkflowSpec("create_user", "CREATE", "Create user", False, Links(selectors=(USER,)), reason="declared"),
    WorkflowSpec("modify_ext", "MODIFY", HOSTILE[3], False, Links(selectors=(USER_EXT,)), reason=HOSTILE[5]),
    WorkflowSpec("task_y", "SYSTEM", HOSTILE[5], True, reason=HOSTILE[8]),
    WorkflowSpec("validate_z", "VALIDATE", "V", True, Links(selectors=(USER, USER_GROUP)), reason=HOSTILE[3]),
    WorkflowSpec(
        "modify_some",
        "MODIFY",
        "Some",
        False,
        Links(selectors=(USER_GROUP,), products=("User internal",)),
        reason=HOSTILE[4],
    ),
    WorkflowSpec("system_not_task", "SYSTEM", HOSTILE[6], False, reason=HOSTILE[6]),
    # PostgreSQL text cannot hold NUL, so strings that reach the database are hostile without it
    WorkflowSpec(
        "only_named",
        "MODIFY",
        HOSTILE[8].replace("\x00", ""),
        False,
        Links(products=("User external", "User internal")),
        reason=HOSTILE[7],
    ),
    WorkflowSpec("modify_every", "MODIFY", HOSTILE[0], False, Links(every_product=True), reason=HOSTILE[9]),
]
# Every kind of change, twice where a kind could mix its entries up, with hostile names and reasons.
ALL_KINDS: list[WorkflowChange] = [
    RenameWorkflow("old_name", "create_user", reason=HOSTILE[2]),
    RenameWorkflow(HOSTILE[1], HOSTILE[0], soft_delete=True, reason=HOSTILE_REASONS[9]),
    RetireWorkflow(SPECS[0]),
    RetireWorkflow(SPECS[1]),
    *(AddWorkflow(spec) for spec in SPECS),
    AddWorkflow(WorkflowSpec(HOSTILE[5], "MODIFY", "d", False, kept_links=(HOSTILE[1],), overwrite_description=True)),
    UpdateWorkflow(
        "x", [ColumnChange("target", "SYSTEM", "VALIDATE"), ColumnChange("is_task", False, True)], reason=HOSTILE[5]
    ),
    UpdateWorkflow(HOSTILE[2], [ColumnChange("description", "a", HOSTILE[4])], reason=HOSTILE_REASONS[12]),
    LinkProducts("a", ["User internal"], reason=HOSTILE_REASONS[11]),
    LinkProducts(HOSTILE[6], [HOSTILE[7], HOSTILE[0]], reason=HOSTILE_REASONS[10]),
    UnlinkProducts("a", ["User external", HOSTILE[1]], reason=HOSTILE_REASONS[13]),
    UnlinkProducts("b", ["User Group"], reason=HOSTILE_REASONS[14]),
]


def body(ops: WorkflowOps) -> str:
    return rendered(UpgradeOps(ops=[ops]))


def comments(source: str) -> list[tokenize.TokenInfo]:
    return [token for token in tokenize.generate_tokens(io.StringIO(source).readline) if token.type == tokenize.COMMENT]


def shown(comment: str) -> str:
    """What a ``# reason`` comment shows, its escapes read back."""
    assert comment.startswith("# ")
    text = comment[2:]
    return str(ast.literal_eval('"' + text.replace('"', '\\"') + '"'))


def entries(tree: ast.AST) -> dict[str, int]:
    """The number of entries in each list the rendered code names (retired, added, ...)."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) and node.value.elts:
            (target,) = node.targets
            assert isinstance(target, ast.Name)
            assert all(isinstance(entry, ast.Dict) for entry in node.value.elts)
            counts[target.id] = counts.get(target.id, 0) + len(node.value.elts)
    return counts


@pytest.mark.parametrize("line_length", [79, 88, 100, 120])
def test_rendered_operations_are_ruff_formatted_whatever_the_line_length(line_length: int) -> None:
    source = body(WorkflowOps.of(ALL_KINDS))
    assert ruff_formatted(source, line_length) == source


def test_rendered_operations_are_valid_python_with_only_expected_calls() -> None:
    source = body(WorkflowOps.of(ALL_KINDS))
    compile(source, "<revision>", "exec")
    tree = ast.parse(source)
    assert calls(tree) == GENERATED_CALLS - {"entry.get", "kind['in_use'].format"}  # all but domain models' ones
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert free_names(tree) <= {"op", "sa"} | set(dir(builtins))
    # one function per kind of change at module level, and upgrade() calls each once
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    kinds = ["rename_workflows", "retire_workflows", "add_workflows", "update_workflows", "link_workflows"]
    assert functions == [*kinds, "unlink_workflows", "upgrade"]
    upgrade = tree.body[-1]
    assert [ast.unparse(node.func) for node in ast.walk(upgrade) if isinstance(node, ast.Call)] == functions[:-1]
    # every string from the operations is present byte for byte as a literal
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    for spec in SPECS:
        assert spec.name in literals and spec.description in literals
    for text in (HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[4], HOSTILE[5], HOSTILE[6], HOSTILE[7]):
        assert text in literals
    # one dict per operation, under its kind's list: no reason broke out of its comment into code
    assert entries(tree) == {
        "renamed": 2,
        "retired": 2,
        "added": len(SPECS) + 1,
        "updated": 2,
        "linked": 2,
        "unlinked": 2,
    }


def test_reasons_show_escaped_in_one_comment_line_each() -> None:
    ops = WorkflowOps.of(
        [
            *(
                UpdateWorkflow(f"w{i}", [ColumnChange("target", "A", "B")], reason=r)
                for i, r in enumerate(HOSTILE_REASONS)
            ),
            *(LinkProducts(reason, ["p"], reason=reason) for reason in HOSTILE_REASONS),  # hostile names too
        ]
    )
    source = body(ops)
    assert ruff_formatted(source) == source
    tree = ast.parse(source)
    assert entries(tree) == {"updated": len(HOSTILE_REASONS), "linked": len(HOSTILE_REASONS)}
    found = comments(source)
    # every comment is a line of its own, and nothing else is a comment
    lines = source.split("\n")
    assert all(lines[token.start[0] - 1].lstrip() == token.string for token in found)
    assert [line for line in lines if line.lstrip().startswith("#")] == [lines[t.start[0] - 1] for t in found]
    # each reason shows exactly, on its own comment line, right above its entry
    reasons = [
        shown(token.string) for token in found if token.start[0] > 1 and lines[token.start[0]].lstrip().startswith("{")
    ]
    assert reasons == HOSTILE_REASONS * 2
    for token in found:
        assert token.string.isprintable()
    # and the names went into literals, not comments
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert set(HOSTILE_REASONS) <= literals


def test_empty_reason_is_still_ruff_stable() -> None:
    source = body(WorkflowOps.of([LinkProducts("a", ["p"]), UnlinkProducts("a", ["q"], reason="why ")]))
    assert ruff_formatted(source) == source


def test_reverse_of_add_is_retire_and_back() -> None:
    ops = WorkflowOps.of([RetireWorkflow(SPECS[0]), AddWorkflow(SPECS[2])])
    reverse = ops.reverse()
    assert isinstance(reverse, WorkflowOps)
    assert [type(change).__name__ for change in reverse.changes] == ["RetireWorkflow", "AddWorkflow"]
    assert [change.name for change in reverse.changes] == ["task_y", "create_user"]
    assert [change.reason for change in reverse.changes] == [f"undoes: {SPECS[2].reason}", f"undoes: {SPECS[0].reason}"]
    assert [change.spec for change in reverse.reverse().changes] == [  # type: ignore[attr-defined]
        change.spec  # type: ignore[attr-defined]
        for change in ops.changes
    ]
    assert UpgradeOps(ops=[ops]).as_diffs() == [
        ("retire_workflow", "create_user", "CREATE", "User"),
        ("add_workflow", "task_y", "SYSTEM", "no products"),
    ]
    assert "ChangeOp(added workflow 'task_y' (SYSTEM, no products))" in repr(ops)
    assert "ChangeOp(retired workflow 'create_user' (CREATE, User))" in repr(ops)


def test_reverse_of_update_and_links() -> None:
    update = UpdateWorkflow("x", [ColumnChange("target", "SYSTEM", "VALIDATE")], reason="r")
    link, unlink = LinkProducts("x", ["A", "B"], reason="l"), UnlinkProducts("x", ["C"], reason="u")
    reverse = WorkflowOps.of([update, link, unlink]).reverse().changes
    assert [type(change).__name__ for change in reverse] == ["LinkProducts", "UnlinkProducts", "UpdateWorkflow"]
    assert reverse[2].changes == (ColumnChange("target", "VALIDATE", "SYSTEM"),)  # type: ignore[attr-defined]
    assert [(change.products, change.reason) for change in reverse[:2]] == [  # type: ignore[attr-defined]
        (("C",), "undoes: u"),
        (("A", "B"), "undoes: l"),
    ]
    assert UpgradeOps(ops=[WorkflowOps.of([update, link, unlink])]).as_diffs() == [
        ("update_workflow", "x", (("target", "SYSTEM", "VALIDATE"),)),
        ("link_workflow_products", "x", ("A", "B")),
        ("unlink_workflow_products", "x", ("C",)),
    ]
    assert [op.describe() for op in (update, link, unlink)] == [
        "updated workflow 'x' (target 'SYSTEM' -> 'VALIDATE')",
        "linked workflow 'x' (A, B)",
        "unlinked workflow 'x' (C)",
    ]


def rows(connection: sa.Connection, names: list[str]) -> dict[str, tuple[object, ...]]:
    """name -> (target, description, is_task, deleted_at, [linked product names])"""
    result = connection.execute(sa.text(WORKFLOW_ROWS))
    return {name: tuple(rest) for name, *rest in result if name in names}


def everything(connection: sa.Connection) -> dict[str, object]:
    """Every workflows row (with its id) and every link and process, to compare before and after."""
    return {
        table: connection.execute(sa.text(query)).all()
        for table, query in {
            "workflows": "SELECT * FROM workflows ORDER BY name",
            "products_workflows": "SELECT * FROM products_workflows ORDER BY product_id, workflow_id",
            "processes": "SELECT pid, workflow_id FROM processes ORDER BY pid",
        }.items()
    }


def workflow_id(connection: sa.Connection, name: str) -> object:
    return connection.execute(sa.text("SELECT workflow_id FROM workflows WHERE name = :name"), {"name": name}).scalar()


def add_process(connection: sa.Connection, name: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO processes (workflow_id, last_status, is_task)"
            " SELECT workflow_id, 'completed', false FROM workflows WHERE name = :name"
        ),
        {"name": name},
    )


def test_rendered_code_writes_exactly_the_described_rows_and_its_reverse_removes_them(
    connection: sa.Connection,
) -> None:
    ops = WorkflowOps.of([AddWorkflow(spec) for spec in SPECS])
    run_rendered(body(ops), connection)
    names = [spec.name for spec in SPECS]
    every = ["User Group", "User external", "User internal"]
    created = rows(connection, names)
    assert created == {
        "create_user": ("CREATE", "Create user", False, None, ["User external", "User internal"]),
        "modify_ext": ("MODIFY", SPECS[1].description, False, None, ["User external"]),
        "task_y": ("SYSTEM", SPECS[2].description, True, None, []),
        "validate_z": ("VALIDATE", "V", True, None, every),
        "modify_some": ("MODIFY", "Some", False, None, ["User Group", "User internal"]),
        "system_not_task": ("SYSTEM", SPECS[5].description, False, None, []),
        "only_named": ("MODIFY", SPECS[6].description, False, None, ["User external", "User internal"]),
        "modify_every": ("MODIFY", SPECS[7].description, False, None, every),
    }
    # one of them ran: retiring soft-deletes it and keeps its process and links; the others are deleted
    add_process(connection, "modify_some")
    ran = workflow_id(connection, "modify_some")
    run_rendered(body(ops.reverse()), connection)
    after = rows(connection, names)
    assert list(after) == ["modify_some"]
    assert after["modify_some"][3] is not None  # deleted_at
    assert after["modify_some"][4] == ["User Group", "User internal"]
    assert connection.execute(sa.text("SELECT count(*) FROM processes")).scalar() == 1
    # and the reverse of the retirement brings every row back exactly, the one that ran with its id
    run_rendered(body(ops.reverse().reverse()), connection)
    assert rows(connection, names) == created
    assert workflow_id(connection, "modify_some") == ran


def insert_workflow(connection: sa.Connection, name: str, target: str, description: str, deleted: bool = False) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO workflows (name, target, description, is_task, deleted_at)"
            " VALUES (:name, :target, :description, false, CASE WHEN :deleted THEN now() END)"
        ),
        {"name": name, "target": target, "description": description, "deleted": deleted},
    )


def test_a_rename_generated_on_one_database_renames_where_it_can_and_deletes_nothing_where_it_cannot(
    connection: sa.Connection, target_connection: sa.Connection
) -> None:
    """The rename decided when the revision runs (docs/how-it-decides.md): where the old name has a row
    and the new one none, the row is renamed in place (its id and processes kept, and back on the
    downgrade); where both have rows, nothing is renamed, the new one is made what the code says, and
    neither the upgrade nor the downgrade deletes a row."""
    previous = WorkflowSpec("new_wf", "MODIFY", "Old wf", False, Links(products=("User internal",)))
    spec = WorkflowSpec("new_wf", "MODIFY", "New wf", False, Links(products=("User external",)))
    changes = workflow_changes(
        WorkflowChanges(renamed=(WorkflowRename("old_wf", "new_wf", previous),), made_live=(spec,))
    )
    ops = WorkflowOps.of(changes)
    # where it was generated: the old row, linked, with a process
    insert_workflow(connection, "old_wf", "MODIFY", "Old wf")
    run_rendered(body(WorkflowOps.of([LinkProducts("old_wf", ["User internal"])])), connection)
    add_process(connection, "old_wf")
    kept = workflow_id(connection, "old_wf")
    # another database: someone made a new_wf by hand (soft-deleted since), and old_wf is still live
    insert_workflow(target_connection, "old_wf", "MODIFY", "Old wf")
    insert_workflow(target_connection, "new_wf", "CREATE", "By hand", deleted=True)
    add_process(target_connection, "old_wf")
    ids = {name: workflow_id(target_connection, name) for name in ("old_wf", "new_wf")}

    for database in (connection, target_connection):
        run_rendered(body(ops), database)
    assert rows(connection, ["old_wf", "new_wf"]) == {"new_wf": ("MODIFY", "Old wf", False, None, ["User external"])}
    assert workflow_id(connection, "new_wf") == kept
    assert connection.execute(sa.text("SELECT workflow_id FROM processes")).scalars().all() == [kept]
    assert rows(target_connection, ["old_wf", "new_wf"]) == {
        "old_wf": ("MODIFY", "Old wf", False, None, []),  # untouched: the next autogenerate there retires it
        "new_wf": ("MODIFY", "By hand", False, None, ["User external"]),  # brought back, as the code says
    }
    assert {name: workflow_id(target_connection, name) for name in ids} == ids

    for database in (connection, target_connection):
        run_rendered(body(ops.reverse()), database)
    assert rows(connection, ["old_wf", "new_wf"]) == {"old_wf": ("MODIFY", "Old wf", False, None, ["User internal"])}
    assert workflow_id(connection, "old_wf") == kept
    # nothing renamed back where nothing was renamed, and no row deleted
    assert set(rows(target_connection, ["old_wf", "new_wf"])) == {"old_wf", "new_wf"}
    assert {name: workflow_id(target_connection, name) for name in ids} == ids
    assert target_connection.execute(sa.text("SELECT workflow_id FROM processes")).scalars().all() == [ids["old_wf"]]


@pytest.mark.parametrize("overwrite_description", [False, True])
def test_add_brings_a_soft_deleted_row_back_and_links_it_exactly(
    connection: sa.Connection, overwrite_description: bool
) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO workflows (name, target, description, is_task, deleted_at)"
            " VALUES ('modify_old', 'SYSTEM', 'the old description', true, now())"
        )
    )
    add_process(connection, "modify_old")
    connection.execute(
        sa.text(
            "INSERT INTO products_workflows (product_id, workflow_id)"
            " SELECT p.product_id, w.workflow_id FROM products p, workflows w"
            " WHERE w.name = 'modify_old' AND p.name IN ('User Group', 'User internal')"
        )
    )
    old_id = workflow_id(connection, "modify_old")
    spec = WorkflowSpec(
        "modify_old",
        "MODIFY",
        "the new description",
        False,
        Links(selectors=(USER_EXT,)),
        kept_links=("User Group",),  # linked by hand: stays linked
        overwrite_description=overwrite_description,
    )
    run_rendered(body(WorkflowOps.of([AddWorkflow(spec)])), connection)
    description = "the new description" if overwrite_description else "the old description"
    assert rows(connection, ["modify_old"]) == {
        "modify_old": ("MODIFY", description, False, None, ["User Group", "User external"])
    }
    assert workflow_id(connection, "modify_old") == old_id
    assert connection.execute(sa.text("SELECT count(*) FROM processes")).scalar() == 1
    # a kept product the row is not linked to stays unlinked, and running it again changes nothing
    spec = WorkflowSpec("modify_old", "MODIFY", "d", False, Links(every_product=True), kept_links=("User internal",))
    run_rendered(body(WorkflowOps.of([AddWorkflow(spec)])), connection)
    again = rows(connection, ["modify_old"])
    assert again == {"modify_old": ("MODIFY", description, False, None, ["User Group", "User external"])}
    run_rendered(body(WorkflowOps.of([AddWorkflow(spec)])), connection)
    assert rows(connection, ["modify_old"]) == again


def test_rendered_updates_and_link_changes_round_trip(connection: sa.Connection) -> None:
    before = rows(connection, ["modify_note", "task_clean_up_tasks"])
    _, note_description, *_ = before["modify_note"]
    task_target, _, task_is_task, *_ = before["task_clean_up_tasks"]
    assert isinstance(note_description, str) and isinstance(task_target, str) and isinstance(task_is_task, bool)
    ops = WorkflowOps.of(
        [
            UpdateWorkflow("modify_note", [ColumnChange("description", note_description, HOSTILE[3])]),
            UpdateWorkflow(
                "task_clean_up_tasks",
                [
                    ColumnChange("target", task_target, "MODIFY"),
                    ColumnChange("is_task", task_is_task, not task_is_task),
                ],
            ),
            UnlinkProducts("modify_note", ["User external", "User internal"]),
            LinkProducts("task_clean_up_tasks", ["User Group"]),
        ]
    )
    run_rendered(body(ops), connection)
    changed = rows(connection, ["modify_note", "task_clean_up_tasks"])
    assert changed == {
        "modify_note": ("MODIFY", HOSTILE[3], False, None, ["User Group"]),
        "task_clean_up_tasks": ("MODIFY", before["task_clean_up_tasks"][1], not task_is_task, None, ["User Group"]),
    }
    run_rendered(body(ops.reverse()), connection)
    assert rows(connection, ["modify_note", "task_clean_up_tasks"]) == before


@pytest.mark.parametrize(
    ("links", "lacking"),
    [
        (Links(selectors=(USER, ProductSelector("Port"))), r"product type Port\b"),
        (Links(selectors=(ProductSelector("User", "NO_TAG"),)), r"product type User\b.*\bNO_TAG\b"),
        (Links(products=("User internal", "Port 10G")), r"product Port 10G\b"),
    ],
)
def test_add_linking_to_products_the_database_lacks_stops_and_rolls_back(
    connection: sa.Connection, links: Links, lacking: str
) -> None:
    before = everything(connection)
    ops = WorkflowOps.of(
        [
            RetireWorkflow(WorkflowSpec("modify_note", "MODIFY", "", False)),
            AddWorkflow(SPECS[0]),
            AddWorkflow(WorkflowSpec("create_port", "CREATE", "Create port", False, links)),
        ]
    )
    with pytest.raises(RuntimeError) as raised:
        run_rendered(body(ops), connection)
    # the message names the workflow and what this database lacks for it, and nothing that is fine
    assert re.search(f"create_port: {lacking}", str(raised.value)), str(raised.value)
    assert "create_user" not in str(raised.value)
    assert rows(connection, ["modify_note"]) == {}  # the retire ran before the check ...
    connection.rollback()
    assert everything(connection) == before  # ... and rolling back leaves nothing changed


@pytest.mark.parametrize("state", ["missing", "soft-deleted"])
def test_update_of_a_row_that_is_not_live_stops(connection: sa.Connection, state: str) -> None:
    if state == "soft-deleted":
        connection.execute(sa.text("UPDATE workflows SET deleted_at = now() WHERE name = 'modify_note'"))
    name = "no_such_workflow" if state == "missing" else "modify_note"
    update = UpdateWorkflow(name, [ColumnChange("target", "MODIFY", "SYSTEM")])
    with pytest.raises(RuntimeError, match=f"Workflow '{name}' has no live row in this database"):
        run_rendered(body(WorkflowOps.of([update])), connection)


@pytest.mark.parametrize(
    ("name", "products", "lacking"),
    [
        ("modify_note", ["User Group", "Port 10G"], "product Port 10G"),
        ("no_such_workflow", ["User Group"], "live workflow no_such_workflow"),
    ],
)
def test_link_to_a_missing_product_or_workflow_stops(
    connection: sa.Connection, name: str, products: list[str], lacking: str
) -> None:
    connection.execute(sa.text("DELETE FROM products_workflows"))
    with pytest.raises(RuntimeError, match=f"Cannot link workflow '{name}'.*has no {lacking}\\."):
        run_rendered(body(WorkflowOps.of([LinkProducts(name, products)])), connection)
    assert connection.execute(sa.text("SELECT count(*) FROM products_workflows")).scalar() == 0
