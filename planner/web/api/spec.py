"""API operations declared once: the same pydantic models validate requests, shape
responses and generate the OpenAPI 3.1 document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

_RULE_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {"int": {"type": "integer"}, "string": {"type": "string"}, None: {"type": "string"}}


@dataclass(frozen=True)
class Operation:
    """One API operation: method, Flask rule, models and documentation."""

    method: str
    rule: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    query: type[BaseModel] | None = None
    produces: str = "application/json"
    consumes: str = "application/json"
    errors: tuple[int, ...] = field(default=())
    description: str = ""
    security: str | None = None
    """For operations without a partner (``auth=False``): the scheme that guards them."""

    @property
    def path(self) -> str:
        """The OpenAPI path: ``/sources/{source_id}``."""
        return _RULE_ARG.sub(r"{\2}", self.rule)

    def parameters(self) -> list[dict[str, Any]]:
        """Path parameters from the rule, plus query parameters from the query model."""
        found = [
            {"name": name, "in": "path", "required": True, "schema": _TYPES.get(kind, {})}
            for kind, name in _RULE_ARG.findall(self.rule)
        ]
        if self.query is not None:
            schema = self.query.model_json_schema()
            for name, prop in schema.get("properties", {}).items():
                required = name in schema.get("required", [])
                found.append({"name": name, "in": "query", "required": required, "schema": prop})
        return found


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    """A $ref to ``model``, adding it (and the models it uses) to ``components``."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error_response() -> dict[str, Any]:
    return {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation_doc(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "parameters": op.parameters()}
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        schema = _schema_ref(op.body, components)
        doc["requestBody"] = {"required": True, "content": {op.consumes: {"schema": schema}}}
    elif op.consumes != "application/json":
        raw = {"type": "string", "format": "binary"}
        doc["requestBody"] = {"required": True, "content": {op.consumes: {"schema": raw}}}
    ok: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        ok["content"] = {op.produces: {"schema": _schema_ref(op.response, components)}}
    elif op.produces != "application/json":
        ok["content"] = {op.produces: {"schema": {"type": "string"}}}
    doc["responses"] = {str(op.status): ok} | {
        str(code): _error_response() for code in sorted({400, 401, 422, *op.errors})
    }
    if not op.auth:
        doc["security"] = [{op.security: []}] if op.security else []
    return doc


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}


def openapi_document(operations: list[Operation], *, version: str, server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``operations``."""
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_doc(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Connection Planner API", "version": version},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "inbound": {"type": "apiKey", "in": "header", "name": "X-Inbound-Secret"},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }


Handler = Callable[..., Any]
