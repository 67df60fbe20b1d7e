"""Domain operations -> Python source for the revision file, in the style of the workflow blocks: per kind
of change a list of entries (by name, never an id from the generating database) and a loop of plain
SQL with bound parameters.

- Additions leave an object that already exists where the revision runs as it is, and record in
  ``wfplugin.created_rows`` (keyed by the revision's id) the rows they did create there, so that the
  downgrade removes exactly those and nothing that existed before the upgrade.
- Subscription data is written set-based, one statement per entry whatever the number of subscriptions:
  an instance for each subscription (or instance) that lacks one of a required block, values for the
  instances that lack one, as orchestrator-core's ``save()`` writes them.
- Removals first count what uses the object in that database and stop the upgrade (rolled back whole)
  rather than lose data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alembic_wfplugin.domain.model import DomainChange
from alembic_wfplugin.domain.ops import DomainOp, DomainOps
from alembic_wfplugin.pysource import (
    INDENT,
    Params,
    block_source,
    dict_literal,
    execute_source,
    py_str,
    stop_if_source,
)

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

PRODUCT_ID = "(SELECT product_id FROM products WHERE name = :product)"
BLOCK_ID = "(SELECT product_block_id FROM product_blocks WHERE name = :block)"
DEPENDS_ON_ID = "(SELECT product_block_id FROM product_blocks WHERE name = :depends_on)"
RESOURCE_TYPE_ID = "(SELECT resource_type_id FROM resource_types\nWHERE resource_type = :resource_type)"
# An id looked up by name is NULL where the object is missing: the NOT NULL columns then stop the upgrade.


def _text(*ids: str) -> str:
    """A row's key as text: its id, or the ids of a link row joined by a space."""
    return " || ' ' || ".join(f"CAST({id_} AS text)" for id_ in ids)


# What the upgrades of this revision created on this database, for its downgrade: the keys of the rows
# each statement inserted (one row per statement, whatever the number of rows it inserted).
CREATED_ROWS = "wfplugin.created_rows"
BOOKKEEPING = (
    "CREATE SCHEMA IF NOT EXISTS wfplugin",
    f"CREATE TABLE IF NOT EXISTS {CREATED_ROWS} (\n"
    "revision varchar(255) NOT NULL,\ntable_name varchar(255) NOT NULL,\nrow_keys text[] NOT NULL\n)",
)
RECORD = (
    f"INSERT INTO {CREATED_ROWS} (revision, table_name, row_keys)\n"
    "SELECT :revision, '{table}', array_agg(row_key) FROM created\nHAVING count(*) > 0"
)
WAS_CREATED = (
    f"SELECT count(*) FROM {CREATED_ROWS}\n"
    "WHERE revision = :revision AND table_name = '{table}'\nAND {key} = ANY(row_keys)"
)
CREATED_IDS = (
    f"(SELECT CAST(unnest(row_keys) AS uuid) AS id FROM {CREATED_ROWS}\n"
    "WHERE revision = :revision AND table_name = '{table}') AS created"
)
FORGET = f"DELETE FROM {CREATED_ROWS} WHERE revision = :revision"
WITH_REVISION = '{**entry, "revision": revision}'


@dataclass(frozen=True)
class Kind:
    keys: tuple[str, ...]  # the entry's names for DomainChange.key
    columns: tuple[str, ...]  # the entry's names for DomainChange.columns
    table: str  # the table its rows are in
    add: str  # the CTEs that add it, ending in "created AS (... RETURNING <key as text> AS row_key)"
    key: str  # its row's key as text, looked up by the entry's names (where it is one row)
    remove: str  # the statement that removes it
    users: str | None  # counts what uses it; a removal stops when this is not 0 (None: nothing can use it)
    used_by: str  # "{used} <used_by>" in the message
    set_based: bool = False  # subscription data: many rows per entry, removed by their recorded ids


def _object(insert: str, returning: str) -> str:
    return f"created AS (\n{insert}\nRETURNING {returning} AS row_key\n)"


INSTANCE_LACKS_VALUE = (
    "NOT EXISTS (SELECT 1 FROM subscription_instance_values AS v\n"
    "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
    f"AND v.resource_type_id = {RESOURCE_TYPE_ID})"
)

KINDS: dict[str, Kind] = {
    "resource_type": Kind(
        ("resource_type",),
        ("description",),
        "resource_types",
        _object(
            "INSERT INTO resource_types (resource_type, description)\nVALUES (:resource_type, :description)\n"
            "ON CONFLICT (resource_type) DO NOTHING",
            _text("resource_type_id"),
        ),
        _text(RESOURCE_TYPE_ID),
        "DELETE FROM resource_types WHERE resource_type = :resource_type",
        f"SELECT count(*) FROM subscription_instance_values\nWHERE resource_type_id = {RESOURCE_TYPE_ID}",
        "subscription instance values",
    ),
    "product_block": Kind(
        ("block",),
        ("description", "tag", "status"),
        "product_blocks",
        _object(
            "INSERT INTO product_blocks (name, description, tag, status)\n"
            "VALUES (:block, :description, :tag, :status)\nON CONFLICT (name) DO NOTHING",
            _text("product_block_id"),
        ),
        _text(BLOCK_ID),
        "DELETE FROM product_blocks WHERE name = :block",
        f"SELECT count(*) FROM subscription_instances WHERE product_block_id = {BLOCK_ID}",
        "subscription instances",
    ),
    "block_resource_type": Kind(
        ("block", "resource_type"),
        ("discard",),
        "product_block_resource_types",
        _object(
            "INSERT INTO product_block_resource_types (product_block_id, resource_type_id)\n"
            f"SELECT\n{BLOCK_ID},\n{RESOURCE_TYPE_ID}\nON CONFLICT DO NOTHING",
            _text("product_block_id", "resource_type_id"),
        ),
        _text(BLOCK_ID, RESOURCE_TYPE_ID),
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
        "product_block_relations",
        _object(
            "INSERT INTO product_block_relations (in_use_by_id, depends_on_id)\n"
            f"SELECT\n{BLOCK_ID},\n{DEPENDS_ON_ID}\nON CONFLICT DO NOTHING",
            _text("in_use_by_id", "depends_on_id"),
        ),
        _text(BLOCK_ID, DEPENDS_ON_ID),
        f"DELETE FROM product_block_relations\nWHERE in_use_by_id = {BLOCK_ID}\nAND depends_on_id = {DEPENDS_ON_ID}",
        "SELECT count(*) FROM subscription_instance_relations AS r\n"
        "JOIN subscription_instances AS user_si ON user_si.subscription_instance_id = r.in_use_by_id\n"
        "JOIN subscription_instances AS used_si ON used_si.subscription_instance_id = r.depends_on_id\n"
        f"WHERE user_si.product_block_id = {BLOCK_ID}\nAND used_si.product_block_id = {DEPENDS_ON_ID}",
        "subscription instance relations",
    ),
    "product": Kind(
        ("product",),
        ("product_type", "description", "tag", "status"),
        "products",
        _object(
            "INSERT INTO products (name, product_type, description, tag, status)\n"
            "VALUES (:product, :product_type, :description, :tag, :status)\nON CONFLICT (name) DO NOTHING",
            _text("product_id"),
        ),
        _text(PRODUCT_ID),
        "DELETE FROM products WHERE name = :product",
        f"SELECT count(*) FROM subscriptions WHERE product_id = {PRODUCT_ID}",
        "subscriptions",
    ),
    "product_block_link": Kind(
        ("product", "block"),
        (),
        "product_product_blocks",
        _object(
            "INSERT INTO product_product_blocks (product_id, product_block_id)\n"
            f"SELECT\n{PRODUCT_ID},\n{BLOCK_ID}\nON CONFLICT DO NOTHING",
            _text("product_id", "product_block_id"),
        ),
        _text(PRODUCT_ID, BLOCK_ID),
        f"DELETE FROM product_product_blocks\nWHERE product_id = {PRODUCT_ID}\nAND product_block_id = {BLOCK_ID}",
        "SELECT count(*) FROM subscription_instances AS si JOIN subscriptions AS s USING (subscription_id)\n"
        f"WHERE s.product_id = {PRODUCT_ID}\nAND si.product_block_id = {BLOCK_ID}",
        "subscription instances of the block in the product's subscriptions",
    ),
    "fixed_input": Kind(
        ("product", "name"),
        ("value",),
        "fixed_inputs",
        _object(
            f"INSERT INTO fixed_inputs (name, value, product_id)\nSELECT :name, :value, {PRODUCT_ID}\n"
            "ON CONFLICT (name, product_id) DO NOTHING",
            _text("fixed_input_id"),
        ),
        _text(f"(SELECT fixed_input_id FROM fixed_inputs\nWHERE name = :name AND product_id = {PRODUCT_ID})"),
        f"DELETE FROM fixed_inputs\nWHERE name = :name AND product_id = {PRODUCT_ID}",
        None,  # no subscription stores a fixed input: removing one loses nothing of theirs
        "",
    ),
    # One instance of the block for each subscription of the product that has none (orchestrator-core
    # loads a root block from any instance of that block in the subscription).
    "root_instance": Kind(
        ("product", "attr", "block"),
        (),
        "subscription_instances",
        _object(
            "INSERT INTO subscription_instances (subscription_id, product_block_id)\n"
            f"SELECT s.subscription_id, {BLOCK_ID}\nFROM subscriptions AS s\nWHERE s.product_id = {PRODUCT_ID}\n"
            "AND NOT EXISTS (SELECT 1 FROM subscription_instances AS si\n"
            f"WHERE si.subscription_id = s.subscription_id\nAND si.product_block_id = {BLOCK_ID})",
            _text("subscription_instance_id"),
        ),
        "",
        "DELETE FROM subscription_instances AS si\nUSING {created}\n"
        f"WHERE si.subscription_instance_id = created.id\nAND si.product_block_id = {BLOCK_ID}",
        None,
        "",
        set_based=True,
    ),
    # One instance of the used block for each instance of the using block without one in that field,
    # related as orchestrator-core relates them (domain_model_attr, order_id); a relation without
    # domain_model_attr to an instance of the block counts (orchestrator-core loads it into the field).
    "child_instance": Kind(
        ("block", "attr", "depends_on"),
        (),
        "subscription_instances",
        "lacking AS (\nSELECT si.subscription_instance_id AS in_use_by_id, si.subscription_id,\n"
        "uuid_generate_v4() AS depends_on_id\nFROM subscription_instances AS si\n"
        f"WHERE si.product_block_id = {BLOCK_ID}\n"
        "AND NOT EXISTS (SELECT 1 FROM subscription_instance_relations AS r\n"
        "JOIN subscription_instances AS used ON used.subscription_instance_id = r.depends_on_id\n"
        "WHERE r.in_use_by_id = si.subscription_instance_id\nAND (r.domain_model_attr = :attr\n"
        f"OR r.domain_model_attr IS NULL AND used.product_block_id = {DEPENDS_ON_ID}))\n),\n"
        "related AS (\n"
        "INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, order_id, domain_model_attr)\n"
        "SELECT in_use_by_id, depends_on_id, 0, :attr FROM lacking\n),\n"
        + _object(
            "INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id)\n"
            f"SELECT depends_on_id, subscription_id, {DEPENDS_ON_ID} FROM lacking",
            _text("subscription_instance_id"),
        ),
        "",
        "DELETE FROM subscription_instances AS si\nUSING {created}\n"
        f"WHERE si.subscription_instance_id = created.id\nAND si.product_block_id = {DEPENDS_ON_ID}",
        None,
        "",
        set_based=True,
    ),
    # orchestrator-core's backfill_resource_type_with_default, by name and only where a value lacks; one
    # row per element of "values", as orchestrator-core's save() stores a list (none for an empty list).
    "instance_value": Kind(
        ("block", "resource_type"),
        ("values", "needs_value"),
        "subscription_instance_values",
        _object(
            "INSERT INTO subscription_instance_values (subscription_instance_id, resource_type_id, value)\n"
            f"SELECT si.subscription_instance_id,\n{RESOURCE_TYPE_ID},\nnew_value.value\n"
            "FROM subscription_instances AS si\nCROSS JOIN unnest(CAST(:values AS text[])) AS new_value (value)\n"
            f"WHERE si.product_block_id = {BLOCK_ID}\nAND {INSTANCE_LACKS_VALUE}",
            _text("subscription_instance_value_id"),
        ),
        "",
        "DELETE FROM subscription_instance_values AS v\nUSING {created}\n"
        f"WHERE v.subscription_instance_value_id = created.id\nAND v.resource_type_id = {RESOURCE_TYPE_ID}",
        None,
        "",
        set_based=True,
    ),
}

# Instances of a block that lack a value for a resource type (a required one the revision has no value for).
LACKING_VALUES = (
    f"SELECT count(*) FROM subscription_instances AS si\nWHERE si.product_block_id = {BLOCK_ID}\n"
    f"AND {INSTANCE_LACKS_VALUE}"
)

ADD_HEADERS = {
    "resource_type": "# Resource types (fields of product blocks) the code declares; one that exists is kept as is.",
    "product_block": "# Product blocks the code declares; one that exists is kept as is (description, tag, status).",
    "block_resource_type": "# Resource types of product blocks (product_block_resource_types).",
    "block_relation": "# Product blocks that a product block uses (product_block_relations).",
    "product": "# Products in SUBSCRIPTION_MODEL_REGISTRY; one that exists is kept as is (description, tag, status).",
    "product_block_link": "# The root product blocks of products (product_product_blocks).",
    "fixed_input": "# Fixed inputs of products; one that exists keeps its value.",
    "root_instance": (
        "# Required root blocks: an instance of the block for each subscription of the product that has none."
    ),
    "child_instance": (
        "# Required blocks of blocks: an instance of the used block for each instance of the using block\n"
        "# that has none in that field (related by domain_model_attr, as orchestrator-core relates them)."
    ),
    "instance_value": (
        '# Values of resource types: instances of the block that lack one get "values" (one row per list\n'
        "# element; wfplugin_resource_types, or the field's default). A required field without one stops the\n"
        "# upgrade where an instance lacks it."
    ),
}
UNDO_HEADERS = {
    "root_instance": "# The instances of required root blocks that the upgrade created here (their values with them).",
    "child_instance": "# The instances of required blocks that the upgrade created here (with relations, values).",
    "instance_value": "# The values that the upgrade gave instances here.",
}
REMOVE_UNUSED_HEADER = "# {label}s the code no longer declares."
REMOVE_HEADER = (
    "# {label}s the code no longer declares: each is deleted only if nothing in this database uses it;\n"
    "# otherwise the upgrade stops (and is rolled back whole)."
)
UNDO_HEADER = (
    "# {label}s the upgrade created on this database (recorded in wfplugin.created_rows): each is deleted\n"
    "# if nothing uses it; one that existed before the upgrade is kept."
)
DISCARD_NOTE = (
    '# Where "discard" is set (wfplugin_discard_values), the values go too; a downgrade does not bring them back.'
)
DISCARD_VALUES = (
    "DELETE FROM subscription_instance_values AS v\nUSING subscription_instances AS si\n"
    "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
    f"AND si.product_block_id = {BLOCK_ID}\nAND v.resource_type_id = {RESOURCE_TYPE_ID}"
)
FORGET_HEADER = "# What this revision recorded that its upgrade created here, now undone."


def entry_source(change: DomainChange) -> str:
    kind = KINDS[change.kind]
    params: Params = dict(zip(kind.keys, change.key, strict=True))
    params.update({column: change.columns[column] for column in kind.columns if column in change.columns})
    return dict_literal(params)


# Renames (wfplugin_renames): the row keeps its id, so what refers to it follows. Where the new name exists
# already (renamed by hand, or a revision that ran before), nothing happens.
RENAMES = {
    "product": ("products", "name", ""),
    "product_block": ("product_blocks", "name", ""),
    "resource_type": ("resource_types", "resource_type", ""),
    "fixed_input": ("fixed_inputs", "name", f"product_id = {PRODUCT_ID}"),
}


# A resource type renamed on one block: the block is linked to the new one, its instances' values move to
# it, and the old link goes (other blocks keep the old resource type). Where the block lacks the old one
# (moved already, or never there), nothing happens.
OLD_RESOURCE_TYPE_ID = "(SELECT resource_type_id FROM resource_types WHERE resource_type = :old)"
NEW_RESOURCE_TYPE_ID = "(SELECT resource_type_id FROM resource_types WHERE resource_type = :new)"
MOVE_RESOURCE_TYPE = (
    "INSERT INTO product_block_resource_types (product_block_id, resource_type_id)\n"
    f"SELECT {BLOCK_ID},\n{NEW_RESOURCE_TYPE_ID}\n"
    "WHERE EXISTS (SELECT 1 FROM product_block_resource_types\n"
    f"WHERE product_block_id = {BLOCK_ID}\nAND resource_type_id = {OLD_RESOURCE_TYPE_ID})\n"
    "ON CONFLICT DO NOTHING",
    f"UPDATE subscription_instance_values AS v SET resource_type_id = {NEW_RESOURCE_TYPE_ID}\n"
    "FROM subscription_instances AS si\nWHERE si.subscription_instance_id = v.subscription_instance_id\n"
    f"AND si.product_block_id = {BLOCK_ID}\nAND v.resource_type_id = {OLD_RESOURCE_TYPE_ID}",
    f"DELETE FROM product_block_resource_types\nWHERE product_block_id = {BLOCK_ID}\n"
    f"AND resource_type_id = {OLD_RESOURCE_TYPE_ID}",
)


def render_moves(changes: list[DomainChange]) -> list[str]:
    entries = [
        (change.reason, dict_literal(dict(zip(("block", "old", "new"), change.key, strict=True)))) for change in changes
    ]
    header = ["# Resource types renamed on one product block (wfplugin_renames), by name: the values move along."]
    loop = [execute_source(statement, "entry") for statement in MOVE_RESOURCE_TYPE]
    return block_source("renamed_block_resource_types", header, entries, loop, "entry")


def render_renames(kind_name: str, changes: list[DomainChange]) -> list[str]:
    if kind_name == "block_resource_type":
        return render_moves(changes)
    table, column, scope = RENAMES[kind_name]
    within = f" AND {scope}" if scope else ""
    statement = (
        f"UPDATE {table} SET {column} = :new WHERE {column} = :old{within}\n"
        f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = :new{within})"
    )
    entries = []
    for change in changes:
        names = dict(zip(("product", "old", "new"), change.key, strict=True)) if scope else {}
        names = names or {"old": change.key[0], "new": change.key[1]}
        entries.append((change.reason, dict_literal(dict(names))))
    header = [f"# {kind_name.replace('_', ' ').capitalize()}s renamed (wfplugin_renames), by name."]
    return block_source(f"renamed_{kind_name}s", header, entries, [execute_source(statement, "entry")], "entry")


def render_updates(kind_name: str, changes: list[DomainChange]) -> list[str]:
    """The product type of a product whose registered class was renamed: workflow links keep their row."""
    statement = "UPDATE products SET product_type = :new\nWHERE name = :product AND product_type = :was"
    entries = [
        (
            change.reason,
            dict_literal({"product": change.key[0], "new": change.columns["new"], "was": change.columns["was"]}),
        )
        for change in changes
    ]
    header = ["# Product types of products whose SUBSCRIPTION_MODEL_REGISTRY class was renamed."]
    return block_source(f"changed_{kind_name}s", header, entries, [execute_source(statement, "entry")], "entry")


def _adding(statement: str, record: bool, table: str) -> str:
    """An add; where ``record``, the keys of the rows it created go to wfplugin.created_rows."""
    if record:
        return execute_source(f"WITH {statement}\n{RECORD.format(table=table)}", WITH_REVISION)
    return execute_source(f"WITH {statement}\nSELECT count(*) FROM created", "entry")


def render_changes(action: str, kind_name: str, changes: list[DomainChange], undoes: bool) -> list[str]:
    if action == "rename":
        return render_renames(kind_name, changes)
    if action == "update":
        return render_updates(kind_name, changes)
    kind = KINDS[kind_name]
    label = kind_name.replace("_", " ")
    capitalized = label[0].upper() + label[1:]
    name = f"{'added' if action == 'add' else 'undone' if undoes else 'removed'}_{kind_name}s"
    entries = [(change.reason, entry_source(change)) for change in changes]
    item = "entry"
    if action == "add":
        loop = [_adding(kind.add, not undoes, kind.table)]
        if kind_name == "instance_value":
            loop.insert(0, _stop_if_used(LACKING_VALUES, 'entry["needs_value"]', _lacking_value_message()))
        return block_source(name, [ADD_HEADERS[kind_name]], entries, loop, item)
    if undoes and kind.set_based:
        statement = kind.remove.format(created=CREATED_IDS.format(table=kind.table))
        return block_source(name, [UNDO_HEADERS[kind_name]], entries, [execute_source(statement, WITH_REVISION)], item)
    if kind.users is None and not undoes:
        loop = [execute_source(kind.remove, item)]
        return block_source(name, [REMOVE_UNUSED_HEADER.format(label=capitalized)], entries, loop, item)
    header = [(UNDO_HEADER if undoes else REMOVE_HEADER).format(label=capitalized)]
    loop = [execute_source(kind.remove, item)]
    if kind.users is not None:
        discarding = kind_name == "block_resource_type" and any(c.columns.get("discard") for c in changes)
        condition = 'not entry["discard"]' if discarding else None
        loop.insert(0, _stop_if_used(kind.users, condition, _in_use_message(label, kind, undoes)))
        if discarding:
            header.append(DISCARD_NOTE)
            loop.insert(
                1, f'if entry["discard"]:\n{INDENT}' + execute_source(DISCARD_VALUES, item).replace("\n", "\n" + INDENT)
            )
    if undoes:  # only what its upgrade created here
        created = "created = " + execute_source(WAS_CREATED.format(table=kind.table, key=kind.key), WITH_REVISION)
        loop = [created + ".scalar_one()", "if created:\n" + INDENT + ("\n".join(loop)).replace("\n", "\n" + INDENT)]
    return block_source(name, header, entries, loop, item)


def _stop_if_used(users: str, condition: str | None, message: str) -> str:
    """Count what uses the entry (``users``) and stop the upgrade with ``message`` if anything does."""
    count = "used = " + execute_source(users, "entry") + ".scalar_one()"
    check = stop_if_source("used", message)
    if condition is None:
        return count + "\n" + check
    return f"if {condition}:\n{INDENT}" + (count + "\n" + check).replace("\n", "\n" + INDENT)


def _in_use_message(label: str, kind: Kind, undoes: bool) -> str:
    named = ["{entry[" + repr(key) + "]!r}" for key in kind.keys]
    name = " -> ".join(named) if label == "block relation" else " of ".join(reversed(named))
    if undoes:
        advice = (
            "They were written after the upgrade: move or delete them in a data migration before downgrading "
            "(this whole downgrade is rolled back)."
        )
    else:
        advice = "Keep it in the code until nothing uses it (this whole upgrade is rolled back)."
    return (
        f'f"Cannot remove {label} {name}: {{used}} {kind.used_by} in this database. "\n'
        f"{INDENT * 2}{_py_str_wrapped(advice)}"
    )


def _py_str_wrapped(text: str) -> str:
    """A long message as adjacent string literals, one per line (ruff leaves implicit concatenation)."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) > 70:
            lines.append(line)
            line = ""
        line += word + " "
    lines.append(line.rstrip())
    return f"\n{INDENT * 2}".join(py_str(part) for part in lines)


def _lacking_value_message() -> str:
    return (
        "f\"Product block {entry['block']!r} has {used} instances in this database that need a value for \"\n"
        + INDENT * 2
        + "f\"its resource type {entry['resource_type']!r}; give one as \"\n"
        + INDENT * 2
        + "f\"wfplugin_resource_types={{{entry['resource_type']!r}: {{'value': ...}}}} and autogenerate the \"\n"
        + INDENT * 2
        + '"revision again (this whole upgrade is rolled back)."'
    )


def render_domain_ops(autogen_context: AutogenContext, container: DomainOps) -> list[str]:
    ops: list[DomainOp] = container.domain_ops
    lines = ["conn = op.get_bind()"]
    if any(op.change.action in ("add", "remove") for op in ops):
        lines += [execute_source(statement, "{}") for statement in BOOKKEEPING]
    index = 0
    while index < len(ops):
        first = ops[index].change
        run = []
        while index < len(ops) and (ops[index].change.action, ops[index].change.kind, ops[index].change.undoes) == (
            first.action,
            first.kind,
            first.undoes,
        ):
            run.append(ops[index].change)
            index += 1
        lines += render_changes(first.action, first.kind, run, first.undoes)
    if any(op.change.undoes and op.change.action == "remove" for op in ops):
        lines += [FORGET_HEADER, execute_source(FORGET, '{"revision": revision}')]
    return lines
