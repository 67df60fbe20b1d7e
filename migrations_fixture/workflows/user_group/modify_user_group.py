from orchestrator.core.targets import Target
from orchestrator.core.types import State
from orchestrator.core.workflow import StepList, begin, done, step, workflow


@step("Modify user group")
def modify_user_group_step(state: State) -> State:
    return {**state, "last_action": "modify user group"}


@workflow(target=Target.MODIFY)
def modify_user_group() -> StepList:
    return begin >> modify_user_group_step >> done
