from orchestrator.core.targets import Target
from orchestrator.core.types import State
from orchestrator.core.workflow import StepList, begin, done, step, workflow


@step("Create user")
def create_user_step(state: State) -> State:
    return {**state, "last_action": "create user"}


@workflow(target=Target.CREATE)
def create_user() -> StepList:
    return begin >> create_user_step >> done
