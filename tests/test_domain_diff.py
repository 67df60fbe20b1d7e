"""The pure domain-model core, without a database: what is inferred, what must come from the options,
the one error for everything missing, the removal guards, renames; and the code side's field lists."""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from typing import Any

import pydantic
import pytest

from alembic_wfplugin import compat
from alembic_wfplugin.domain.declared import declared_domain, plain_field
from alembic_wfplugin.domain.diff import diff_domain
from alembic_wfplugin.domain.model import (
    BlockField,
    DeclaredBlock,
    DeclaredDomain,
    DeclaredProduct,
    DefinedBlock,
    DefinedDomain,
    DefinedProduct,
    DefinedResourceType,
    Field,
)
from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.options import Options

SPEED = Field("speed", required=True, allowed=("1000", "10000"))
PORT_BLOCK = DeclaredBlock("PortBlock", {"mtu": Field("mtu", required=False)}, ())
CODE = DeclaredDomain(
    products={
        "port 1G": DeclaredProduct("port 1G", "Port", {"speed": SPEED}, ("PortBlock",)),
        "port 10G": DeclaredProduct("port 10G", "Port", {"speed": SPEED}, ("PortBlock",)),
    },
    blocks={"PortBlock": PORT_BLOCK},
)


def defined_port(
    name: str, speed: str, tag: str = "PORT", description: str = "A port", subscriptions: int = 0
) -> DefinedProduct:
    return DefinedProduct(name, "Port", description, tag, "active", {"speed": speed}, ("PortBlock",), subscriptions)


DATABASE = DefinedDomain(
    products={"port 1G": defined_port("port 1G", "1000")},
    blocks={"PortBlock": DefinedBlock("PortBlock", "Port settings", "PB", "active", ("mtu",), (), instances=0)},
    resource_types={"mtu": DefinedResourceType("mtu", "MTU", values=0)},
)


def options(**values: Any) -> Options:
    given = {"domain_models": True, **values}
    return Options.from_context_opts({f"wfplugin_{key}": value for key, value in given.items()})


def test_a_new_product_takes_description_and_tag_its_type_agrees_on() -> None:
    diff = diff_domain(CODE, DATABASE, options(products={"port 10G": {"fixed_inputs": {"speed": "10000"}}}))
    (product,) = [c for c in diff.additions if c.kind == "product"]
    assert dict(product.columns) == {"product_type": "Port", "description": "A port", "tag": "PORT", "status": "active"}
    assert [(c.kind, c.key, dict(c.columns)) for c in diff.additions if c.kind != "product"] == [
        ("product_block_link", ("port 10G", "PortBlock"), {}),
        ("fixed_input", ("port 10G", "speed"), {"value": "10000"}),
    ]
    assert [p.name for p in diff.products] == ["port 10G", "port 1G"]


def test_when_the_type_disagrees_the_error_lists_every_missing_value_as_option_text() -> None:
    database = DefinedDomain(
        {**DATABASE.products, "port 1G b": defined_port("port 1G b", "1000", tag="PORT_B")},
        DATABASE.blocks,
        DATABASE.resource_types,
    )
    code = DeclaredDomain({**CODE.products, "port 1G b": CODE.products["port 1G"]}, CODE.blocks)
    with pytest.raises(WorkflowPluginError) as error:
        diff_domain(code, database, options())
    message = str(error.value)
    # the description all Port products agree on is inferred; the tag is not; speed allows two values
    assert (
        '        "port 10G": {"tag": "...", "fixed_inputs": {"speed": "..."}},  # speed: one of \'1000\', \'10000\''
        in (message.splitlines())
    )
    assert message.count("wfplugin_products={") == 1


def test_a_fixed_input_whose_type_allows_one_value_needs_no_option() -> None:
    single = Field("speed", required=True, allowed=("100000",))
    code = DeclaredDomain(
        {"port 100G": DeclaredProduct("port 100G", "Port", {"speed": single}, ("PortBlock",))}, CODE.blocks
    )
    diff = diff_domain(code, DATABASE, options(allow_removing_all=True))
    (fixed,) = [c for c in diff.additions if c.kind == "fixed_input"]
    assert fixed.columns["value"] == "100000"


def test_a_new_block_and_resource_type_need_their_values() -> None:
    block = DeclaredBlock(
        "LagBlock", {"members": Field("members", required=True), "mtu": Field("mtu", required=False)}, ("PortBlock",)
    )
    code = DeclaredDomain({"lag": DeclaredProduct("lag", "Lag", {}, ("LagBlock",))}, {**CODE.blocks, "LagBlock": block})
    code = DeclaredDomain({**CODE.products, **code.products}, code.blocks)
    with pytest.raises(WorkflowPluginError) as error:
        diff_domain(code, DATABASE, options(products={"port 10G": {"fixed_inputs": {"speed": "10000"}}}))
    message = str(error.value)
    assert '"lag": {"description": "...", "tag": "..."},' in message
    assert '"LagBlock": {"description": "...", "tag": "..."},' in message
    assert '"members": "...",' in message
    assert '"mtu"' not in message  # exists: shared with PortBlock

    given = options(
        products={"port 10G": {"fixed_inputs": {"speed": "10000"}}, "lag": {"description": "A LAG", "tag": "LAG"}},
        product_blocks={"LagBlock": {"description": "LAG settings", "tag": "LB"}},
        resource_types={"members": "Member ports"},
    )
    kinds = [(c.kind, c.key) for c in diff_domain(code, DATABASE, given).additions]
    # the order a revision runs them in: each kind refers only to kinds before it
    assert kinds == [
        ("resource_type", ("members",)),
        ("product_block", ("LagBlock",)),
        ("block_resource_type", ("LagBlock", "members")),
        ("block_resource_type", ("LagBlock", "mtu")),
        ("block_relation", ("LagBlock", "PortBlock")),
        ("product", ("lag",)),
        ("product", ("port 10G",)),
        ("product_block_link", ("lag", "LagBlock")),
        ("product_block_link", ("port 10G", "PortBlock")),
        ("fixed_input", ("port 10G", "speed")),
        # a required field without a value: where LagBlock has instances (another database), the upgrade stops
        ("instance_value", ("LagBlock", "members")),
    ]


def test_a_required_resource_type_new_to_a_block_with_instances_needs_a_value() -> None:
    code = DeclaredDomain(
        {"port 1G": CODE.products["port 1G"]},
        {
            "PortBlock": DeclaredBlock(
                "PortBlock", {**PORT_BLOCK.resource_types, "vlan": Field("vlan", required=True)}, ()
            )
        },
    )
    database = DefinedDomain(
        DATABASE.products,
        {"PortBlock": DefinedBlock("PortBlock", "P", "PB", "active", ("mtu",), (), instances=3)},
        DATABASE.resource_types,
    )
    with pytest.raises(WorkflowPluginError) as error:
        diff_domain(code, database, options())
    option_text = str(error.value).split("again:\n", 1)[1]
    assert '"vlan": {"description": "...", "value": "..."},  # value for 3 existing PortBlock instances' in option_text
    compile(f"dict(\n{option_text}\n)", "env.py", "eval")  # pasted into context.configure(...), it is Python
    diff = diff_domain(code, database, options(resource_types={"vlan": {"description": "VLAN", "value": "1"}}))
    (value,) = [c for c in diff.additions if c.kind == "instance_value"]
    assert dict(value.columns) == {"values": ["1"], "needs_value": False}
    # without instances here, the revision carries the check for databases that have some
    empty = DefinedDomain(
        database.products,
        {"PortBlock": DefinedBlock("PortBlock", "P", "PB", "active", ("mtu",), (), instances=0)},
        DATABASE.resource_types,
    )
    (value,) = [
        c
        for c in diff_domain(code, empty, options(resource_types={"vlan": "VLAN"})).additions
        if c.kind == "instance_value"
    ]
    assert dict(value.columns) == {"values": None, "needs_value": True}


def test_removals_in_use_stop_with_counts_and_unused_ones_carry_their_old_state() -> None:
    database = DefinedDomain(
        {
            **DATABASE.products,
            "port old": defined_port("port old", "100", subscriptions=2),
            "port gone": defined_port("port gone", "10"),
        },
        DATABASE.blocks,
        DATABASE.resource_types,
    )
    code = DeclaredDomain({"port 1G": CODE.products["port 1G"]}, CODE.blocks)
    with pytest.raises(WorkflowPluginError, match=r"product 'port old': 2 subscriptions") as error:
        diff_domain(code, database, options())
    assert "port gone" not in str(error.value)
    unused = DefinedDomain(
        {k: v for k, v in database.products.items() if k != "port old"}, DATABASE.blocks, DATABASE.resource_types
    )
    removals = diff_domain(code, unused, options()).removals
    assert [(c.kind, c.key, dict(c.columns)) for c in removals] == [
        ("fixed_input", ("port gone", "speed"), {"value": "10"}),
        ("product_block_link", ("port gone", "PortBlock"), {}),
        (
            "product",
            ("port gone",),
            {"product_type": "Port", "description": "A port", "tag": "PORT", "status": "active"},
        ),
    ]


@pytest.mark.parametrize(("total", "removed", "refused"), [(1, 1, True), (3, 2, False), (4, 3, True), (4, 2, False)])
def test_mass_removal_guard(total: int, removed: int, refused: bool) -> None:
    products = {f"p{i}": defined_port(f"p{i}", "1000") for i in range(total)}
    code = DeclaredDomain(
        {name: DeclaredProduct(name, "Port", {"speed": SPEED}, ("PortBlock",)) for name in list(products)[removed:]},
        CODE.blocks,
    )
    database = DefinedDomain(products, DATABASE.blocks, DATABASE.resource_types)
    if refused:
        with pytest.raises(WorkflowPluginError, match=f"would remove {removed} of the database's {total} products"):
            diff_domain(code, database, options())
        diff_domain(code, database, options(allow_removing_all=True))
    else:
        diff_domain(code, database, options())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"products": {"port 1G": {"status": "live"}}}, "['status'] is 'live'; one of 'active'"),
        ({"products": {"port 1G": {"tag": "X" * 21}}}, "['tag'] is longer than 20 characters"),
        ({"products": {"port 1G": {"fixed_inputs": {"speed": "25"}}}}, "is '25'; its type allows '1000', '10000'"),
        (
            {"products": {"port 1G": {"fixed_inputs": {"sped": "1000"}}}},
            "Port has no such field (did you mean 'speed'?)",
        ),
        ({"product_blocks": {"PortBlock": {"status": "gone"}}}, "wfplugin_product_blocks['PortBlock']['status']"),
    ],
)
def test_invalid_option_values_are_named(given: dict[str, Any], expected: str) -> None:
    with pytest.raises(WorkflowPluginError, match=None) as error:
        diff_domain(CODE, DATABASE, options(**given))
    assert expected in str(error.value)


def test_option_keys_are_checked_when_read() -> None:
    with pytest.raises(WorkflowPluginError, match="unknown key 'descripton' \\(did you mean 'description'\\?\\)"):
        options(products={"port 1G": {"descripton": "x"}})
    with pytest.raises(WorkflowPluginError, match="unknown key 'product' \\(did you mean 'products'\\?\\)"):
        options(renames={"product": {"a": "b"}})


def test_renames_follow_the_option_only() -> None:
    code = DeclaredDomain({"port 1 Gb/s": CODE.products["port 1G"]}, CODE.blocks)
    given = options(renames={"products": {"port 1G": "port 1 Gb/s"}})
    diff = diff_domain(code, DATABASE, given)
    assert [(c.action, c.key) for c in diff.additions] == [("rename", ("port 1G", "port 1 Gb/s"))]
    assert diff.removals == () and diff.renamed_products == {"port 1G": "port 1 Gb/s"}
    assert diff.additions[0].reversed().key == ("port 1 Gb/s", "port 1G")
    # already renamed where it runs: nothing to do
    renamed = DefinedDomain(
        {"port 1 Gb/s": defined_port("port 1 Gb/s", "1000")}, DATABASE.blocks, DATABASE.resource_types
    )
    assert diff_domain(code, renamed, given).additions == ()


class Colour(enum.Enum):
    red = "red"


def test_fields_are_read_over_every_lifecycle_variant(fixture_registry: Any) -> None:
    """The trap: a lifecycle variant that redeclares one field lists only that one in orchestrator-core's
    own field lists; the others are still the model's."""
    base = compat.domain_base()
    lifecycle = compat._module("types").SubscriptionLifecycle
    namespace: dict[str, Any] = {
        "base": base,
        "lifecycle": lifecycle,
        "Colour": Colour,
        "typing": typing,
        "pydantic": pydantic,
    }
    source = (
        "class TrapBlockInactive(\n"
        "    base.ProductBlockModel, lifecycle=[lifecycle.INITIAL], product_block_name='TrapBlock'\n"
        "):\n"
        "    speed: int | None = pydantic.Field(None, description='Speed in Mbit/s')\n"
        "    colour: typing.Literal['blue'] | None = None\n"
        "class TrapBlock(TrapBlockInactive, lifecycle=[lifecycle.ACTIVE]):\n"
        "    speed: int\n"
        "    mtu: int = 1500\n"
        "    tags: list[str] = ['a', 'b']\n"
        "    ports: list[int] = []\n"
        "class TrapInactive(base.SubscriptionModel, is_base=True):\n"
        "    colour: Colour\n"
        "    block: TrapBlockInactive\n"
        "class Trap(TrapInactive, lifecycle=[lifecycle.ACTIVE]):\n"
        "    block: TrapBlock\n"
    )
    # evaluated annotations, as a module without `from __future__ import annotations` has them
    exec(compile(source, "<trap models>", "exec", dont_inherit=True), namespace)
    # orchestrator-core's own lists: each variant's own annotations only
    assert set(namespace["TrapBlock"]._non_product_block_fields_) == {"speed", "mtu", "tags", "ports"}
    assert set(namespace["TrapBlockInactive"]._non_product_block_fields_) == {"speed", "colour"}
    domain = declared_domain({"trap": namespace["Trap"]})
    block = domain.blocks["TrapBlock"]
    assert set(block.resource_types) == {"speed", "colour", "mtu", "tags", "ports"}
    assert block.resource_types["mtu"].default == ("1500",) and not block.resource_types["mtu"].required
    assert block.resource_types["speed"].required  # the active variant's `speed: int`
    # the description stated on the initial variant only
    assert block.resource_types["speed"].description == "Speed in Mbit/s"
    # lists are stored one row per element, none for an empty list, and are never required (no rows load as [])
    tags, ports = block.resource_types["tags"], block.resource_types["ports"]
    assert (tags.is_list, tags.default, tags.required) == (True, ("a", "b"), False)
    assert (ports.is_list, ports.default, ports.required) == (True, (), False)
    # values are checked as pydantic checks them when orchestrator-core loads the rows
    speed = block.resource_types["speed"]
    assert speed.refusal(("4000",)) is None
    assert "valid integer" in str(speed.refusal(("four thousand",)))
    assert ports.refusal(("1", "2")) is None and ports.refusal(("1", "x")) is not None
    assert block.resource_types["colour"].refusal(("red",)) is not None
    assert block.resource_types["colour"].allowed == ("blue",) and not block.resource_types["colour"].required
    product = domain.products["trap"]
    assert product.product_type == "Trap" and product.blocks == ("TrapBlock",)
    assert product.fixed_inputs["colour"].allowed == ("red",)


def typed(**annotations: Any) -> dict[str, Field]:
    """Fields as the code side reads them from real annotations: ``name=(type, default)``."""
    model = pydantic.create_model("Typed", **annotations)
    return {name: plain_field(name, info) for name, info in model.model_fields.items()}


def with_port_fields(instances: int, **annotations: Any) -> tuple[DeclaredDomain, DefinedDomain]:
    """PortBlock gains ``annotations`` in the code; the database's PortBlock has ``instances``."""
    block = DeclaredBlock("PortBlock", {**PORT_BLOCK.resource_types, **typed(**annotations)}, ())
    code = DeclaredDomain({"port 1G": CODE.products["port 1G"]}, {"PortBlock": block})
    row = DefinedBlock("PortBlock", "P", "PB", "active", ("mtu",), (), instances=instances)
    return code, DefinedDomain(DATABASE.products, {"PortBlock": row}, DATABASE.resource_types)


def backfill(code: DeclaredDomain, database: DefinedDomain, **given: Any) -> dict[str, Any]:
    """resource type -> the rows existing PortBlock instances get."""
    diff = diff_domain(code, database, options(resource_types=given))
    return {c.key[1]: c.columns["values"] for c in diff.additions if c.kind == "instance_value"}


def test_a_backfill_value_the_field_type_refuses_stops_autogenerate() -> None:
    code, database = with_port_fields(3, vlan=(int, ...))
    with pytest.raises(WorkflowPluginError) as error:
        backfill(code, database, vlan={"description": "VLAN", "value": "four thousand"})
    message = str(error.value)
    assert "resource type 'vlan' of block 'PortBlock' (int)" in message
    assert "'four thousand' from wfplugin_resource_types['vlan']['value']" in message and "valid integer" in message
    # a number is written as orchestrator-core's save() writes it: str(value)
    assert backfill(code, database, vlan={"description": "VLAN", "value": 4000}) == {"vlan": ["4000"]}


def test_list_fields_are_backfilled_one_row_per_element() -> None:
    code, database = with_port_fields(3, tags=(list[str], ["a", "b"]), ports=(list[int], []))
    assert backfill(code, database, tags="Tags", ports="Ports") == {"tags": ["a", "b"], "ports": []}
    given = {"tags": {"description": "Tags", "value": ["x", "y"]}, "ports": "Ports"}
    assert backfill(code, database, **given) == {"tags": ["x", "y"], "ports": []}
    # the block's own value wins over the resource type's
    given["PortBlock.ports"] = {"value": [7, 8]}
    assert backfill(code, database, **given) == {"tags": ["x", "y"], "ports": ["7", "8"]}
    with pytest.raises(
        WorkflowPluginError, match=r"wfplugin_resource_types\['ports'\]\['value'\] is 'x'.*holds a list"
    ):
        backfill(code, database, tags="Tags", ports={"value": "x"})
    with pytest.raises(WorkflowPluginError, match=r"\['7', 'x'\] from wfplugin_resource_types\['ports'\]"):
        backfill(code, database, tags="Tags", ports={"value": [7, "x"]})


def test_a_fixed_input_value_the_field_type_refuses_stops_autogenerate() -> None:
    fixed = typed(speed=(int, ...))
    code = DeclaredDomain({"port 10G": DeclaredProduct("port 10G", "Port", fixed, ("PortBlock",))}, CODE.blocks)
    given = {"port 10G": {"fixed_inputs": {"speed": "fast"}}}
    with pytest.raises(WorkflowPluginError, match=r"fixed input 'speed' of product 'port 10G' \(Port.speed: int\)"):
        diff_domain(code, DATABASE, options(products=given, allow_removing_all=True))


def test_a_fixed_input_is_removed_from_a_product_with_subscriptions() -> None:
    database = DefinedDomain(
        {"port 1G": defined_port("port 1G", "1000", subscriptions=2)}, DATABASE.blocks, DATABASE.resource_types
    )
    code = DeclaredDomain({"port 1G": DeclaredProduct("port 1G", "Port", {}, ("PortBlock",))}, CODE.blocks)
    removals = diff_domain(code, database, options()).removals
    assert [(c.kind, c.key) for c in removals] == [("fixed_input", ("port 1G", "speed"))]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"description": "x" * 2001}, "products.description holds at most 2000 characters, this has 2001"),
        ({"description": "a\x00b"}, "products.description holds a NUL character, which PostgreSQL text cannot store"),
        (
            {"description": "a\ud800"},
            "products.description holds a lone surrogate ('\\ud800' at position 1), which is not valid UTF-8",
        ),
    ],
)
def test_strings_a_column_cannot_hold_stop_autogenerate(given: dict[str, str], expected: str) -> None:
    products = {"port 10G": {"tag": "P10", "fixed_inputs": {"speed": "10000"}, **given}}
    with pytest.raises(WorkflowPluginError, match=re.escape(expected)) as error:
        diff_domain(CODE, DATABASE, options(products=products))
    assert "added product 'port 10G' (Port)" in str(error.value)


def test_a_product_class_name_longer_than_its_column_stops_autogenerate() -> None:
    long_type = "P" * 256
    code = DeclaredDomain({"odd": DeclaredProduct("odd", long_type, {}, ())}, {})
    with pytest.raises(WorkflowPluginError, match=r"products\.product_type holds at most 255 characters"):
        diff_domain(
            code, DATABASE, options(products={"odd": {"description": "d", "tag": "T"}}, allow_removing_all=True)
        )


def test_a_product_in_use_is_counted_per_lifecycle_state() -> None:
    used = dataclasses.replace(
        defined_port("port old", "100", subscriptions=3), statuses={"active": 2, "terminated": 1}
    )
    database = DefinedDomain({**DATABASE.products, "port old": used}, DATABASE.blocks, DATABASE.resource_types)
    code = DeclaredDomain({"port 1G": CODE.products["port 1G"]}, CODE.blocks)
    with pytest.raises(WorkflowPluginError) as error:
        diff_domain(code, database, options())
    message = str(error.value)
    assert "product 'port old': 3 subscriptions (2 active, 1 terminated)" in message
    assert "terminated subscriptions count too" in message and "terminate and archive" not in message


def test_a_fixed_input_renamed_through_the_option_keeps_its_value() -> None:
    database = DefinedDomain(
        {"port 1G": defined_port("port 1G", "1000", subscriptions=2)}, DATABASE.blocks, DATABASE.resource_types
    )
    bandwidth = Field("bandwidth", required=True)
    code = DeclaredDomain(
        {"port 1G": DeclaredProduct("port 1G", "Port", {"bandwidth": bandwidth}, ("PortBlock",))}, CODE.blocks
    )
    with pytest.raises(WorkflowPluginError):  # without the option: a new required fixed input without a value
        diff_domain(code, database, options())
    diff = diff_domain(code, database, options(renames={"fixed_inputs": {"speed": "bandwidth"}}))
    assert [(c.action, c.kind, c.key) for c in diff.additions + diff.removals] == [
        ("rename", "fixed_input", ("port 1G", "speed", "bandwidth"))
    ]
    with pytest.raises(WorkflowPluginError, match="no product type in the code has a fixed input 'bandwith'"):
        diff_domain(code, database, options(renames={"fixed_inputs": {"speed": "bandwith"}}))


def two_blocks_sharing_mtu(code_fields: dict[str, set[str]], values: int = 4) -> tuple[DeclaredDomain, DefinedDomain]:
    """PortBlock and LagBlock both have "mtu" here (with values); the code gives each ``code_fields``."""
    blocks = {
        name: DeclaredBlock(name, {f: Field(f, required=False) for f in sorted(fields)}, ())
        for name, fields in code_fields.items()
    }
    products = {
        f"{name} product": DeclaredProduct(f"{name} product", name, {}, (name,)) for name in sorted(code_fields)
    }
    rows = {
        name: DefinedBlock(name, "B", "B", "active", ("mtu",), (), instances=2, values={"mtu": values})
        for name in code_fields
    }
    defined_products = {
        name: DefinedProduct(name, product.product_type, "P", "P", "active", {}, product.blocks, 1)
        for name, product in products.items()
    }
    resource_types = {"mtu": DefinedResourceType("mtu", "MTU", values=2 * values)}
    return DeclaredDomain(products, blocks), DefinedDomain(defined_products, rows, resource_types)


def applied(database: DefinedDomain, changes: tuple[Any, ...]) -> DefinedDomain:
    """The snapshot after resource type renames and additions (what the next autogenerate reads)."""
    blocks = dict(database.blocks)
    resource_types = dict(database.resource_types)
    for change in changes:
        if change.kind == "resource_type" and change.action == "add":
            resource_types[change.key[0]] = DefinedResourceType(change.key[0], "d", 0)
        if change.kind == "resource_type" and change.action == "rename":
            resource_types[change.key[1]] = dataclasses.replace(resource_types.pop(change.key[0]), name=change.key[1])
            for name, row in blocks.items():
                moved = tuple(sorted(change.key[1] if rt == change.key[0] else rt for rt in row.resource_types))
                blocks[name] = dataclasses.replace(row, resource_types=moved, values={rt: 4 for rt in moved})
        if change.kind == "block_resource_type" and change.action == "rename":
            row = blocks[change.key[0]]
            moved = tuple(sorted(change.key[2] if rt == change.key[1] else rt for rt in row.resource_types))
            blocks[change.key[0]] = dataclasses.replace(row, resource_types=moved, values={rt: 4 for rt in moved})
    return DefinedDomain(database.products, blocks, resource_types)


@pytest.mark.parametrize(
    ("code_fields", "renames", "expected"),
    [
        # every block that has it moves: renamed in place (the row keeps its id), and on each block
        (
            {"PortBlock": {"mtu_size"}, "LagBlock": {"mtu_size"}},
            {"mtu": "mtu_size"},
            [
                ("resource_type", ("mtu", "mtu_size")),
                ("block_resource_type", ("LagBlock", "mtu", "mtu_size")),
                ("block_resource_type", ("PortBlock", "mtu", "mtu_size")),
            ],
        ),
        # a block keeps it: the other block's values move to a new resource type
        (
            {"PortBlock": {"mtu_size"}, "LagBlock": {"mtu"}},
            {"mtu": "mtu_size"},
            [("resource_type", ("mtu_size",)), ("block_resource_type", ("PortBlock", "mtu", "mtu_size"))],
        ),
        # one block only, by name
        (
            {"PortBlock": {"mtu_size"}, "LagBlock": {"mtu_size"}},
            {"PortBlock.mtu": "mtu_size"},
            None,  # LagBlock's mtu is a removal with values: stops
        ),
    ],
)
def test_resource_type_renames_in_place_or_per_block_and_a_rerun_finds_nothing(
    code_fields: dict[str, set[str]], renames: dict[str, str], expected: list[tuple[str, tuple[str, ...]]] | None
) -> None:
    code, database = two_blocks_sharing_mtu(code_fields)
    given = options(renames={"resource_types": renames}, resource_types={"mtu_size": "MTU"})
    if expected is None:
        with pytest.raises(WorkflowPluginError, match=r"resource type 'mtu' of product block 'LagBlock': 4 values"):
            diff_domain(code, database, given)
        return
    diff = diff_domain(code, database, given)
    assert sorted((c.kind, c.key) for c in diff.additions + diff.removals) == sorted(expected)
    assert diff_domain(code, applied(database, diff.additions), given).additions == ()


def test_a_field_whose_values_exist_is_dropped_only_when_discarded_by_name() -> None:
    code, database = two_blocks_sharing_mtu({"PortBlock": set(), "LagBlock": {"mtu"}})
    with pytest.raises(WorkflowPluginError, match=re.escape('wfplugin_discard_values=["PortBlock.mtu"]')):
        diff_domain(code, database, options())
    diff = diff_domain(code, database, options(discard_values=["PortBlock.mtu"]))
    (removal,) = diff.removals
    assert (removal.kind, removal.key, dict(removal.columns)) == (
        "block_resource_type",
        ("PortBlock", "mtu"),
        {"discard": True},
    )
    assert "a downgrade does not bring them back" in removal.reason
    assert diff_domain(code, database, options(discard_values=["PortBlock.mtu", "PortBlok.mtu"])).unknown == (
        "wfplugin_discard_values['PortBlok.mtu'] (did you mean 'PortBlock.mtu'?)",
    )


def test_a_renamed_product_class_updates_the_product_type() -> None:
    code = DeclaredDomain(
        {"port 1G": DeclaredProduct("port 1G", "Interface", {"speed": SPEED}, ("PortBlock",))}, CODE.blocks
    )
    diff = diff_domain(code, DATABASE, options())
    assert [(c.action, c.kind, c.key, dict(c.columns)) for c in diff.additions] == [
        ("update", "product_type", ("port 1G",), {"new": "Interface", "was": "Port"})
    ]
    assert [(p.name, p.product_type) for p in diff.products] == [("port 1G", "Interface")]
    (undo,) = [c.reversed() for c in diff.additions]
    assert dict(undo.columns) == {"new": "Port", "was": "Interface"}


def test_skipped_products_are_left_alone_and_stay_products() -> None:
    database = DefinedDomain(
        {**DATABASE.products, "legacy": defined_port("legacy", "10", subscriptions=5)},
        DATABASE.blocks,
        DATABASE.resource_types,
    )
    code = DeclaredDomain({"port 1G": CODE.products["port 1G"]}, CODE.blocks)
    with pytest.raises(WorkflowPluginError, match="product 'legacy': 5 subscriptions"):
        diff_domain(code, database, options())
    diff = diff_domain(code, database, options(), skipped=["legacy"])
    assert diff.additions == diff.removals == ()
    assert [p.name for p in diff.products] == ["legacy", "port 1G"]


def test_instances_of_a_block_are_made_before_the_instances_its_required_fields_need() -> None:
    """Zone's new instances (a new root block) need a Bridge each, and each Bridge a Cable: the Bridges
    of Zone and of Arm (whose relation to Bridge is new) come before the Cables, whatever the names."""

    def block(name: str, *fields: tuple[str, str]) -> DeclaredBlock:
        return DeclaredBlock(
            name, {}, tuple(sorted(b for _, b in fields)), tuple(BlockField(a, (b,), True) for a, b in fields)
        )

    blocks = {
        "Arm": block("Arm", ("bridge", "Bridge")),
        "Bridge": block("Bridge", ("cable", "Cable")),
        "Cable": block("Cable"),
        "Zone": block("Zone", ("bridge", "Bridge")),
    }
    code = DeclaredDomain(
        {
            "p": DeclaredProduct(
                "p", "P", {}, ("Arm", "Zone"), (BlockField("arm", ("Arm",), True), BlockField("zone", ("Zone",), True))
            )
        },
        blocks,
    )
    rows = {
        "Arm": DefinedBlock("Arm", "d", "A", "active", (), (), instances=2),
        "Bridge": DefinedBlock("Bridge", "d", "B", "active", (), ("Cable",), instances=2),
        "Cable": DefinedBlock("Cable", "d", "C", "active", (), (), instances=2),
        "Zone": DefinedBlock("Zone", "d", "Z", "active", (), ("Bridge",), instances=0),
    }
    product = DefinedProduct("p", "P", "d", "P", "active", {}, ("Arm",), 2)
    diff = diff_domain(code, DefinedDomain({"p": product}, rows, {}), options())
    created = [(c.kind, c.key) for c in diff.additions if c.kind in ("root_instance", "child_instance")]
    assert created == [
        ("root_instance", ("p", "zone", "Zone")),
        ("child_instance", ("Arm", "bridge", "Bridge")),
        ("child_instance", ("Zone", "bridge", "Bridge")),
        ("child_instance", ("Bridge", "cable", "Cable")),
    ]
