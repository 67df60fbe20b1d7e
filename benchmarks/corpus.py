"""A workflow application shaped like real ones, generated from a few templates.

Per product type: a product-model module (product block and subscription models in three
lifecycles, as orchestrator-core's tutorial writes them) and a package of workflow modules. Each
workflow module is 100-400 lines: a pydantic-forms input form, several ``@step`` functions that call
a shared service-client module, and one orchestrator-core decorator (``create_workflow``,
``modify_workflow``, ``terminate_workflow``, ``validate_workflow``, ``reconcile_workflow`` or a plain
``workflow(..., target=...)``). The registry is ``workflows/__init__.py``, one ``LazyWorkflowInstance``
line per workflow, as real applications have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VERBS = ("create", "modify", "terminate", "validate", "reconcile", "modify")
TARGETS = {"create": "CREATE", "modify": "MODIFY", "terminate": "TERMINATE", "validate": "VALIDATE",
           "reconcile": "RECONCILE"}  # fmt: skip

PRODUCT_MODEL = '''\
"""Product models of {type}: its product block (which uses the shared site block) and the subscription
with a fixed input, in three lifecycles."""

from enum import StrEnum

from orchestrator.core.domain.base import ProductBlockModel, SubscriptionModel
from orchestrator.core.types import SubscriptionLifecycle

from products.product_blocks.site import SiteBlock, SiteBlockInactive, SiteBlockProvisioning


class Speed(StrEnum):
    ONE = "1G"
    TEN = "10G"


class {type}BlockInactive(ProductBlockModel, product_block_name="{type} block"):
    label: str | None = None
    vlan: int | None = None
    speed: int | None = None
    note: str | None = None
    site: SiteBlockInactive


class {type}BlockProvisioning({type}BlockInactive, lifecycle=[SubscriptionLifecycle.PROVISIONING]):
    label: str
    vlan: int
    speed: int
    note: str | None = None
    site: SiteBlockProvisioning


class {type}Block({type}BlockProvisioning, lifecycle=[SubscriptionLifecycle.ACTIVE]):
    label: str
    vlan: int
    speed: int
    note: str | None = None
    site: SiteBlock


class {type}Inactive(SubscriptionModel, is_base=True):
    speed_class: Speed
    block: {type}BlockInactive


class {type}Provisioning({type}Inactive, lifecycle=[SubscriptionLifecycle.PROVISIONING]):
    block: {type}BlockProvisioning


class {type}({type}Provisioning, lifecycle=[SubscriptionLifecycle.ACTIVE]):
    block: {type}Block
'''

SITE_BLOCK = '''\
"""The site every product block is at: a product block that the others use."""

from orchestrator.core.domain.base import ProductBlockModel
from orchestrator.core.types import SubscriptionLifecycle


class SiteBlockInactive(ProductBlockModel, product_block_name="Site block"):
    site_name: str | None = None
    site_code: int | None = None


class SiteBlockProvisioning(SiteBlockInactive, lifecycle=[SubscriptionLifecycle.PROVISIONING]):
    site_name: str
    site_code: int


class SiteBlock(SiteBlockProvisioning, lifecycle=[SubscriptionLifecycle.ACTIVE]):
    site_name: str
    site_code: int
'''

SERVICE_CLIENT = '''\
"""The client of the application's inventory service, as workflow steps call it."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import structlog

logger = structlog.get_logger(__name__)


@dataclass
class ServiceClient:
    """A thin JSON-over-HTTP client; the benchmark never calls it."""

    service: str
    base_url: str = "http://inventory.invalid/api"
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base_url}/{self.service}/{operation}",
            data=json.dumps(payload).encode(),
            headers=self.headers,
            method="POST",
        )
        logger.debug("Calling the inventory service", service=self.service, operation=operation)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            result: dict[str, Any] = json.loads(response.read())
        return result
'''

HEADER = '''\
"""{verb_title} a {type} subscription: workflow {name}.

Generated for alembic-wfplugin's benchmark, shaped like a real application's workflow module: an
input form, several steps calling the inventory service, and one orchestrator-core decorator.
"""

from typing import Annotated

import structlog
from pydantic import ConfigDict, Field
from pydantic_forms.types import FormGenerator, State, UUIDstr

from orchestrator.core.forms import FormPage
from orchestrator.core.targets import Target
from orchestrator.core.workflow import StepList, begin, done, step, workflow
from orchestrator.core.workflows.utils import {decorator_import}
from products.product_types.{module} import {type}, {type}Inactive, {type}Provisioning
from services.client import ServiceClient

logger = structlog.get_logger(__name__)
CLIENT = ServiceClient("{module}")


def initial_input_form_generator(product_name: str = "{type}") -> FormGenerator:
    """The form a user fills in to start {name}."""

    class {form_class}(FormPage):
        model_config = ConfigDict(title=product_name)

        customer_id: UUIDstr
        name: Annotated[str, Field(min_length=1, max_length=64, description="Name of the {type}")]
        vlan: Annotated[int, Field(ge=2, le=4094, description="VLAN of the {type}")] = 2
        speed: Annotated[int, Field(gt=0, description="Speed in Mbit/s")] = 1000
{extra_fields}
    user_input = yield {form_class}
    return user_input.model_dump()
'''

FORM_FIELD = '        option_{index}: Annotated[str, Field(max_length=80, description="Option {index}")] = ""\n'

STEP = '''

@step("{title}")
def {function}(subscription: {model}, name: str, vlan: int = 2) -> State:
    """{title}: ask the inventory service, then record the answer on the subscription."""
    result = CLIENT.call("{function}", {{"name": name, "vlan": vlan, "step": {index}}})
    if result.get("status") != "ok":
        logger.warning("The inventory service did not confirm", step="{function}", result=result)
        raise ValueError(f"{{name}}: {title} failed: {{result.get('error', 'unknown error')}}")
    subscription.block.label = name
    subscription.block.vlan = vlan
    subscription.block.note = result.get("note") or subscription.block.note
    logger.info("Step done", step="{function}", subscription=str(subscription.subscription_id))
    return {{"subscription": subscription, "{function}_result": result}}
'''

FOOTER = """

@{decorator}
def {name}() -> StepList:
    return (
        begin
{chain}    )
"""

DECORATORS = {
    "create": ('create_workflow("{description}", initial_input_form=initial_input_form_generator)', "create_workflow"),
    "modify": ('modify_workflow("{description}", initial_input_form=initial_input_form_generator)', "modify_workflow"),
    "terminate": (
        'terminate_workflow("{description}", initial_input_form=initial_input_form_generator)',
        "terminate_workflow",
    ),
    "validate": ('validate_workflow("{description}")', "validate_workflow"),
    "reconcile": ('reconcile_workflow("{description}")', "reconcile_workflow"),
}
# A changed workflow (the benchmark's "5% changed"): a plain @workflow with another target and a step more.
CHANGED = 'workflow("{description}", target=Target.{target}, initial_input_form=initial_input_form_generator)'


@dataclass(frozen=True)
class Workflow:
    name: str
    module: str  # the dotted module path
    path: Path  # relative to the application's folder
    target: str
    product_type: str


def product_type(index: int) -> str:
    return f"Type{index:04d}"


def workflow_source(workflow: Workflow, verb: str, steps: int, changed: bool = False) -> str:
    """One workflow module; ``steps`` sets its length (about 60 + 15 per step lines)."""
    type_name = workflow.product_type
    module = type_name.lower()
    description = f"{verb.capitalize()} {type_name} ({workflow.name})"
    decorator, decorator_import = DECORATORS[verb]
    decorator = decorator.format(description=description)
    if changed:
        target = "SYSTEM" if workflow.target != "SYSTEM" else "MODIFY"
        decorator = CHANGED.format(description=description, target=target)
        steps += 1
    model = f"{type_name}Provisioning" if verb in ("create", "modify") else type_name
    text = HEADER.format(
        verb_title=verb.capitalize(),
        type=type_name,
        name=workflow.name,
        module=module,
        decorator_import=decorator_import,
        form_class=f"{verb.capitalize()}{type_name}Form",
        extra_fields="".join(FORM_FIELD.format(index=index) for index in range(steps // 3)),
    )
    functions = [f"{workflow.name}_step_{index}" for index in range(steps)]
    for index, function in enumerate(functions):
        title = f"{verb.capitalize()} {type_name}: part {index} of {workflow.name}"
        text += STEP.format(title=title, function=function, model=model, index=index)
    # a plain @workflow ends with `done` itself; orchestrator-core's create_workflow and the like add it
    chain = "".join(f"        >> {function}\n" for function in [*functions, *(["done"] if changed else [])])
    return text + FOOTER.format(decorator=decorator, name=workflow.name, chain=chain)


def product_name(type_name: str) -> str:
    return f"{type_name} product"


def write_application(app: Path, size: int, register_products: bool = False) -> list[Workflow]:
    """Write ``products/``, ``services/`` and ``workflows/`` (replacing the tutorial's) into ``app``:
    ``size`` workflows over a tenth as many product types. With ``register_products``, ``products/``
    registers one product per type in ``SUBSCRIPTION_MODEL_REGISTRY`` (as main.py's ``import products``
    does), for the domain-model benchmark. Returns the workflows, registry order."""
    types = max(1, size // 10)
    for old in sorted((app / "products").rglob("*"), reverse=True):
        old.unlink() if old.is_file() else old.rmdir()
    (app / "products" / "product_types").mkdir(parents=True, exist_ok=True)
    (app / "products" / "product_blocks").mkdir(parents=True, exist_ok=True)
    (app / "products" / "product_types" / "__init__.py").write_text("")
    (app / "products" / "product_blocks" / "__init__.py").write_text("")
    (app / "products" / "product_blocks" / "site.py").write_text(SITE_BLOCK)
    names = [product_type(index) for index in range(types)]
    registry = "".join(f"from products.product_types.{name.lower()} import {name}\n" for name in names)
    registry += (
        "from orchestrator.core.domain import SUBSCRIPTION_MODEL_REGISTRY\n\nSUBSCRIPTION_MODEL_REGISTRY.update({\n"
    )
    registry += "".join(f'    "{product_name(name)}": {name},\n' for name in names) + "})\n"
    (app / "products" / "__init__.py").write_text(registry if register_products else "")
    (app / "services").mkdir(exist_ok=True)
    (app / "services" / "__init__.py").write_text("")
    (app / "services" / "client.py").write_text(SERVICE_CLIENT)
    for index in range(types):
        name = product_type(index)
        (app / "products" / "product_types" / f"{name.lower()}.py").write_text(PRODUCT_MODEL.format(type=name))
    workflows_dir = app / "workflows"
    for old in sorted(workflows_dir.rglob("*"), reverse=True):
        old.unlink() if old.is_file() else old.rmdir()
    workflows_dir.mkdir(exist_ok=True)
    workflows: list[Workflow] = []
    for index in range(size):
        type_index = index % types
        verb = VERBS[(index // types) % len(VERBS)]
        type_name = product_type(type_index)
        name = f"{verb}_{type_name.lower()}_{index}"
        package = workflows_dir / type_name.lower()
        if not package.exists():
            package.mkdir()
            (package / "__init__.py").write_text("")
        workflow = Workflow(
            name=name,
            module=f"workflows.{type_name.lower()}.{name}",
            path=Path("workflows") / type_name.lower() / f"{name}.py",
            target=TARGETS[verb],
            product_type=type_name,
        )
        (app / workflow.path).write_text(workflow_source(workflow, verb, steps_of(index)))
        workflows.append(workflow)
    lines = "".join(f'LazyWorkflowInstance("{w.module}", "{w.name}")\n' for w in workflows)
    (workflows_dir / "__init__.py").write_text(
        "from orchestrator.core.workflows import LazyWorkflowInstance\n\n" + lines
    )
    return workflows


def steps_of(index: int) -> int:
    """3 to 20 steps: modules of about 100 to 400 lines."""
    return 3 + (index * 7) % 18


def change(app: Path, workflows: list[Workflow], stamp: int = 0, every: int = 20) -> list[Workflow]:
    """Edit every ``every``-th workflow module (5%): another target, one step more, and a comment with
    ``stamp`` (so that each call is a new edit). Returns them."""
    changed = workflows[::every]
    for workflow in changed:
        index = workflows.index(workflow)
        verb = workflow.name.split("_", 1)[0]
        source = workflow_source(workflow, verb, steps_of(index), changed=True)
        (app / workflow.path).write_text(f"{source}# edit {stamp}\n")
    return changed


def restore(app: Path, workflows: list[Workflow], changed: list[Workflow]) -> None:
    for workflow in changed:
        index = workflows.index(workflow)
        verb = workflow.name.split("_", 1)[0]
        (app / workflow.path).write_text(workflow_source(workflow, verb, steps_of(index)))
