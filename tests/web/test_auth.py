"""Sign up, sign in, sign out: hashes, sessions, CSRF, cookies, rate limits, safe redirects."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from planner.store.models import User
from planner.web import create_app
from planner.web.config import Config, ConfigError
from planner.web.db import sessions
from planner.web.ratelimit import RateLimiter
from tests.web.conftest import PASSWORD, csrf_token, sign_up, strict


def test_sign_up_signs_in_and_stores_an_argon2_hash(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "lena")
    assert "Hello, lena" in client.get("/").text
    with app.app_context(), sessions()() as session:
        user = session.scalar(select(User).where(User.email == "lena@example.com"))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "valid e-mail"),
        ("password", "short", "10 to 256"),
        ("zone", "Mars/Olympus", "Unknown time zone"),
    ],
)
def test_sign_up_names_the_bad_field(app: Flask, field: str, value: str, message: str) -> None:
    data = {"name": "Sam", "email": "sam@example.com", "password": PASSWORD, "zone": "UTC"}
    response = app.test_client().post("/signup", data={**data, field: value})
    assert response.status_code == 422
    assert message in response.text


def test_e_mail_is_unique_whatever_its_case(app: Flask) -> None:
    sign_up(app.test_client(), "sam")
    data = {"name": "Sam", "email": "SAM@Example.com", "password": PASSWORD, "zone": "UTC"}
    response = app.test_client().post("/signup", data=data)
    assert response.status_code == 422 and "exists" in response.text


def test_sign_in_and_out(app: Flask) -> None:
    sign_up(app.test_client(), "kim")
    client = app.test_client()
    bad = client.post("/signin", data={"email": "kim@example.com", "password": "wrong" * 3})
    assert bad.status_code == 422 and "do not match" in bad.text
    good = client.post("/signin", data={"email": "KIM@example.com", "password": PASSWORD})
    assert good.status_code == 302
    assert "Hello, kim" in client.get("/").text
    assert client.post("/signout").status_code == 302
    assert "Hello" not in client.get("/").text


def test_next_only_redirects_inside_the_site(app: Flask) -> None:
    sign_up(app.test_client(), "ana")
    for target, expected in [("/healthz", "/healthz"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/")]:  # fmt: skip
        client = app.test_client()
        response = client.post(
            f"/signin?next={target}", data={"email": "ana@example.com", "password": PASSWORD}
        )
        assert response.headers["Location"] == expected


def test_forms_need_a_csrf_token(config: Config) -> None:
    app = create_app(strict(config))
    client = app.test_client()
    data = {"name": "Ola", "email": "ola@example.com", "password": PASSWORD, "zone": "UTC"}
    assert client.post("/signup", data=data).status_code == 400
    token = csrf_token(client, "/signup")
    assert client.post("/signup", data={**data, "csrf_token": token}).status_code == 302


def test_session_cookie_is_httponly_and_lax(config: Config) -> None:
    for base, secure in [("http://127.0.0.1:5000", False), ("https://planner.example", True)]:
        app = create_app(replace(config, base_url=base))
        client = app.test_client()
        sign_up(client, f"c{int(secure)}")
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
        assert cookie.secure is secure


def test_sign_in_is_rate_limited(config: Config) -> None:
    app = create_app(replace(strict(config), signin_limit="3 per minute",
                             extra={"WTF_CSRF_ENABLED": False}))  # fmt: skip
    # A fixed clock: five attempts that straddle a window boundary would start a new count.
    app.extensions["planner.signin_limiter"] = RateLimiter(3, 60, clock=lambda: 30.0)
    client = app.test_client()
    data = {"email": "nobody@example.com", "password": "wrong password"}
    codes = [client.post("/signin", data=data, environ_base={"REMOTE_ADDR": "192.0.2.7"})
             .status_code for _ in range(5)]  # fmt: skip
    assert codes[:3] == [422, 422, 422] and codes[3:] == [429, 429]


@pytest.mark.parametrize("secret", ["", "change-me", "short"])
def test_refuses_to_start_with_a_weak_secret_outside_debug(db_url: str, secret: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(Config(secret_key=secret, database_url=db_url))


def test_demo_and_debug_start_without_a_secret() -> None:
    for flag in ("PLANNER_DEMO", "PLANNER_DEBUG"):
        config = Config.from_env({flag: "1", "DATABASE_URL": "sqlite://"})
        assert len(config.secret_key) >= 32
        config.check()


def test_healthz(client: object) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_unknown_page_is_a_friendly_404(client: object) -> None:
    response = client.get("/no/such/page")  # type: ignore[attr-defined]
    assert response.status_code == 404 and "There is nothing here" in response.text


def test_the_limiter_counts_per_key_and_window() -> None:
    moment = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: moment[0])
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    assert limiter.hit("a") == 60.0
    moment[0] = 61.0
    assert limiter.hit("a") is None
