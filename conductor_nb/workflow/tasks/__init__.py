"""Every task builder of the official SDK's DSL, producing the WorkflowTask JSON it produces."""

from .calls import (
    ConductorEventTask,
    EventTaskInterface,
    GetDocument,
    HttpInput,
    HttpMethod,
    HttpPollInput,
    HttpPollTask,
    HttpTask,
    InlineTask,
    JavascriptTask,
    JsonJQTask,
    KafkaPublishInput,
    KafkaPublishTask,
    SqsEventTask,
)
from .control_flow import (
    DoWhileTask,
    DynamicForkTask,
    EvaluatorType,
    ForEachTask,
    ForkTask,
    JoinTask,
    LoopTask,
    SwitchTask,
)
from .orchestration import (
    AssignmentCompletionStrategy,
    DynamicTask,
    HumanTask,
    InlineSubWorkflowTask,
    PullWorkflowMessagesTask,
    SetVariableTask,
    StartWorkflowTask,
    SubWorkflowTask,
    TerminateTask,
    TriggerType,
    WaitForDurationTask,
    WaitForWebHookTask,
    WaitTask,
    WaitUntilTask,
    wait_for_webhook,
)

__all__ = [
    "AssignmentCompletionStrategy", "ConductorEventTask", "DoWhileTask", "DynamicForkTask", "DynamicTask",
    "EvaluatorType", "EventTaskInterface", "ForEachTask", "ForkTask", "GetDocument", "HttpInput", "HttpMethod",
    "HttpPollInput", "HttpPollTask", "HttpTask", "HumanTask", "InlineSubWorkflowTask", "InlineTask",
    "JavascriptTask", "JoinTask", "JsonJQTask", "KafkaPublishInput", "KafkaPublishTask", "LoopTask",
    "PullWorkflowMessagesTask", "SetVariableTask", "SqsEventTask", "StartWorkflowTask", "SubWorkflowTask",
    "SwitchTask", "TerminateTask", "TriggerType", "WaitForDurationTask", "WaitForWebHookTask", "WaitTask",
    "WaitUntilTask", "wait_for_webhook",
]
