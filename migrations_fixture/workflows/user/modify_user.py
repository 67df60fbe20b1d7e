from orchestrator.core.targets import Target
from orchestrator.core.types import State
from orchestrator.core.workflow import StepList, begin, done, step, workflow


@step("Modify user")
def modify_user_step(state: State) -> State:
    return {**state, "last_action": "modify user"}


@workflow(target=Target.MODIFY)
def modify_user() -> StepList:
    return begin >> modify_user_step >> done
