"""Web fixtures: the app on each database backend, a client, and signed-in partners."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner.web import create_app
from planner.web.config import Config

TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"


@pytest.fixture
def config(db_url: str) -> Config:
    """A test configuration on the backend under test (CSRF and rate limits off)."""
    return Config(
        secret_key=TEST_SECRET,
        database_url=db_url,
        testing=True,
        extra={"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
    )


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    """The app under test."""
    app = create_app(config)
    yield app
    app.extensions["planner.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client."""
    return app.test_client()


def strict(config: Config) -> Config:
    """``config`` with CSRF protection and rate limits on, as in production."""
    return replace(config, extra={})


def sign_up(client: FlaskClient, name: str, zone: str = "Europe/Berlin") -> None:
    """Sign up ``name`` (e-mail ``name@example.com``) and stay signed in."""
    response = client.post(
        "/signup",
        data={"name": name, "email": f"{name}@example.com", "password": PASSWORD, "zone": zone},
    )
    assert response.status_code == 302, response.text


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token in the form at ``path``."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
