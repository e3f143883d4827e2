"""Builders for tasks that call out or compute: HTTP, HTTP_POLL, INLINE, JSON_JQ_TRANSFORM, EVENT, KAFKA_PUBLISH."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Optional

from ...models import TaskType, WorkflowTask
from ...models.base import Model, extra_field, json_name, model
from ..task import TaskInterface


class HttpMethod(str, Enum):
    """The HTTP methods an HTTP task may use."""

    GET = "GET"
    PUT = "PUT"
    POST = "POST"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


def _named(json: str) -> Any:
    """An optional field whose JSON name is `json` rather than the camelCase of its attribute."""
    return dataclasses.field(default=None, metadata=json_name(json))


@model
class HttpInput(Model):
    """The `http_request` input of an HTTP task."""

    method: HttpMethod = HttpMethod.GET
    uri: Optional[str] = None
    headers: Optional[dict[str, list[str]]] = None
    accept: Optional[str] = None
    content_type: Optional[str] = None
    connection_time_out: Optional[int] = _named("connectionTimeOut")
    read_timeout: Optional[int] = _named("readTimeOut")
    body: Any = None
    extra: dict = extra_field()


@model
class HttpPollInput(Model):
    """The `http_request` input of an HTTP_POLL task: a request repeated until `termination_condition` holds."""

    termination_condition: Optional[str] = None
    max_poll_count: int = 100
    polling_interval: int = 100
    polling_strategy: str = "FIXED"
    method: HttpMethod = HttpMethod.GET
    uri: Optional[str] = None
    headers: Optional[dict[str, list[str]]] = None
    accept: Optional[str] = None
    content_type: Optional[str] = None
    connection_time_out: Optional[int] = _named("connectionTimeOut")
    read_timeout: Optional[int] = _named("readTimeOut")
    body: Any = None
    extra: dict = extra_field()


class HttpTask(TaskInterface):
    """An HTTP task: the server makes the request `http_input` (an HttpInput or its JSON) describes."""

    def __init__(self, task_ref_name: str, http_input: HttpInput | dict):
        request = http_input.to_dict() if isinstance(http_input, Model) else {"method": "GET", **http_input}
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.HTTP,
                         input_parameters={"http_request": request})

    def status_code(self) -> str:
        return self.output("response.statusCode")

    def headers(self, json_path: Optional[str] = None) -> str:
        return self.output("response.headers" + (f".{json_path}" if json_path else ""))

    def body(self, json_path: Optional[str] = None) -> str:
        return self.output("response.body" + (f".{json_path}" if json_path else ""))


class HttpPollTask(TaskInterface):
    """An HTTP_POLL task: the server repeats a request until its termination condition holds."""

    def __init__(self, task_ref_name: str, http_input: HttpPollInput):
        super().__init__(task_reference_name=task_ref_name, task_type="HTTP_POLL",
                         input_parameters={"http_request": http_input.to_dict()})


class InlineTask(TaskInterface):
    """An INLINE task evaluating `script` (GraalJS) with `bindings` as its inputs."""

    def __init__(self, task_ref_name: str, script: str, bindings: Optional[dict[str, Any]] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.INLINE,
                         input_parameters={"evaluatorType": "graaljs", "expression": script, **(bindings or {})})


class JavascriptTask(InlineTask):
    """An INLINE task like InlineTask whose `output()` points into the script's `result`."""

    def output(self, json_path: Optional[str] = None) -> str:
        return super().output("result" + (f".{json_path}" if json_path else ""))

    def evaluator_type(self, evaluator_type: str) -> JavascriptTask:
        self.input_parameters["evaluatorType"] = evaluator_type
        return self


class LambdaTask(TaskInterface):
    """A LAMBDA task: `script` (JavaScript, `$` bound to the inputs) runs as a function; its return value is the
    output's `result`. The official SDK has no builder for it; Conductor reads the script from the input
    `scriptExpression`."""

    def __init__(self, task_ref_name: str, script: str, bindings: Optional[dict[str, Any]] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.LAMBDA,
                         input_parameters={**(bindings or {}), "scriptExpression": script})


class JsonJQTask(TaskInterface):
    """A JSON_JQ_TRANSFORM task applying the jq program `script` to its inputs."""

    def __init__(self, task_ref_name: str, script: str):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.JSON_JQ_TRANSFORM,
                         input_parameters={"queryExpression": script})


class EventTaskInterface(TaskInterface):
    """An EVENT task publishing its input to the sink `<event_prefix>:<event_suffix>`."""

    def __init__(self, task_ref_name: str, event_prefix: str, event_suffix: str):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.EVENT)
        self._sink = f"{event_prefix}:{event_suffix}"

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.sink = self._sink
        return wt


class SqsEventTask(EventTaskInterface):
    """An EVENT task publishing to the SQS queue `queue_name`."""

    def __init__(self, task_ref_name: str, queue_name: str):
        super().__init__(task_ref_name, "sqs", queue_name)


class ConductorEventTask(EventTaskInterface):
    """An EVENT task publishing the Conductor event `event_name` (for event handlers)."""

    def __init__(self, task_ref_name: str, event_name: str):
        super().__init__(task_ref_name, "conductor", event_name)


@model
class KafkaPublishInput(Model):
    """The `kafka_request` input of a KAFKA_PUBLISH task."""

    bootstrap_servers: Optional[str] = _named("bootStrapServers")
    key: Optional[str] = None
    key_serializer: Optional[str] = None
    value: Optional[str] = None
    request_timeout_ms: Optional[str] = None
    max_block_ms: Optional[str] = None
    headers: Optional[dict[str, Any]] = None
    topic: Optional[str] = None
    extra: dict = extra_field()


class KafkaPublishTask(TaskInterface):
    """A KAFKA_PUBLISH task sending the message `kafka_publish_input` describes."""

    def __init__(self, task_ref_name: str, kafka_publish_input: Optional[KafkaPublishInput] = None):
        request = kafka_publish_input.to_dict() if kafka_publish_input is not None else None
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.KAFKA_PUBLISH,
                         input_parameters={"kafka_request": request})


class GetDocument(TaskInterface):
    """A GET_DOCUMENT task (Orkes) reading the document at `url` as `media_type`."""

    def __init__(self, task_name: str, task_ref_name: str, url: str, media_type: str):
        super().__init__(task_reference_name=task_ref_name, task_type="GET_DOCUMENT", task_name=task_name,
                         input_parameters={"url": url, "mediaType": media_type})
