"""One realistic feature change on the tutorial application, several kinds at once (issue 25): a new product
type Lag with two products and a fixed input, a new block (also called Lag) that uses an existing block and
brings new resource types, a required field added to an existing block that has instances, a field
removed from another, and three workflows for the new product."""

from __future__ import annotations

import sqlalchemy as sa

from alembic_wfplugin import compat
from tests.domain_harness import TUTORIAL_OPTIONS, subscribe
from tests.fixture_app import FixtureApp

LAG_BLOCK = """\
from {core}.domain.base import ProductBlockModel
from {core}.types import SubscriptionLifecycle

from products.product_blocks.user_group import UserGroupBlock, UserGroupBlockInactive


class LagBlockInactive(ProductBlockModel, lifecycle=[SubscriptionLifecycle.INITIAL], product_block_name="Lag"):
    group: UserGroupBlockInactive
    lag_name: str | None = None
    member_count: int | None = None


class LagBlock(LagBlockInactive, lifecycle=[SubscriptionLifecycle.ACTIVE]):
    group: UserGroupBlock
    lag_name: str
    member_count: int
"""

LAG_PRODUCT = """\
from {core}.domain.base import SubscriptionModel
from {core}.types import SubscriptionLifecycle, strEnum

from products.product_blocks.lag import LagBlock, LagBlockInactive


class Speed(strEnum):
    ten = "10000"
    hundred = "100000"


class LagInactive(SubscriptionModel, is_base=True):
    speed: Speed
    lag: LagBlockInactive


class Lag(LagInactive, lifecycle=[SubscriptionLifecycle.ACTIVE]):
    speed: Speed
    lag: LagBlock
"""

# The options a team adds for it: what the code cannot state.
FEATURE_OPTIONS = {
    **TUTORIAL_OPTIONS,
    "wfplugin_products": {
        **TUTORIAL_OPTIONS["wfplugin_products"],
        "Lag 10G": {"description": "A 10G link aggregation", "tag": "LAG", "fixed_inputs": {"speed": "10000"}},
        "Lag 100G": {"description": "A 100G link aggregation", "tag": "LAG", "fixed_inputs": {"speed": "100000"}},
    },
    "wfplugin_product_blocks": {
        **TUTORIAL_OPTIONS["wfplugin_product_blocks"],
        "Lag": {"description": "Link aggregation settings", "tag": "LAG"},
    },
    "wfplugin_resource_types": {
        **TUTORIAL_OPTIONS["wfplugin_resource_types"],
        "lag_name": "Name of the link aggregation",
        "member_count": "Number of member ports",
        "location": {"description": "Where the group sits", "value": "unknown"},
    },
    "wfplugin_discard_values": ["UserBlock.age"],
}
FEATURE_WORKFLOWS = ("create_lag", "modify_lag", "terminate_lag")
FEATURE_TARGETS = {"create_lag": "CREATE", "modify_lag": "MODIFY", "terminate_lag": "TERMINATE"}


def before_the_feature(app: FixtureApp) -> None:
    """The tutorial as a team runs it: its workflows registered by a first revision, two user groups
    subscribed (as orchestrator-core stores them)."""
    app.configure(**FEATURE_OPTIONS)
    app.autogenerate("the tutorial's workflows")
    app.upgrade()
    engine = sa.create_engine(app.database_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for name in ("admins", "staff"):
            subscribe(connection, "User Group", {"UserGroupBlock": {"group_name": name, "group_id": "1"}})
    engine.dispose()


def make_feature_change(app: FixtureApp) -> None:
    core = compat.orchestrator_package()
    blocks, types = app.directory / "products" / "product_blocks", app.directory / "products" / "product_types"
    (blocks / "lag.py").write_text(LAG_BLOCK.format(core=core))
    (types / "lag.py").write_text(LAG_PRODUCT.format(core=core))
    group = blocks / "user_group.py"  # a required field, optional before the active lifecycle
    text = group.read_text().replace(
        "group_id: int | None = None\n", "group_id: int | None = None\n    location: str | None = None\n"
    )
    group.write_text(text.replace("    group_id: int\n", "    group_id: int\n    location: str\n"))
    user = blocks / "user.py"  # a field removed
    user.write_text(user.read_text().replace("    age: int | None = None\n", ""))
    registry = app.directory / "products" / "__init__.py"
    text = registry.read_text().replace(
        "from products.product_types.user import User\n",
        "from products.product_types.lag import Lag\nfrom products.product_types.user import User\n",
    )
    lag = '        "Lag 10G": Lag,\n        "Lag 100G": Lag,\n'
    registry.write_text(text.replace('        "User Group": UserGroup,\n', lag + '        "User Group": UserGroup,\n'))
    for name, target in FEATURE_TARGETS.items():
        app.add_workflow("lag", name, target, description=name.replace("_", " ").capitalize())
