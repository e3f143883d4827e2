"""The OpenAPI 3 document of what the server serves, generated from its route table and the models."""

from __future__ import annotations

import inspect
import typing
from typing import Any

from .. import __version__
from ..api import ConductorAPI
from ..http.endpoints import Endpoint, Reply, SearchOf
from ..models import Model
from .decode import field_types, unwrap
from .routes import Route
from .service import Service

_SCALARS = {str: {"type": "string"}, int: {"type": "integer", "format": "int64"}, float: {"type": "number"},
            bool: {"type": "boolean"}, dict: {"type": "object"}, list: {"type": "array", "items": {}}}
ERROR_RESPONSE = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"}, "message": {"type": "string"}, "retryable": {"type": "boolean"},
        "error": {"type": "string", "description": "EXPIRED_TOKEN or INVALID_TOKEN when a token is refused"},
        "validationErrors": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string"}, "message": {"type": "string"}, "invalidValue": {}}}},
    },
}

ERROR_REPLY = {"description": "Error",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}


def document(routes: tuple[Route, ...], secured: bool) -> dict:
    """The OpenAPI document for `routes`; with `secured`, non-public routes require the X-Authorization token."""
    schemas: dict[str, Any] = {"ErrorResponse": ERROR_RESPONSE}
    paths: dict[str, dict] = {}
    operation_ids: set[str] = set()
    for route in routes:
        operation = _operation(route.endpoint, schemas)
        operation["operationId"] = _unique(route.endpoint.op, operation_ids)
        if secured and not route.public:
            operation["security"] = [{"token": []}]
        paths.setdefault(route.path, {})[route.endpoint.method.lower()] = operation
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "conductor-nb server", "version": __version__,
                 "description": "Conductor's REST API served by the conductor_nb embedded engine."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
    if secured:
        doc["components"]["securitySchemes"] = {"token": {"type": "apiKey", "in": "header", "name": "X-Authorization"}}
    return doc


def _operation(endpoint: Endpoint, schemas: dict) -> dict:
    parameters = [
        {"name": p.name, "in": "path", "required": True, "schema": _schema(p.type, schemas)}
        for p in endpoint.path_params
    ] + [
        {"name": p.name, "in": "query", "required": False,
         "schema": {**_schema(p.type, schemas), **({"default": p.default} if p.default is not None else {})}}
        for p in endpoint.query_params
    ]
    operation: dict[str, Any] = {"summary": _summary(endpoint.op), "tags": [endpoint.path.split("/")[1]]}
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        media = "text/plain" if endpoint.body.type is str else "application/json"
        operation["requestBody"] = {"required": endpoint.body.required,
                                    "content": {media: {"schema": _schema(endpoint.body.type, schemas)}}}
    operation["responses"] = {**_responses(endpoint, schemas), "default": ERROR_REPLY}
    return operation


def _responses(endpoint: Endpoint, schemas: dict) -> dict:
    if endpoint.reply is Reply.NO_CONTENT:
        return {"204": {"description": "No Content"}}
    if endpoint.reply is Reply.VOID:
        return {"200": {"description": "OK"}}
    media = "text/plain" if endpoint.reply is Reply.TEXT else "application/json"
    ok = {"200": {"description": "OK", "content": {media: {"schema": _schema(endpoint.returns or dict, schemas)}}}}
    if endpoint.reply is Reply.JSON_OR_NO_CONTENT:
        ok["204"] = {"description": "Nothing to return"}
    return ok


def _schema(tp: Any, schemas: dict) -> dict:
    tp = unwrap(tp)
    if isinstance(tp, SearchOf):
        return {"type": "object", "properties": {"totalHits": _SCALARS[int],
                                                 "results": {"type": "array", "items": _schema(tp.item, schemas)}}}
    if isinstance(tp, type) and issubclass(tp, Model):
        if tp.__name__ not in schemas:
            schemas[tp.__name__] = {}  # placeholder first: models refer to themselves (WorkflowTask, Workflow)
            schemas[tp.__name__] = {"type": "object", "properties": {
                name: _schema(field_type, schemas) for name, field_type in field_types(tp).items()}}
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        return {"type": "array", "items": _schema(args[0], schemas)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], schemas)}
    return dict(_SCALARS.get(tp, {}))


def _summary(op: str) -> str:
    method = getattr(ConductorAPI, op, None) or getattr(Service, op)
    return (inspect.getdoc(method) or op).splitlines()[0]


def _unique(op: str, taken: set[str]) -> str:
    name, n = op, 1
    while name in taken:
        n += 1
        name = f"{op}_{n}"
    taken.add(name)
    return name
