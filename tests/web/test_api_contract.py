"""API contract: the OpenAPI document lists exactly the registered operations, every
operation needs credentials, and no body (empty, wrong-typed or arbitrary JSON) is a 500."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

import planner.web.api.account
import planner.web.api.caldav
import planner.web.api.calendars
import planner.web.api.couple
import planner.web.api.feed
import planner.web.api.google
import planner.web.api.itip
import planner.web.api.planning  # noqa: F401 - the modules declare the operations
from planner.web.api import OPERATIONS
from planner.web.api.spec import Operation
from tests.conftest import ROOT
from tests.web.test_api_couple import paired

PUBLIC = {("/openapi.json", "get")}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
WITH_BODY = [op for op in OPERATIONS if op.body is not None]


def registered(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every rule Flask serves under /api/v1."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            found |= {(path, method.lower()) for method in methods}
    return found


def concrete(op: Operation) -> str:
    """The operation's URL with every path argument filled in."""
    return "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", "999999", op.rule)


def test_the_document_validates_and_lists_every_operation(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented | PUBLIC == registered(app)
    for path, item in document["paths"].items():
        for method, doc in item.items():
            assert doc["summary"] and doc["tags"], (method, path)
            assert "401" in doc["responses"] and "422" in doc["responses"], (method, path)


def test_the_document_describes_raw_bodies_and_calendars(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    upload = paths["/calendars/upload"]["post"]
    assert "text/calendar" in upload["requestBody"]["content"] and "413" in upload["responses"]
    assert "text/calendar" in paths["/connections/{connection_id}/invite.ics"]["get"][
        "responses"
    ]["200"]["content"]  # fmt: skip
    busy = {p["name"]: p for p in paths["/busy"]["get"]["parameters"]}
    assert busy["start"]["required"] and busy["end"]["in"] == "query"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.rule}")
def test_every_operation_needs_credentials(client: FlaskClient, op: Operation) -> None:
    response = client.open(concrete(op), method=op.method, json={})
    assert response.status_code == 401, response.text
    assert response.json["error"]["status"] == 401


def wrong_types(op: Operation) -> list[object]:
    """Bodies of the wrong shape: another JSON type, and every field given a nested list."""
    assert op.body is not None
    schema = op.body.model_json_schema()
    if schema.get("type") == "array":  # a list of objects
        return [{"key": "x"}, "text", 3, None, [[1]], [{}], [None]]
    fields = schema.get("properties", {})
    return [[], "text", 3, None, {name: [[1]] for name in fields}, [{name: {} for name in fields}]]


@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: f"{op.method} {op.rule}")
def test_empty_and_wrong_typed_bodies_are_4xx(app: Flask, op: Operation) -> None:
    couple = paired(app)
    empty = couple.lena.open(concrete(op), method=op.method, json={})
    assert empty.status_code < 500, empty.text  # {} is fine where every field is optional
    for body in wrong_types(op):  # sent as JSON text, so None is a literal null, not "no body"
        response = couple.lena.open(
            concrete(op), method=op.method, data=json.dumps(body), content_type="application/json"
        )
        assert 400 <= response.status_code < 500, (body, response.text)
        assert response.json["error"]["message"]


@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: f"{op.method} {op.rule}")
def test_arbitrary_json_is_never_a_500(app: Flask, op: Operation) -> None:
    couple = paired(app)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=JSON_VALUES)
    def check(body: object) -> None:
        response = couple.lena.open(concrete(op), method=op.method, json=body)
        assert response.status_code < 500, (body, response.text)

    check()


def test_the_readme_lists_every_operation() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{op.method} {op.path}"
        for op in OPERATIONS
        if f"| {op.method} | `{op.path}` |" not in readme
    ]
    assert not missing, f"README.md's API table lacks: {missing}"
