"""Every task builder of the official SDK's DSL, producing the WorkflowTask JSON it produces, and builders with the
same conventions for the task types the SDK has none for (DECISION, EXCLUSIVE_JOIN, LAMBDA, NOOP)."""

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
    LambdaTask,
    SqsEventTask,
)
from .control_flow import (
    DecisionTask,
    DoWhileTask,
    DynamicForkTask,
    EvaluatorType,
    ExclusiveJoinTask,
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
    NoopTask,
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
    "AssignmentCompletionStrategy", "ConductorEventTask", "DecisionTask", "DoWhileTask", "DynamicForkTask",
    "DynamicTask", "EvaluatorType", "EventTaskInterface", "ExclusiveJoinTask", "ForEachTask", "ForkTask",
    "GetDocument", "HttpInput", "HttpMethod", "HttpPollInput", "HttpPollTask", "HttpTask", "HumanTask",
    "InlineSubWorkflowTask", "InlineTask", "JavascriptTask", "JoinTask", "JsonJQTask", "KafkaPublishInput",
    "KafkaPublishTask", "LambdaTask", "LoopTask", "NoopTask", "PullWorkflowMessagesTask", "SetVariableTask",
    "SqsEventTask", "StartWorkflowTask", "SubWorkflowTask", "SwitchTask", "TerminateTask", "TriggerType",
    "WaitForDurationTask", "WaitForWebHookTask", "WaitTask", "WaitUntilTask", "wait_for_webhook",
]
