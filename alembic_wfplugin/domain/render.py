"""Domain operations -> Python source for the revision file, in the style of the workflows': per kind of
change a list of entries (by name, never an id from the generating database) and one call; the kind's
plain SQL (bound parameters) once per file, in a module-level dict that the same few functions run.

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
from itertools import groupby
from typing import TYPE_CHECKING

from alembic_wfplugin.domain.model import KINDS, DomainChange
from alembic_wfplugin.domain.ops import DomainOps
from alembic_wfplugin.pysource import (
    CONSTANTS,
    INDENT,
    Function,
    ModuleCode,
    Params,
    Sql,
    block_source,
    call_line,
    define,
    entries_source,
    entry_literal,
    py_str,
    sql_literal,
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
    "SELECT :revision, '{table}', array_agg(row_key) FROM created\nHAVING count(*) > 0 AND :record"
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


@dataclass(frozen=True)
class KindSql:
    """One kind's SQL (its words are ``model.KINDS[kind]``)."""

    keys: tuple[str, ...]  # the entry's names for DomainChange.key
    columns: tuple[str, ...]  # the entry's names for DomainChange.columns
    table: str  # the table its rows are in
    add: str  # the CTEs that add it, ending in "created AS (... RETURNING <key as text> AS row_key)"
    key: str  # its row's key as text, looked up by the entry's names (where it is one row)
    remove: str  # the statement that removes it
    users: str | None  # counts what uses it; a removal stops when this is not 0 (None: nothing can use it)
    in_use: str  # what remove_rows() says is in use: a format string over the entry's names and "used"
    set_based: bool = False  # subscription data: many rows per entry, removed by their recorded ids


def _object(insert: str, returning: str) -> str:
    return f"created AS (\n{insert}\nRETURNING {returning} AS row_key\n)"


INSTANCE_LACKS_VALUE = (
    "NOT EXISTS (SELECT 1 FROM subscription_instance_values AS v\n"
    "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
    f"AND v.resource_type_id = {RESOURCE_TYPE_ID})"
)

SQL_OF: dict[str, KindSql] = {
    "resource_type": KindSql(
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
        "resource type {resource_type!r}: {used} subscription instance values",
    ),
    "product_block": KindSql(
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
        "product block {block!r}: {used} subscription instances",
    ),
    "block_resource_type": KindSql(
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
        "resource type {resource_type!r} of block {block!r}: {used} values",
    ),
    "block_relation": KindSql(
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
        "block relation {block!r} -> {depends_on!r}: {used} instance relations",
    ),
    "product": KindSql(
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
        "product {product!r}: {used} subscriptions",
    ),
    "product_block_link": KindSql(
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
        "product block {block!r} of product {product!r}: {used} subscription instances",
    ),
    "fixed_input": KindSql(
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
    "root_instance": KindSql(
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
    "child_instance": KindSql(
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
    "instance_value": KindSql(
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

DISCARD_VALUES = (
    "DELETE FROM subscription_instance_values AS v\nUSING subscription_instances AS si\n"
    "WHERE v.subscription_instance_id = si.subscription_instance_id\n"
    f"AND si.product_block_id = {BLOCK_ID}\nAND v.resource_type_id = {RESOURCE_TYPE_ID}"
)
# The bookkeeping of what an upgrade created, and the functions that run every kind's SQL: the same text in
# every revision, so a reviewer reads it once.
CREATED_ROWS_SQL = "CREATED_ROWS"
FUNCTIONS = {
    "prepare_created_rows": '''


def prepare_created_rows() -> None:
    """wfplugin.created_rows: where this revision records the rows its upgrade
    creates, so that its downgrade removes those alone."""
    conn = op.get_bind()
    conn.execute(CREATED_ROWS["schema"])
    conn.execute(CREATED_ROWS["table"])''',
    "forget_created_rows": '''


def forget_created_rows() -> None:
    """What this revision recorded that its upgrade created here: the downgrade
    is done with it."""
    conn = op.get_bind()
    conn.execute(CREATED_ROWS["forget"], {"revision": revision})''',
    "add_rows": '''


def add_rows(kind: dict, entries: list, restoring=False) -> None:
    """Each entry added where this database lacks it (one that exists is kept as
    it is). The keys of the rows it created go to wfplugin.created_rows, for the
    downgrade; not when a downgrade restores what its upgrade removed."""
    conn = op.get_bind()
    for entry in entries:
        params = {**entry, "revision": revision, "record": not restoring}
        conn.execute(kind["add"], params)''',
    "add_instance_values": '''


def add_instance_values(entries: list) -> None:
    """The instances of the block that lack a value for the resource type get
    "values" (one row per list element; wfplugin_resource_types, or the field's
    default). Without "values" (a required field, no value known), an instance
    that lacks one stops the upgrade (rolled back whole)."""
    conn = op.get_bind()
    for entry in entries:
        if entry.get("values") is None:
            lacking = conn.execute(INSTANCE_VALUE["lacking"], entry).scalar()
            if lacking:
                field = entry["resource_type"]
                raise RuntimeError(
                    f"Product block {entry['block']!r} has {lacking} instances "
                    f"in this database that need a value for {field!r}; give "
                    f"one as wfplugin_resource_types={{{field!r}: {{'value': "
                    "...}} and autogenerate the revision again (this whole "
                    "upgrade is rolled back).",
                )
    add_rows(INSTANCE_VALUE, [{"values": None, **entry} for entry in entries])''',
    "remove_rows": '''


def remove_rows(kind: dict, entries: list, only_created=False) -> None:
    """Each entry deleted, unless something in this database uses it: then the
    upgrade stops (rolled back whole). With only_created (a downgrade), only one
    that its upgrade created here: one that existed before is kept. "discard"
    (wfplugin_discard_values): its values go too, and do not come back."""
    conn = op.get_bind()
    for entry in entries:
        params = {**entry, "revision": revision}
        if only_created and not conn.execute(kind["created"], params).scalar():
            continue  # it existed before the upgrade
        if entry.get("discard"):
            conn.execute(kind["discard"], params)
        elif "users" in kind:
            used = conn.execute(kind["users"], params).scalar()
            if used:
                what = kind["in_use"].format(**entry, used=used)
                advice = IN_USE_ADVICE[only_created]
                raise RuntimeError(
                    f"Cannot remove {what} in this database. {advice}",
                )
        conn.execute(kind["remove"], params)''',
    "undo_rows": '''


def undo_rows(kind: dict, entries: list) -> None:
    """The subscription data that the upgrade created here (recorded in
    wfplugin.created_rows), deleted: what existed before the upgrade stays."""
    conn = op.get_bind()
    for entry in entries:
        conn.execute(kind["undo"], {**entry, "revision": revision})''',
}
# What remove_rows() says to do when something uses what it would remove: in an upgrade, in a downgrade.
ADVICE = """
IN_USE_ADVICE = {
    False: "Keep it in the code until nothing uses it (this whole upgrade is rolled back).",
    True: "Written after the upgrade: move or delete them first (this downgrade is rolled back).",
}"""


def _function(imports: set[str], name: str) -> str:
    """Define the library function ``name`` (and what it reads) at module level; returns its name."""
    if name in ("prepare_created_rows", "forget_created_rows"):
        statements = {"schema": BOOKKEEPING[0], "table": BOOKKEEPING[1], "forget": FORGET}
        comment = "# Where a revision records the rows its upgrade created, for its downgrade."
        define(imports, CREATED_ROWS_SQL, _dict_constant(comment, CREATED_ROWS_SQL, statements), CONSTANTS)
    if name == "remove_rows":
        define(imports, "IN_USE_ADVICE", ADVICE, CONSTANTS)
    if name == "add_instance_values":
        _function(imports, "add_rows")
    define(imports, name, "\n\n" + FUNCTIONS[name].lstrip("\n"))
    return name


def _dict_constant(comment: str, name: str, statements: dict[str, str], texts: dict[str, str] | None = None) -> str:
    items = "".join(
        f"{INDENT}{py_str(key)}: {sql_literal(sql, 79 - len(INDENT + py_str(key) + ': ,'))},\n"
        for key, sql in statements.items()
    )
    items += "".join(f"{INDENT}{py_str(key)}: {py_str(text)},\n" for key, text in (texts or {}).items())
    return f"\n{comment}\n{name} = {{\n{items}}}"


def _kind_constant(imports: set[str], kind_name: str) -> str:
    """Define the dict of ``kind_name``'s fixed SQL at module level (all of it, whichever direction uses
    it, so that its text is the same in upgrade() and downgrade()); returns its name."""
    kind = SQL_OF[kind_name]
    name = kind_name.upper()
    add = f"WITH {kind.add}\n{RECORD.format(table=kind.table)}"
    if kind.set_based:
        statements = {"add": add, "undo": kind.remove.format(created=CREATED_IDS.format(table=kind.table))}
        if kind_name == "instance_value":
            statements["lacking"] = LACKING_VALUES
        define(imports, name, _dict_constant(KINDS[kind_name].comment, name, statements), CONSTANTS)
        return name
    statements = {"add": add, "created": WAS_CREATED.format(table=kind.table, key=kind.key)}
    if kind.users is not None:
        statements["users"] = kind.users
    if kind_name == "block_resource_type":
        statements["discard"] = DISCARD_VALUES
    statements["remove"] = kind.remove
    texts = {"in_use": kind.in_use} if kind.users is not None else {}
    define(imports, name, _dict_constant(KINDS[kind_name].comment, name, statements, texts), CONSTANTS)
    return name


def entry_source(change: DomainChange, keys_only: bool = False) -> str:
    kind = SQL_OF[change.kind]
    params: Params = dict(zip(kind.keys, change.key, strict=True))
    if not keys_only:
        params.update({column: change.columns[column] for column in kind.columns if column in change.columns})
        # an instance value's "needs_value" is "values" being None, which add_instance_values() fills in
        params.pop("needs_value", None)
        if change.kind == "instance_value" and params.get("values") is None:
            params.pop("values")
    elif "discard" in change.columns:
        params["discard"] = change.columns["discard"]
    return entry_literal(params)


def _label(kind_name: str) -> str:
    return KINDS[kind_name].label


def _reason(change: DomainChange) -> str:
    """An upgrade's entry shows its reason; a downgrade's list says once what it does instead."""
    return "" if change.undoes else change.reason


def _entries(changes: list[DomainChange]) -> list[tuple[str, str]]:
    """Each entry with its reason; a downgrade's removals name their rows by key alone."""
    keys_only = changes[0].undoes and changes[0].action == "remove"
    return [(_reason(change), entry_source(change, keys_only=keys_only)) for change in changes]


def _header(changes: list[DomainChange], text: str) -> list[str]:
    """A line above a downgrade's entries saying what it does (an upgrade's entries each give a reason)."""
    return [text] if changes[0].undoes else []


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
BACK = "# {what} the upgrade renamed, back to their old names."


def render_moves(changes: list[DomainChange], imports: set[str]) -> list[str]:
    entries = [
        (
            _reason(change),
            entry_literal(dict(zip(("block", "old", "new"), change.key, strict=True))),
        )
        for change in changes
    ]
    comment = ["# Each resource type renamed on one product block (wfplugin_renames), by name: its values move."]
    sql = Sql()
    names = ("LINK_NEW_RESOURCE_TYPE", "MOVE_VALUES", "UNLINK_OLD_RESOURCE_TYPE")
    loop = [sql.run(name, statement, "entry") for name, statement in zip(names, MOVE_RESOURCE_TYPE, strict=True)]
    function = Function("move_block_resource_types", comment, "entry", loop, sql)
    header = _header(changes, BACK.format(what="Resource types of blocks"))
    return block_source(imports, function, "moved_block_resource_types", header, entries)


def render_renames(kind_name: str, changes: list[DomainChange], imports: set[str]) -> list[str]:
    if kind_name == "block_resource_type":
        return render_moves(changes, imports)
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
        entries.append((_reason(change), entry_literal(dict(names))))
    comment = [f"# Each {_label(kind_name)} renamed (wfplugin_renames), by name."]
    sql = Sql()
    loop = [sql.run(f"RENAME_{kind_name.upper()}", statement, "entry")]
    function = Function(f"rename_{kind_name}s", comment, "entry", loop, sql)
    header = _header(changes, BACK.format(what=_label(kind_name).capitalize() + "s"))
    return block_source(imports, function, f"renamed_{kind_name}s", header, entries)


def render_updates(kind_name: str, changes: list[DomainChange], imports: set[str]) -> list[str]:
    """The product type of a product whose registered class was renamed: workflow links keep their row."""
    statement = "UPDATE products SET product_type = :new\nWHERE name = :product AND product_type = :was"
    entries = [
        (
            _reason(change),
            entry_literal({"product": change.key[0], "new": change.columns["new"], "was": change.columns["was"]}),
        )
        for change in changes
    ]
    comment = [KINDS[kind_name].comment]
    sql = Sql()
    loop = [sql.run("CHANGE_PRODUCT_TYPE", statement, "entry")]
    function = Function(f"change_{kind_name}s", comment, "entry", loop, sql)
    header = _header(changes, "# Product types the upgrade changed, set back.")
    return block_source(imports, function, f"changed_{kind_name}s", header, entries)


def render_changes(action: str, kind_name: str, changes: list[DomainChange], imports: set[str]) -> list[str]:
    if action == "rename":
        return render_renames(kind_name, changes, imports)
    if action == "update":
        return render_updates(kind_name, changes, imports)
    label = _label(kind_name)
    plural = label[0].upper() + label[1:] + "s"
    undoes = changes[0].undoes
    kind = _kind_constant(imports, kind_name)
    if action == "add":
        name = f"{'restored' if undoes else 'added'}_{kind_name}s"
        header = _header(changes, f"# {plural} the upgrade removed, added back.")
        if kind_name == "instance_value":
            call = call_line(_function(imports, "add_instance_values"), name)
        elif undoes:
            call = call_line(_function(imports, "add_rows"), kind, name, "restoring=True")
        else:
            call = call_line(_function(imports, "add_rows"), kind, name)
        return entries_source(name, header, _entries(changes), call)
    name = f"{'undone' if undoes else 'removed'}_{kind_name}s"
    entries = _entries(changes)
    if undoes and SQL_OF[kind_name].set_based:
        header = [f"# {plural} the upgrade created here, removed."]
        return entries_source(name, header, entries, call_line(_function(imports, "undo_rows"), kind, name))
    if undoes:
        header = [f"# {plural} the upgrade added: removed where it created them here."]
        call = call_line(_function(imports, "remove_rows"), kind, name, "only_created=True")
    else:
        header, call = [], call_line(_function(imports, "remove_rows"), kind, name)
    return entries_source(name, header, entries, call)


def render_domain_ops(autogen_context: AutogenContext, container: DomainOps) -> list[str]:
    imports: set[str] = autogen_context.imports
    changes = container.changes
    lines = []
    defined = {code.name for code in imports if isinstance(code, ModuleCode)}
    records = any(change.action in ("add", "remove") for change in changes)
    undoes = any(change.undoes and change.action == "remove" for change in changes)
    downgrade = any(change.undoes for change in changes)
    # once, at the start of the upgrade (its first container that adds or removes)
    if records and not downgrade and "prepare_created_rows" not in defined:
        lines.append(_function(imports, "prepare_created_rows") + "()")
    # each run of consecutive changes of one action and kind: one list of entries and one call
    for (action, kind, _), run in groupby(changes, key=lambda change: (change.action, change.kind, change.undoes)):
        lines += render_changes(action, kind, list(run), imports)
    # after the undoing of its additions (the downgrade's last container: additions ran first), which read
    # the records; the restorations of its removals, which ran before, record nothing
    if undoes:
        lines.append(_function(imports, "forget_created_rows") + "()")
    return lines
