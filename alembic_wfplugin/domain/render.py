"""Domain operations -> Python source for the revision file, in the style of the workflow blocks: per kind
of change a list of entries (by name, never an id from the generating database) and a loop of plain
SQL with bound parameters. Additions leave an object that already exists where the revision runs as it
is; removals first count what uses the object in that database and stop the upgrade (rolled back
whole) rather than lose data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.domain.ops import DomainOp, DomainOps
from alembic_wfplugin.pysource import INDENT, Params, block_source, dict_literal, execute_source, stop_if_source

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

PRODUCT_ID = "(SELECT product_id FROM products WHERE name = :product)"
BLOCK_ID = "(SELECT product_block_id FROM product_blocks WHERE name = :block)"
RESOURCE_TYPE_ID = "(SELECT resource_type_id FROM resource_types\nWHERE resource_type = :resource_type)"
# An id looked up by name is NULL where the object is missing: the NOT NULL columns then stop the upgrade.


@dataclass(frozen=True)
class Kind:
    keys: tuple[str, ...]  # the entry's names for DomainChange.key
    columns: tuple[str, ...]  # the entry's names for DomainChange.columns
    add: tuple[str, ...]  # statements that add it (or leave it as it is)
    remove: str  # the statement that removes it
    users: str | None  # counts what uses it; a removal stops when this is not 0 (None: nothing can use it)
    used_by: str  # "{used} <used_by>" in the message


KINDS: dict[str, Kind] = {
    "resource_type": Kind(
        ("resource_type",),
        ("description",),
        (
            "INSERT INTO resource_types (resource_type, description)\n"
            "VALUES (:resource_type, :description)\n"
            "ON CONFLICT (resource_type) DO NOTHING",
        ),
        "DELETE FROM resource_types WHERE resource_type = :resource_type",
        f"SELECT count(*) FROM subscription_instance_values\nWHERE resource_type_id = {RESOURCE_TYPE_ID}",
        "subscription instance values",
    ),
    "product_block": Kind(
        ("block",),
        ("description", "tag", "status"),
        (
            "INSERT INTO product_blocks (name, description, tag, status)\n"
            "VALUES (:block, :description, :tag, :status)\n"
            "ON CONFLICT (name) DO NOTHING",
        ),
        "DELETE FROM product_blocks WHERE name = :block",
        f"SELECT count(*) FROM subscription_instances WHERE product_block_id = {BLOCK_ID}",
        "subscription instances",
    ),
    "block_resource_type": Kind(
        ("block", "resource_type"),
        ("values", "needs_value"),
        (
            "INSERT INTO product_block_resource_types (product_block_id, resource_type_id)\n"
            f"SELECT\n{BLOCK_ID},\n{RESOURCE_TYPE_ID}\nON CONFLICT DO NOTHING",
            # orchestrator-core's backfill_resource_type_with_default, by name and only where a value lacks;
            # one row per element of "values", as orchestrator-core's save() stores a list (none for [])
            "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)\n"
            f"SELECT si.subscription_instance_id,\n{RESOURCE_TYPE_ID},\nnew_value.value\n"
            "FROM subscription_instances AS si\nCROSS JOIN unnest(CAST(:values AS text[])) AS new_value (value)\n"
            f"WHERE si.product_block_id = {BLOCK_ID}\n"
            "AND NOT EXISTS (SELECT 1 FROM subscription_instance_values AS v\n"
            "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
            f"AND v.resource_type_id = {RESOURCE_TYPE_ID})",
        ),
        "DELETE FROM product_block_resource_types\n"
        f"WHERE product_block_id = {BLOCK_ID}\nAND resource_type_id = {RESOURCE_TYPE_ID}",
        "SELECT count(*) FROM subscription_instance_values AS v\n"
        "JOIN subscription_instances AS si USING (subscription_instance_id)\n"
        f"WHERE si.product_block_id = {BLOCK_ID}\nAND v.resource_type_id = {RESOURCE_TYPE_ID}",
        "values on instances of the block",
    ),
    "block_relation": Kind(
        ("block", "depends_on"),
        (),
        (
            "INSERT INTO product_block_relations (in_use_by_id, depends_on_id)\n"
            f"SELECT\n{BLOCK_ID},\n(SELECT product_block_id FROM product_blocks WHERE name = :depends_on)\n"
            "ON CONFLICT DO NOTHING",
        ),
        "DELETE FROM product_block_relations\n"
        f"WHERE in_use_by_id = {BLOCK_ID}\n"
        "AND depends_on_id = (SELECT product_block_id FROM product_blocks WHERE name = :depends_on)",
        "SELECT count(*) FROM subscription_instance_relations AS r\n"
        "JOIN subscription_instances AS user_si ON user_si.subscription_instance_id = r.in_use_by_id\n"
        "JOIN subscription_instances AS used_si ON used_si.subscription_instance_id = r.depends_on_id\n"
        f"WHERE user_si.product_block_id = {BLOCK_ID}\n"
        "AND used_si.product_block_id = (SELECT product_block_id FROM product_blocks WHERE name = :depends_on)",
        "subscription instance relations",
    ),
    "product": Kind(
        ("product",),
        ("product_type", "description", "tag", "status"),
        (
            "INSERT INTO products (name, product_type, description, tag, status)\n"
            "VALUES (:product, :product_type, :description, :tag, :status)\n"
            "ON CONFLICT (name) DO NOTHING",
        ),
        "DELETE FROM products WHERE name = :product",
        f"SELECT count(*) FROM subscriptions WHERE product_id = {PRODUCT_ID}",
        "subscriptions",
    ),
    "product_block_link": Kind(
        ("product", "block"),
        (),
        (
            "INSERT INTO product_product_blocks (product_id, product_block_id)\n"
            f"SELECT\n{PRODUCT_ID},\n{BLOCK_ID}\nON CONFLICT DO NOTHING",
        ),
        f"DELETE FROM product_product_blocks\nWHERE product_id = {PRODUCT_ID}\nAND product_block_id = {BLOCK_ID}",
        "SELECT count(*) FROM subscription_instances AS si JOIN subscriptions AS s USING (subscription_id)\n"
        f"WHERE s.product_id = {PRODUCT_ID}\nAND si.product_block_id = {BLOCK_ID}",
        "subscription instances of the block in the product's subscriptions",
    ),
    "fixed_input": Kind(
        ("product", "name"),
        ("value",),
        (
            "INSERT INTO fixed_inputs (name, value, product_id)\n"
            f"SELECT :name, :value, {PRODUCT_ID}\n"
            "ON CONFLICT (name, product_id) DO NOTHING",
        ),
        f"DELETE FROM fixed_inputs\nWHERE name = :name AND product_id = {PRODUCT_ID}",
        None,  # no subscription stores a fixed input: removing one loses nothing of theirs
        "",
    ),
}

# Instances of a block that lack a value for a resource type (a required one the revision has no value for).
LACKING_VALUES = (
    f"SELECT count(*) FROM subscription_instances AS si\nWHERE si.product_block_id = {BLOCK_ID}\n"
    "AND NOT EXISTS (SELECT 1 FROM subscription_instance_values AS v\n"
    "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
    f"AND v.resource_type_id = {RESOURCE_TYPE_ID})"
)

ADD_HEADERS = {
    "resource_type": "# Resource types (fields of product blocks) the code declares; one that exists is kept as is.",
    "product_block": "# Product blocks the code declares; one that exists is kept as is (description, tag, status).",
    "block_resource_type": (
        '# Resource types of product blocks. Existing instances of the block get "values" where they lack any\n'
        "# (one row per list element; the field's default, or wfplugin_resource_types); a required field\n"
        "# without one stops the upgrade if the block has instances in this database."
    ),
    "block_relation": "# Product blocks that a product block uses (product_block_relations).",
    "product": "# Products in SUBSCRIPTION_MODEL_REGISTRY; one that exists is kept as is (description, tag, status).",
    "product_block_link": "# The root product blocks of products (product_product_blocks).",
    "fixed_input": "# Fixed inputs of products; one that exists keeps its value.",
}
REMOVE_UNUSED_HEADER = "# {label}s the code no longer declares."
REMOVE_HEADER = (
    "# {label}s the code no longer declares: each is deleted only if nothing in this database uses it;\n"
    "# otherwise the upgrade stops (and is rolled back whole)."
)
BACKFILLED_NOTE = (
    '# Where "values" is set, the values the upgrade gave existing instances are deleted with the resource type.'
)


def entry_source(change: DomainChange) -> str:
    kind = KINDS[change.kind]
    params: Params = dict(zip(kind.keys, change.key, strict=True))
    params.update({column: change.columns.get(column) for column in kind.columns})
    return dict_literal(params)


# Renames (wfplugin_renames): the row keeps its id, so what refers to it follows. Where the new name exists
# already (renamed by hand, or a revision that ran before), nothing happens.
RENAMES = {
    "product": ("products", "name"),
    "product_block": ("product_blocks", "name"),
    "resource_type": ("resource_types", "resource_type"),
}


def render_renames(kind_name: str, changes: list[DomainChange]) -> list[str]:
    table, column = RENAMES[kind_name]
    statement = (
        f"UPDATE {table} SET {column} = :new WHERE {column} = :old\n"
        f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = :new)"
    )
    entries = [(change.reason, dict_literal({"old": change.key[0], "new": change.key[1]})) for change in changes]
    header = [f"# {kind_name.replace('_', ' ').capitalize()}s renamed (wfplugin_renames), by name."]
    return block_source(f"renamed_{kind_name}s", header, entries, [execute_source(statement, "entry")], "entry")


def render_changes(action: str, kind_name: str, changes: list[DomainChange]) -> list[str]:
    if action == "rename":
        return render_renames(kind_name, changes)
    kind = KINDS[kind_name]
    label = kind_name.replace("_", " ")
    name = f"{'added' if action == 'add' else 'removed'}_{kind_name}s"
    entries = [(change.reason, entry_source(change)) for change in changes]
    item = "entry"
    if action == "add":
        loop = [execute_source(statement, item) for statement in kind.add]
        if kind_name == "block_resource_type":
            loop.insert(0, _stop_if_used(LACKING_VALUES, 'entry["needs_value"]', _lacking_value_message()))
        return block_source(name, [ADD_HEADERS[kind_name]], entries, loop, item)
    capitalized = label[0].upper() + label[1:]
    if kind.users is None:
        loop = [execute_source(kind.remove, item)]
        return block_source(name, [REMOVE_UNUSED_HEADER.format(label=capitalized)], entries, loop, item)
    header = [REMOVE_HEADER.format(label=capitalized)]
    condition = None
    if kind_name == "block_resource_type" and any(change.columns.get("values") is not None for change in changes):
        header.append(BACKFILLED_NOTE)
        condition = 'entry["values"] is None'
    loop = [_stop_if_used(kind.users, condition, _in_use_message(label, kind))]
    if condition is not None:
        loop.append(
            "else:\n"
            + INDENT
            + execute_source(
                "DELETE FROM subscription_instance_values AS v\nUSING subscription_instances AS si\n"
                "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
                f"AND si.product_block_id = {BLOCK_ID}\nAND v.resource_type_id = {RESOURCE_TYPE_ID}",
                item,
            ).replace("\n", "\n" + INDENT)
        )
    loop.append(execute_source(kind.remove, item))
    return block_source(name, header, entries, loop, item)


def _stop_if_used(users: str, condition: str | None, message: str) -> str:
    """Count what uses the entry (``users``) and stop the upgrade with ``message`` if anything does."""
    count = "used = " + execute_source(users, "entry") + ".scalar_one()"
    check = stop_if_source("used", message)
    if condition is None:
        return count + "\n" + check
    return f"if {condition}:\n{INDENT}" + (count + "\n" + check).replace("\n", "\n" + INDENT)


def _in_use_message(label: str, kind: Kind) -> str:
    named = ["{entry[" + repr(key) + "]!r}" for key in kind.keys]
    name = " -> ".join(named) if label == "block relation" else " of ".join(reversed(named))
    return (
        f'f"Cannot remove {label} {name}: {{used}} {kind.used_by} in this database. "\n'
        f'{INDENT * 2}"Keep it in the code until nothing uses it (this whole upgrade is rolled back)."'
    )


def _lacking_value_message() -> str:
    return (
        "f\"Product block {entry['block']!r} has {used} instances in this database that need a value for \"\n"
        + INDENT * 2
        + "f\"its new resource type {entry['resource_type']!r}; give one as \"\n"
        + INDENT * 2
        + "f\"wfplugin_resource_types={{{entry['resource_type']!r}: {{'value': ...}}}} and autogenerate the \"\n"
        + INDENT * 2
        + '"revision again (this whole upgrade is rolled back)."'
    )


def render_domain_ops(autogen_context: AutogenContext, container: DomainOps) -> list[str]:
    lines = ["conn = op.get_bind()"]
    ops: list[DomainOp] = container.domain_ops
    index = 0
    while index < len(ops):
        action, kind = ops[index].change.action, ops[index].change.kind
        run = []
        while index < len(ops) and (ops[index].change.action, ops[index].change.kind) == (action, kind):
            run.append(ops[index].change)
            index += 1
        lines += render_changes(action, kind, run)
    return lines
