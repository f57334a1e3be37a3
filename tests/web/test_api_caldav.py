"""API: CalDAV accounts under /api/v1/caldav against a real Radicale on loopback (connect,
choose and sync, disconnect, dismiss notes), the refusals with the field at fault, an app
password that never comes back, and other partners' accounts. Both backends."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from planner.store.models import WriteBackIssue
from planner.web import create_app
from planner.web.config import Config
from tests.integrations.caldav.conftest import (  # noqa: F401 - the fixture
    PASSWORD,
    USER,
    RunningRadicale,
    radicale,
)
from tests.web.conftest import sign_up
from tests.web.test_caldav import KEY, browser, caldav_app, work  # noqa: F401 - fixtures

API = "/api/v1/caldav"


def connect(client: FlaskClient, server: str, password: str = PASSWORD, **extra: object):  # type: ignore[no-untyped-def]
    body = {"server_url": server, "username": USER, "app_password": password, **extra}
    return client.post(API, json=body)


def test_connect_choose_sync_and_disconnect(
    browser: FlaskClient,  # noqa: F811
    radicale: RunningRadicale,  # noqa: F811
    work: str,  # noqa: F811
) -> None:
    assert browser.get(API).json == {"available": True, "accounts": [], "issues": []}
    created = connect(browser, radicale.url)
    assert created.status_code == 201, created.text
    account = created.json
    assert (account["server_url"], account["username"], account["write_url"]) == (
        radicale.url, USER, None
    )  # fmt: skip
    assert account["calendars"] == [
        {"url": work, "name": "Work", "writable": True, "chosen": False, "write": False}
    ]
    assert PASSWORD not in created.text and "password" not in account

    path = f"{API}/{account['id']}/calendars"
    chosen = browser.put(path, json={"calendars": [work], "write_url": work})
    assert chosen.status_code == 200, chosen.text
    (calendar,) = chosen.json["account"]["calendars"]
    assert (calendar["chosen"], calendar["write"]) == (True, True)
    assert chosen.json["account"]["write_url"] == work
    (synced,) = chosen.json["synced"]
    assert synced["outcome"] == "ok" and synced["blocks"] > 0, synced
    listed = browser.get("/api/v1/calendars").json["calendars"]
    assert [(c["id"], c["kind"], c["blocks"]) for c in listed] == [
        (synced["id"], "caldav", synced["blocks"])
    ]
    assert browser.put(path, json={"calendars": [work]}).json["synced"] == []  # nothing new
    assert browser.get(API).json["accounts"][0]["write_url"] is None

    assert browser.delete(f"{API}/{account['id']}").status_code == 204
    assert browser.get(API).json["accounts"] == []
    assert browser.get("/api/v1/calendars").json["calendars"] == []
    assert browser.delete(f"{API}/{account['id']}").status_code == 404


def test_refusals_name_the_field_and_never_echo_the_password(
    browser: FlaskClient,  # noqa: F811
    radicale: RunningRadicale,  # noqa: F811
    work: str,  # noqa: F811
) -> None:
    wrong = "wrong-app-password-9876"
    for response, field in [
        (connect(browser, radicale.url, password=wrong), "app_password"),
        (connect(browser, radicale.url, password=""), "app_password"),
        (connect(browser, ""), "server_url"),
        (connect(browser, "not a url"), "server_url"),
        (connect(browser, radicale.url, password="x" * 2000), "app_password"),
        (connect(browser, radicale.url, extra="x"), "extra"),
    ]:
        assert response.status_code == 422, response.text
        assert response.json["error"]["field"] == field and response.json["error"]["message"]
        assert wrong not in response.text and "x" * 100 not in response.text
    assert browser.get(API).json["accounts"] == []

    account_id = connect(browser, radicale.url).json["id"]
    path = f"{API}/{account_id}/calendars"
    for body, field in [
        ({"calendars": ["http://127.0.0.1:1/other/"]}, "calendars"),
        ({"calendars": []}, "calendars"),  # neither counting nor written to: disconnect instead
        ({"calendars": [work], "write_url": "http://127.0.0.1:1/x/"}, "calendars"),
    ]:
        response = browser.put(path, json=body)
        assert (response.status_code, response.json["error"]["field"]) == (422, field), body


def test_another_partners_account_is_not_found(
    caldav_app: Flask,  # noqa: F811
    browser: FlaskClient,  # noqa: F811
    radicale: RunningRadicale,  # noqa: F811
    work: str,  # noqa: F811
) -> None:
    account_id = connect(browser, radicale.url).json["id"]
    sam = caldav_app.test_client()
    sign_up(sam, "sam")
    assert sam.get(API).json["accounts"] == []
    assert sam.put(f"{API}/{account_id}/calendars", json={"calendars": [work]}).status_code == 404
    assert sam.delete(f"{API}/{account_id}").status_code == 404
    assert len(browser.get(API).json["accounts"]) == 1


def test_a_private_address_is_refused_without_the_allow_list(
    config: Config,
    radicale: RunningRadicale,  # noqa: F811
    work: str,  # noqa: F811
) -> None:
    app = create_app(replace(config, secret_keys=(KEY,)))
    client = app.test_client()
    sign_up(client, "lena")
    before = len(radicale.requests)
    response = connect(client, radicale.url)
    assert response.status_code == 422 and response.json["error"]["field"] == "server_url"
    assert len(radicale.requests) == before  # nothing was sent
    app.extensions["planner.engine"].dispose()


def test_without_secret_keys_caldav_is_unavailable(client: FlaskClient) -> None:
    sign_up(client, "lena")
    assert client.get(API).json == {"available": False, "accounts": [], "issues": []}
    response = connect(client, "https://caldav.example.org/")
    assert response.status_code == 404 and "PLANNER_SECRET_KEYS" in response.text
    put = client.put(f"{API}/1/calendars", json={"calendars": []})
    assert put.status_code == 404


def test_write_back_notes_are_listed_and_dismissed(
    browser: FlaskClient,  # noqa: F811
    session: Session,
    radicale: RunningRadicale,  # noqa: F811
    work: str,  # noqa: F811
) -> None:
    connect(browser, radicale.url)
    user_id = browser.get("/api/v1/me").json["id"]
    note = "Date night could not be written."
    session.add(WriteBackIssue(user_id=user_id, connection_uid="u", kind="caldav_failed",
                               message=note))  # fmt: skip
    session.add(WriteBackIssue(user_id=user_id, connection_uid="u", kind="failed",
                               message="A Google note."))  # fmt: skip
    session.commit()
    (issue,) = browser.get(API).json["issues"]
    assert (issue["kind"], issue["message"]) == (
        "caldav_failed",
        "Date night could not be written.",
    )
    assert issue["created_at"].endswith("Z")
    assert browser.delete(f"{API}/issues").status_code == 204
    assert browser.get(API).json["issues"] == []
