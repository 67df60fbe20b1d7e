"""The subscription examples the subscription tests, the subscription property and the upgrade
benchmark share: the tutorial's subscriptions, changed versions of its models (new fields, new
required blocks, renames) with the options they need, and what the database holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from alembic_wfplugin import compat
from tests import oracle
from tests.domain_harness import TUTORIAL_OPTIONS
from tests.fixture_app import TUTORIAL, domain_state

SUBSCRIPTION_STATE = {
    "instances": """
        SELECT si.subscription_instance_id, si.subscription_id, b.name FROM subscription_instances si
        JOIN product_blocks b USING (product_block_id) ORDER BY 1""",
    "relations": """
        SELECT in_use_by_id, depends_on_id, order_id, domain_model_attr FROM subscription_instance_relations
        ORDER BY 1, 2, 3""",
    "values": """
        SELECT v.subscription_instance_value_id, v.subscription_instance_id, rt.resource_type, v.value
        FROM subscription_instance_values v JOIN resource_types rt USING (resource_type_id) ORDER BY 1""",
}


def everything(connection: sa.Connection) -> dict[str, list[tuple[object, ...]]]:
    """The domain rows by name and the subscription rows by id: what a downgrade must give back."""
    state = domain_state(connection)
    state.update(
        {name: [tuple(row) for row in connection.execute(sa.text(q))] for name, q in SUBSCRIPTION_STATE.items()}
    )
    return state


def create_tutorial_subscriptions(registry: MutableMapping[str, Any]) -> dict[str, UUID]:
    """Two groups, an active and a provisioning user in the first, a terminated user in the second."""

    def group(name: str, group_id: int) -> Callable[[Any], None]:
        def fill(model: Any) -> None:
            model.user_group.group_name, model.user_group.group_id = name, group_id

        return fill

    def user(group: UUID, username: str, user_id: int) -> Callable[[Any], None]:
        def fill(model: Any) -> None:
            model.user.group = registry["User Group"].from_subscription(group).user_group
            model.user.username, model.user.user_id = username, user_id

        return fill

    staff = oracle.create_subscription("User Group", group("staff", 7))
    guests = oracle.create_subscription("User Group", group("guests", 8))
    return {
        "staff": staff,
        "guests": guests,
        "ada": oracle.create_subscription("User internal", user(staff, "ada", 1)),
        "eve": oracle.create_subscription("User internal", user(staff, "eve", 2), "provisioning"),
        "bob": oracle.create_subscription("User external", user(guests, "bob", 3), "terminated"),
    }


@contextmanager
def changed_models(source: str, registry: MutableMapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The code after a change: ``source`` defines model classes (with orchestrator-core's ``base``,
    ``lifecycle`` and the tutorial's ``products`` in scope) and ``REGISTRY`` (product name -> class),
    put into SUBSCRIPTION_MODEL_REGISTRY; every registry it touches comes back afterwards."""
    import importlib

    base = compat.domain_base()
    lifecycle_registry = compat.lifecycle_variants()
    saved = (dict(registry), dict(base.ProductBlockModel.registry), dict(lifecycle_registry))
    namespace: dict[str, Any] = {
        "base": base,
        "lifecycle": compat._module("types").SubscriptionLifecycle,
        "products": importlib.import_module("products"),
        "blocks": importlib.import_module("products.product_blocks.user_group"),
    }
    try:
        exec(compile(source, "<changed models>", "exec", dont_inherit=True), namespace)
        registry.update(namespace["REGISTRY"])
        yield namespace
    finally:
        registry.clear()
        registry.update(saved[0])
        base.ProductBlockModel.registry.clear()
        base.ProductBlockModel.registry.update(saved[1])
        lifecycle_registry.clear()  # type: ignore[attr-defined]
        lifecycle_registry.update(saved[2])  # type: ignore[attr-defined]


VARIANTS = (  # (class suffix, lifecycle, what the fields are in that variant), as the tutorial writes them
    ("Inactive", "INITIAL", {"required_from_provisioning": "None | ", "required_when_active": "None | "}),
    ("Provisioning", "PROVISIONING", {"required_from_provisioning": "", "required_when_active": "None | "}),
    ("", "ACTIVE", {"required_from_provisioning": "", "required_when_active": ""}),
)


def model_source(template: str, registry: str) -> str:
    """Models in the tutorial's style: each class in three lifecycle variants that all declare every field
    (a field optional before it is required is ``None | X = None`` there)."""
    parts = []
    for index, (variant, lifecycle, required) in enumerate(VARIANTS):
        if index == 0:
            parent, product_parent = (
                f"base.ProductBlockModel, lifecycle=[lifecycle.{lifecycle}], ",
                "base.SubscriptionModel, is_base=True",
            )
        else:
            previous = VARIANTS[index - 1][0]
            parent = f"{{name}}{previous}, lifecycle=[lifecycle.{lifecycle}], "
            product_parent = f"{{name}}{previous}, lifecycle=[lifecycle.{lifecycle}]"
        code = template.replace("{variant}", variant).format(parent=parent, product_parent=product_parent, **required)
        lines = []
        for line in code.splitlines():
            if line.startswith("class "):
                name = line.split()[1].split("(")[0]
                line = line.replace("{name}", name.removesuffix(variant) if variant else name)
            elif "None | " in line and "=" not in line:
                line += " = None"
            lines.append(line)
        parts.append("\n".join(lines))
    return "\n".join(parts) + "\n" + registry + "\n"


def judged(database_url: str) -> dict[UUID, Any]:
    """Every subscription as orchestrator-core loads it; its own model-versus-database check is empty, and
    its task_validate_products passes (but for the tutorial's workflows, which have no translations)."""
    with oracle.orchestrator_database(database_url):
        loaded = oracle.load_all()
        assert oracle.product_diffs() == {}
        oracle.assert_validate_products_passes(set(TUTORIAL), oracle.validate_products_steps())
    return loaded


# The tutorial's User with new fields on UserBlock: a required int (no default: its value comes from the
# option), lists with and without a default, an int with a default, an optional field.
NEW_FIELDS = model_source(
    """
class UserBlock{variant}({parent}product_block_name="UserBlock"):
    group: blocks.UserGroupBlock{variant}
    username: {required_from_provisioning}str
    age: int | None = None
    user_id: {required_when_active}int
    vlan: {required_from_provisioning}int
    tags: list[str] = ["a", "b"]
    ports: list[int] = []
    mtu: int = 1500
    note: str | None = None

class User{variant}({product_parent}):
    affiliation: products.product_types.user.Affiliation
    user: UserBlock{variant}
""",
    'REGISTRY = {"User internal": User, "User external": User}',
)


NEW_FIELD_OPTIONS = {
    **TUTORIAL_OPTIONS["wfplugin_resource_types"],
    "vlan": {"description": "VLAN", "value": 4000},
    "tags": "Tags",
    "ports": "Ports",
    "mtu": "MTU",
    "note": "Note",
}


# "User internal" and "User external" gain a required root block Profile (a new block with a required
# field, a field with a default, and a required block Settings of its own); UserGroupBlock gains a
# required block Owner. Instances exist of neither.
NEW_BLOCKS = model_source(
    """
class SettingsBlock{variant}({parent}product_block_name="SettingsBlock"):
    level: {required_when_active}int

class ProfileBlock{variant}({parent}product_block_name="ProfileBlock"):
    theme: {required_when_active}str
    size: int = 3
    settings: SettingsBlock{variant}

class OwnerBlock{variant}({parent}product_block_name="OwnerBlock"):
    owner_name: {required_when_active}str

class UserGroupBlock{variant}({parent}product_block_name="UserGroupBlock"):
    group_name: {required_from_provisioning}str
    group_id: {required_when_active}int
    owner: OwnerBlock{variant}

class UserBlock{variant}({parent}product_block_name="UserBlock"):
    group: UserGroupBlock{variant}
    username: {required_from_provisioning}str
    age: int | None = None
    user_id: {required_when_active}int

class User{variant}({product_parent}):
    affiliation: products.product_types.user.Affiliation
    user: UserBlock{variant}
    profile: ProfileBlock{variant}

class UserGroup{variant}({product_parent}):
    user_group: UserGroupBlock{variant}
""",
    'REGISTRY = {"User internal": User, "User external": User, "User Group": UserGroup}',
)


NEW_BLOCK_OPTIONS = {
    "wfplugin_product_blocks": {
        **TUTORIAL_OPTIONS["wfplugin_product_blocks"],
        "ProfileBlock": {"description": "Profile", "tag": "PROFILE"},
        "SettingsBlock": {"description": "Settings", "tag": "SETTINGS"},
        "OwnerBlock": {"description": "Owner", "tag": "OWNER"},
    },
    "wfplugin_resource_types": {
        **TUTORIAL_OPTIONS["wfplugin_resource_types"],
        "theme": {"description": "Theme", "value": "dark"},
        "size": "Size",
        "level": {"description": "Level", "value": 1},
        "owner_name": {"description": "Owner", "value": "root"},
    },
}


# The tutorial's User with its fixed input affiliation renamed to kind and UserBlock.age renamed to years;
# UserBlock.user_id dropped.
RENAMED = model_source(
    """
class UserBlock{variant}({parent}product_block_name="UserBlock"):
    group: blocks.UserGroupBlock{variant}
    username: {required_from_provisioning}str
    years: int | None = None

class User{variant}({product_parent}):
    kind: products.product_types.user.Affiliation
    user: UserBlock{variant}
""",
    'REGISTRY = {"User internal": User, "User external": User}',
)


RENAME_OPTIONS = {
    "wfplugin_products": {
        name: {**values, "fixed_inputs": {"kind": values["fixed_inputs"]["affiliation"]}}
        if "fixed_inputs" in values
        else values
        for name, values in TUTORIAL_OPTIONS["wfplugin_products"].items()
    },
    "wfplugin_renames": {"fixed_inputs": {"affiliation": "kind"}, "resource_types": {"UserBlock.age": "years"}},
    "wfplugin_resource_types": {**TUTORIAL_OPTIONS["wfplugin_resource_types"], "years": "Age in years"},
}
