"""The API's shared behaviour: authentication, CSRF, JSON errors that name the field, OpenAPI."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from planner.web import create_app
from planner.web.config import Config
from tests.web.conftest import sign_up, strict


def test_openapi_document_is_valid_and_lists_operations(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert "/me" in document["paths"] and "/tokens/{token_id}" in document["paths"]
    token_in = document["components"]["schemas"]["TokenIn"]
    assert token_in["properties"]["name"]["maxLength"] == 80  # the same model validates


def test_no_credentials_is_401_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401
    assert "API token" in response.json["error"]["message"]


def test_session_works_and_shows_the_partner_only_by_name_and_zone(client: FlaskClient) -> None:
    sign_up(client, "lena")
    me = client.get("/api/v1/me").json
    assert me["email"] == "lena@example.com" and me["partner"] is None


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": "name=x", "content_type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        ({"json": {"name": ""}}, 422, "name"),
        ({"json": {"name": "ok", "admin": True}}, 422, "admin"),
        ({"json": ["name"]}, 422, "body"),
        ({"data": "{" + '"name": "' + "x" * 70_000 + '"}', "content_type": "application/json"},
         413, "64 KB"),
    ],
)  # fmt: skip
def test_bad_bodies_get_4xx_that_name_the_problem(
    client: FlaskClient, kwargs: dict[str, object], status: int, needle: str
) -> None:
    sign_up(client, "sam")
    response = client.post("/api/v1/tokens", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    error = response.json["error"]
    assert needle in error["message"] or needle == error.get("field")


def test_tokens_are_shown_once_work_and_can_be_revoked(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "kim")
    created = client.post("/api/v1/tokens", json={"name": "my script"})
    assert created.status_code == 201
    token = created.json["token"]
    assert token.startswith("cp_")
    anonymous = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/me", headers=auth).json["email"] == "kim@example.com"
    listed = client.get("/api/v1/tokens").json["tokens"]
    assert [t["name"] for t in listed] == ["my script"] and "token" not in listed[0]
    again = anonymous.post("/api/v1/tokens", json={"name": "x"}, headers=auth)
    assert again.status_code == 403
    assert client.delete(f"/api/v1/tokens/{created.json['id']}").status_code == 204
    assert anonymous.get("/api/v1/me", headers=auth).status_code == 401
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_writes_need_the_csrf_header(config: Config) -> None:
    app = create_app(strict(config))
    client = app.test_client()
    page = client.get("/signup").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    data = {"name": "Ola", "email": "ola@example.com", "password": "a long password",
            "zone": "UTC", "csrf_token": token.group(1)}  # fmt: skip
    assert client.post("/signup", data=data).status_code == 302
    refused = client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]["message"]
    headers = {"X-CSRFToken": token.group(1)}
    assert client.post("/api/v1/tokens", json={"name": "x"}, headers=headers).status_code == 201


def test_an_empty_body_means_defaults_when_nothing_is_required(client: FlaskClient) -> None:
    sign_up(client, "ida")
    response = client.post("/api/v1/plan")  # PlanIn has only optional fields
    assert response.status_code == 409, response.text  # no partner yet: a conflict, not a 415
    assert "partner" in response.json["error"]["message"]


def test_operations_carry_their_views_docstrings(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/me"]["get"]["description"].startswith("The partner")
