from orchestrator.core.targets import Target
from orchestrator.core.types import State
from orchestrator.core.workflow import StepList, begin, done, step, workflow


@step("Terminate user group")
def terminate_user_group_step(state: State) -> State:
    return {**state, "last_action": "terminate user group"}


@workflow(target=Target.TERMINATE)
def terminate_user_group() -> StepList:
    return begin >> terminate_user_group_step >> done
