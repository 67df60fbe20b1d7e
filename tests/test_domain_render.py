"""The contract of ``domain/render.py`` (issue 24), in the pure renderer: every kind and action of domain
change, with hostile names, renders to a revision file that compiles, calls nothing but its own functions
and SQLAlchemy's, keeps every name a literal, holds each statement once, fits in 100 columns and that
``ruff format`` leaves as it is at every line length from 79 to 120. What the SQL does is held by the
round-trip tests on real databases."""

from __future__ import annotations

import ast
import builtins
import io
import tokenize

import pytest
from alembic.operations.ops import UpgradeOps

from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.domain.ops import DomainOps
from tests.revision_code import GENERATED_CALLS, calls, free_names, rendered_revision, ruff_formatted

# Names that must stay literals: quotes of both kinds, backslashes, braces (remove_rows formats its
# message with str.format), SQL, a line break.
NAMES = ["it's", 'say "hi"', "back\\slash", "{format} %(x)s", "'; DROP TABLE products; --", "new\nline"]
PRODUCT, BLOCK, USED, FIELD, OTHER, INPUT = NAMES
BLOCK_COLUMNS = {"description": NAMES[1], "tag": "T", "status": "active"}
PRODUCT_COLUMNS = {"product_type": NAMES[2], "description": NAMES[0], "tag": "P", "status": "active"}

ADDITIONS = [
    DomainChange("rename", "product", (OTHER, PRODUCT), reason="renamed"),
    DomainChange("rename", "fixed_input", (PRODUCT, OTHER, INPUT), reason="renamed"),
    DomainChange("add", "resource_type", (FIELD,), {"description": NAMES[3]}, "a field of block " + BLOCK),
    DomainChange("add", "product_block", (BLOCK,), BLOCK_COLUMNS, "used by product " + PRODUCT),
    DomainChange("add", "block_resource_type", (BLOCK, FIELD), {}, "a field of block " + BLOCK),
    DomainChange("add", "block_relation", (BLOCK, USED), {}, "a field of block " + BLOCK),
    DomainChange("add", "product", (PRODUCT,), PRODUCT_COLUMNS, "in SUBSCRIPTION_MODEL_REGISTRY"),
    DomainChange("update", "product_type", (OTHER,), {"new": NAMES[4], "was": NAMES[5]}, "class renamed"),
    DomainChange("add", "product_block_link", (PRODUCT, BLOCK), {}, "a field of product type X"),
    DomainChange("add", "fixed_input", (PRODUCT, INPUT), {"value": NAMES[4]}, "a field of product type X"),
    DomainChange("add", "root_instance", (PRODUCT, "attr", BLOCK), {}, "required field attr"),
    DomainChange("add", "child_instance", (BLOCK, "attr", USED), {}, "required field attr of block"),
    DomainChange("add", "instance_value", (BLOCK, FIELD), {"values": None, "needs_value": True}, "required"),
    DomainChange("add", "instance_value", (USED, FIELD), {"values": NAMES[:2], "needs_value": False}, "given"),
    DomainChange("rename", "block_resource_type", (BLOCK, OTHER, FIELD), reason="renamed on one block"),
]
REMOVALS = [
    DomainChange("remove", "fixed_input", (OTHER, INPUT), {"value": "v"}, "not in the code"),
    DomainChange("remove", "product_block_link", (OTHER, USED), {}, "not in the code"),
    DomainChange("remove", "product", (OTHER,), PRODUCT_COLUMNS, "not in SUBSCRIPTION_MODEL_REGISTRY"),
    DomainChange("remove", "block_relation", (USED, OTHER), {}, "not in the code"),
    DomainChange("remove", "block_resource_type", (USED, OTHER), {"discard": True}, "wfplugin_discard_values"),
    DomainChange("remove", "block_resource_type", (OTHER, FIELD), {"discard": False}, "not in the code"),
    DomainChange("remove", "product_block", (OTHER,), BLOCK_COLUMNS, "not in the code"),
    DomainChange("remove", "resource_type", (OTHER,), {"description": "d"}, "not in the code"),
]


def revision() -> str:
    additions = DomainOps.of(sorted(ADDITIONS, key=lambda c: c.sort_key))
    removals = DomainOps.of(sorted(REMOVALS, key=lambda c: c.sort_key))
    return rendered_revision(UpgradeOps([additions, removals]))


def functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("line_length", range(79, 121))
def test_a_domain_revision_is_ruff_formatted_at_every_line_length(line_length: int) -> None:
    source = revision()
    assert ruff_formatted(source, line_length) == source


def test_a_domain_revision_calls_only_its_own_functions_and_holds_each_statement_once() -> None:
    source = revision()
    tree = ast.parse(source)
    assert calls(tree) <= GENERATED_CALLS, calls(tree) - GENERATED_CALLS
    assert free_names(tree) <= {"op", "sa"} | set(dir(builtins))  # revision is assigned at module level
    imported = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert imported == ["import sqlalchemy as sa", "from alembic import op"]
    assert [line for line in source.splitlines() if len(line) > 100] == []
    statements = [
        ast.unparse(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "sa.text"
    ]
    assert len(statements) == len(set(statements))
    defined = functions(tree)
    for name in ("upgrade", "downgrade"):
        body = defined[name].body
        assert all(isinstance(node, ast.Assign | ast.Expr) for node in body), name
        assert "sa.text" not in ast.unparse(defined[name])
        called = [ast.unparse(node.value.func) for node in body if isinstance(node, ast.Expr)]  # type: ignore[attr-defined]
        assert set(called) <= set(defined), called
    # every name is a literal, byte for byte; none broke out into code or a comment
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert set(NAMES) <= literals


def test_downgrade_comments_describe_the_downgrade_and_upgrade_comments_give_each_reason() -> None:
    source = revision()
    tree = ast.parse(source)
    defined = functions(tree)
    lines = source.splitlines()

    def comments(function: ast.FunctionDef) -> list[str]:
        text = "\n".join(lines[function.lineno - 1 : function.end_lineno])
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [token.string for token in tokens if token.type == tokenize.COMMENT and "###" not in token.string]

    upgrade = comments(defined["upgrade"])
    assert sorted(upgrade) == sorted("# " + change.reason.replace("\n", "\\n") for change in ADDITIONS + REMOVALS)
    downgrade = comments(defined["downgrade"])
    assert downgrade and all("the upgrade" in comment for comment in downgrade), downgrade
    assert not any("undoes" in comment for comment in downgrade)


def test_every_kind_of_change_has_its_words_in_one_entry_naming_what_it_changes() -> None:
    """Every kind of domain object has its words (model.KINDS) and, but the product type (an update), its
    SQL (render.SQL_OF); each change of every kind and its reverse has a log line naming every name of
    its key, hostile ones too (a brace in a name is never a template), and a drift-report row."""
    from alembic_wfplugin.domain.model import KINDS
    from alembic_wfplugin.domain.render import SQL_OF

    assert set(SQL_OF) | {"product_type"} == set(KINDS)
    changes = [*ADDITIONS, *REMOVALS]
    assert {change.kind for change in changes} == set(KINDS)
    for change in [*changes, *(change.reversed() for change in changes)]:
        line = change.describe()
        assert all(repr(name) in line for name in change.key if name != "attr"), line
        kind, name, action, _details, why = change.row()
        assert (kind, action, why) == (KINDS[change.kind].label, change.action, change.reason)
        assert name and name in ", ".join(change.key)
    fixed_input = DomainChange("add", "fixed_input", ("P", "speed"), {"value": "1000"})
    assert fixed_input.describe() == "added fixed input 'speed' = '1000' to product 'P'"
    assert fixed_input.reversed().describe() == "removed fixed input 'speed' = '1000' from product 'P'"
    moved = DomainChange("rename", "block_resource_type", ("B", "old", "new"))
    assert moved.describe() == "renamed resource type 'old' -> 'new' of product block 'B'"
    assert moved.row() == ("block resource type", "B, old", "rename", "-> new", "")
    root = DomainChange("add", "root_instance", ("P", "port", "PortBlock"))
    assert root.row()[1:4] == ("P", "add", "an instance of block PortBlock in each subscription")
