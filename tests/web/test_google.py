"""Connecting Google Calendar through the web app, against the emulator over loopback HTTP
with the real google-auth-oauthlib flow, on both database backends: the OAuth round trip
with PKCE, choosing calendars, a wrong or replayed state, a refusal, an unticked scope,
incremental authorization for write-back, privacy mode, a revoked grant, and disconnect."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.google.client import RetryPolicy
from integrations.google.config import CALENDAR_LIST, FREEBUSY, READ, WRITE, for_emulator
from integrations.google.emulator import RunningEmulator
from integrations.google.emulator.seed import LENA, seed_demo
from integrations.google.writeback import event_id_for
from planner.store.models import BusyBlock, GoogleAccount, GoogleCalendar, Source
from planner.web import create_app
from planner.web.config import Config
from planner.web.db import sessions
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.test_client_support import consent
from tests.web.conftest import sign_up
from tests.web.test_proposals import Pair, confirm, make_pair, plan, post

NOW = datetime.now(UTC)
KEY = Fernet.generate_key().decode()


@pytest.fixture
def emulator(
    google_emulator: RunningEmulator,  # noqa: F811
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
) -> RunningEmulator:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    seed_demo(google_emulator.state, NOW, redirect_uris=(config.google_redirect_uri,))
    return google_emulator


@pytest.fixture
def google_app(config: Config, emulator: RunningEmulator) -> Iterator[Flask]:
    seeded = emulator.state.clients
    client_id = next(iter(seeded))
    app = create_app(
        replace(
            config,
            secret_keys=(KEY,),
            google_client_id=client_id,
            google_client_secret=seeded[client_id].client_secret,
            google_endpoints=for_emulator(emulator.base_url),
        )
    )
    app.extensions["planner.google_policy"] = RetryPolicy(sleep=lambda _: None, random=lambda: 0.0)
    yield app
    app.extensions["planner.engine"].dispose()


@pytest.fixture
def lena(google_app: Flask) -> FlaskClient:
    client = google_app.test_client()
    sign_up(client, "Lena")
    return client


def start(client: FlaskClient, **form: str) -> str:
    """Press "Connect Google Calendar"; the consent URL the app redirects to."""
    response = client.post("/sources/google/connect", data=form)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def callback(client: FlaskClient, config: Config, params: dict[str, str]) -> str:
    """Follow Google's redirect back into the app; the app's next location."""
    path = urllib.parse.urlsplit(config.google_redirect_uri).path
    response = client.get(path, query_string=params)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def connect(client: FlaskClient, config: Config, **form: str) -> str:
    return callback(client, config, consent(start(client, **form), user=LENA,
                                            redirect_uri=config.google_redirect_uri))  # fmt: skip


def with_google(app: Flask, config: Config, session: Session, **form: str) -> Pair:
    """Lena and Sam as a couple, Lena with her main Google calendar connected (``form``:
    the connect options)."""
    pair = make_pair(app, session)
    connect(pair.lena, config, **form)
    pair.lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    return pair


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def account(app: Flask) -> GoogleAccount | None:
    with app.app_context(), sessions()() as session:
        return session.scalar(select(GoogleAccount))


def google_sources(app: Flask) -> dict[str, int]:
    """Google calendar id -> number of busy blocks."""
    with app.app_context(), sessions()() as session:
        rows = session.execute(
            select(GoogleCalendar.calendar_id, Source.id)
            .join(Source, Source.id == GoogleCalendar.source_id)
        ).all()  # fmt: skip
        count = {
            cid: len(session.scalars(select(BusyBlock).where(BusyBlock.source_id == sid)).all())
            for cid, sid in rows
        }
    return count


def live_refresh_tokens(emulator: RunningEmulator) -> list[str]:
    return [t.token for t in emulator.state.refresh_tokens.values() if not t.revoked]


def test_connect_asks_least_privilege_with_pkce(lena: FlaskClient) -> None:
    asked = query(start(lena))
    assert set(asked["scope"].split()) == {CALENDAR_LIST, READ}
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["access_type"] == "offline" and asked["include_granted_scopes"] == "true"
    assert asked["login_hint"] == "lena@example.com" and asked["state"]
    private = query(start(lena, privacy="on", write_back="on"))
    assert set(private["scope"].split()) == {CALENDAR_LIST, FREEBUSY, WRITE}


def test_round_trip_choose_calendars_and_sync(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    assert connect(lena, config) == "/sources/google/calendars"
    stored = account(google_app)
    assert stored is not None and stored.refresh_token is not None
    assert live_refresh_tokens(emulator)[0].encode() not in stored.refresh_token  # encrypted
    page = lena.get("/sources/google/calendars")
    assert "Team holidays" in page.text and LENA in page.text
    holidays = next(c.id for c in emulator.state.calendars.values() if c.summary == "Team holidays")
    response = lena.post("/sources/google/calendars", data={"calendar": [LENA, holidays]})
    assert response.status_code == 303
    blocks = google_sources(google_app)
    assert set(blocks) == {LENA, holidays} and blocks[LENA] > 5
    page = lena.get("/calendars")
    assert "Connected" in page.text and "2 calendars counting" in page.text
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    assert set(google_sources(google_app)) == {LENA}


def test_a_calendar_not_in_the_account_is_refused(
    lena: FlaskClient, google_app: Flask, config: Config
) -> None:
    connect(lena, config)
    response = lena.post("/sources/google/calendars", data={"calendar": ["someone@else.org"]})
    assert response.status_code == 303
    assert "not in your Google account" in lena.get(response.headers["Location"]).text
    assert google_sources(google_app) == {}


def test_wrong_state_is_refused_and_the_answer_cannot_be_replayed(
    lena: FlaskClient, google_app: Flask, config: Config
) -> None:
    params = consent(start(lena), user=LENA, redirect_uri=config.google_redirect_uri)
    path = urllib.parse.urlsplit(config.google_redirect_uri).path
    forged = lena.get(path, query_string={**params, "state": "forged"})
    assert forged.status_code == 400 and "does not belong" in forged.text
    again = lena.get(path, query_string=params)  # the pending record was used up
    assert again.status_code == 400 and "No connection to Google is in progress" in again.text
    assert account(google_app) is None


def test_cancel_on_the_consent_page(lena: FlaskClient, google_app: Flask, config: Config) -> None:
    params = consent(start(lena), user=LENA, decision="deny",
                     redirect_uri=config.google_redirect_uri)  # fmt: skip
    assert callback(lena, config, params) == "/calendars"
    assert "You cancelled" in lena.get("/calendars").text
    assert account(google_app) is None


def test_unticked_read_scope_connects_nothing_and_revokes(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    params = consent(start(lena), user=LENA, untick=[READ],
                     redirect_uri=config.google_redirect_uri)  # fmt: skip
    assert callback(lena, config, params) == "/calendars"
    assert "leave that box ticked" in lena.get("/calendars").text
    assert account(google_app) is None and live_refresh_tokens(emulator) == []


def test_unticked_calendar_list_falls_back_to_the_main_calendar(
    lena: FlaskClient, google_app: Flask, config: Config
) -> None:
    params = consent(start(lena), user=LENA, untick=[CALENDAR_LIST],
                     redirect_uri=config.google_redirect_uri)  # fmt: skip
    assert callback(lena, config, params) == "/calendars"
    assert "only your main calendar counts" in lena.get("/calendars").text
    assert list(google_sources(google_app)) == ["primary"]
    assert google_sources(google_app)["primary"] > 5


def test_write_back_asks_for_the_write_scope_incrementally(
    lena: FlaskClient, google_app: Flask, config: Config
) -> None:
    connect(lena, config)
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    response = lena.post("/sources/google/settings", data={"write_back": "on"})
    assert response.status_code == 303
    asked = query(response.headers["Location"])
    assert WRITE in asked["scope"].split() and asked["include_granted_scopes"] == "true"
    params = consent(response.headers["Location"], user=LENA,
                     redirect_uri=config.google_redirect_uri)  # fmt: skip
    assert callback(lena, config, params) == "/calendars"
    stored = account(google_app)
    assert stored is not None and stored.write_back
    assert {READ, WRITE, CALENDAR_LIST} <= set(stored.scopes.split())
    lena.post("/sources/google/settings", data={})
    stored = account(google_app)
    assert stored is not None and not stored.write_back


def test_unticked_write_scope_leaves_write_back_off(
    lena: FlaskClient, google_app: Flask, config: Config
) -> None:
    url = start(lena, write_back="on")
    params = consent(url, user=LENA, untick=[WRITE], redirect_uri=config.google_redirect_uri)
    callback(lena, config, params)
    stored = account(google_app)
    assert stored is not None and not stored.write_back
    assert "Write-back stays off" in lena.get("/sources/google/calendars").text


def test_privacy_mode_reads_free_busy_only(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    connect(lena, config, privacy="on")
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    assert google_sources(google_app)[LENA] > 3
    with google_app.app_context(), sessions()() as session:
        titles = set(session.scalars(select(BusyBlock.title)))
    assert titles == {None}
    paths = {e.path for e in emulator.admin.log()}
    assert any(p.endswith("/freeBusy") for p in paths)
    assert not any("/events" in p for p in paths)


def test_switching_privacy_mode_revokes_the_old_grant(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    connect(lena, config)
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    response = lena.post("/sources/google/settings", data={"privacy": "on"})
    assert live_refresh_tokens(emulator) == []
    assert set(query(response.headers["Location"])["scope"].split()) == {CALENDAR_LIST, FREEBUSY}
    params = consent(response.headers["Location"], user=LENA,
                     redirect_uri=config.google_redirect_uri)  # fmt: skip
    callback(lena, config, params)
    stored = account(google_app)
    assert stored is not None and stored.privacy and READ not in stored.scopes.split()
    assert list(google_sources(google_app)) == [LENA]


def test_a_revoked_grant_shows_reconnect_needed(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    connect(lena, config)
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    before = google_sources(google_app)[LENA]
    emulator.admin.revoke_refresh_tokens(LENA)
    lena.post("/calendars/sync")
    page = lena.get("/calendars").text
    assert "Reconnect needed" in page and "Connect Google again" in page
    assert google_sources(google_app)[LENA] == before  # stale, never free
    stored = account(google_app)
    assert stored is not None and stored.refresh_token is None


def test_disconnect_revokes_and_deletes(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    connect(lena, config)
    lena.post("/sources/google/calendars", data={"calendar": [LENA]})
    response = lena.post("/sources/google/disconnect")
    assert response.status_code == 303
    assert "no longer have access" in lena.get("/calendars").text
    assert live_refresh_tokens(emulator) == []
    assert account(google_app) is None and google_sources(google_app) == {}


def test_without_a_google_client_the_routes_are_absent(client: FlaskClient) -> None:
    sign_up(client, "Sam")
    assert client.post("/sources/google/connect").status_code == 404
    assert "Connect Google Calendar" not in client.get("/calendars").text


def test_a_confirmed_connection_is_written_to_google_and_removed_on_cancel(
    google_app: Flask, config: Config, emulator: RunningEmulator, session: Session
) -> None:
    pair = with_google(google_app, config, session, write_back="on")
    conn = confirm(pair, session, plan(pair, session)[0].id)
    event = emulator.admin.event(LENA, event_id_for(conn.uid))
    assert event is not None and event["status"] == "confirmed"
    assert event["start"]["dateTime"].startswith(conn.start.strftime("%Y-%m-%d"))
    post(pair.sam, f"/connections/{conn.id}/cancel")
    gone = emulator.admin.event(LENA, event_id_for(conn.uid))
    assert gone is None or gone["status"] == "cancelled"


def test_the_api_after_connecting_in_the_browser(
    lena: FlaskClient, google_app: Flask, config: Config, emulator: RunningEmulator
) -> None:
    state = lena.get("/api/v1/google").json
    assert state["available"] and not state["connected"]
    assert state["connect_url"].endswith("/calendars#google")
    assert lena.get("/api/v1/google/calendars").status_code == 409
    connect(lena, config)
    listed = lena.get("/api/v1/google/calendars").json["calendars"]
    assert [c["id"] for c in listed if c["primary"]] == [LENA]
    bad = lena.put("/api/v1/google/calendars", json={"calendars": ["nope@example.org"]})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "calendars"
    chosen = lena.put("/api/v1/google/calendars", json={"calendars": [LENA]}).json
    assert [c["id"] for c in chosen["calendars"] if c["chosen"]] == [LENA]
    assert google_sources(google_app)[LENA] > 5
    refused = lena.patch("/api/v1/google", json={"write_back": True})
    assert refused.status_code == 409 and "write-back ticked" in refused.json["error"]["message"]
    emulator.admin.fail(503, path="/calendar/v3/users/me/calendarList", times=5)
    assert lena.get("/api/v1/google/calendars").status_code == 502
    assert lena.delete("/api/v1/google").json == {"revoked": True}
    assert lena.get("/api/v1/google").json["connected"] is False


def test_issue_written_back_connection_does_not_clash_with_itself(
    google_app: Flask, config: Config, emulator: RunningEmulator, session: Session
) -> None:
    pair = with_google(google_app, config, session, write_back="on")
    conn = confirm(pair, session, plan(pair, session)[0].id)
    assert emulator.admin.event(LENA, event_id_for(conn.uid)) is not None
    pair.lena.post("/calendars/sync")
    session.refresh(conn)
    session.commit()
    assert conn.status == "confirmed"


def test_write_back_notes_are_shown_and_dismissed(
    google_app: Flask, config: Config, emulator: RunningEmulator, session: Session
) -> None:
    pair = with_google(google_app, config, session, write_back="on")
    emulator.admin.fail(500, path="/calendar/v3/calendars/*/events", method="POST", times=5)
    conn = confirm(pair, session, plan(pair, session)[0].id)
    session.refresh(conn)
    session.commit()
    assert conn.status == "confirmed"  # a failed write-back never undoes the confirmation
    page = pair.lena.get("/calendars").text
    assert "Write-back notes" in page and "could not be written to your Google calendar" in page
    pair.lena.post("/sources/google/issues/clear")
    assert "Write-back notes" not in pair.lena.get("/calendars").text


def test_issue_privacy_mode_connection_does_not_clash_with_its_written_back_copy(
    google_app: Flask, config: Config, emulator: RunningEmulator, session: Session
) -> None:
    pair = with_google(google_app, config, session, privacy="on", write_back="on")
    conn = confirm(pair, session, plan(pair, session)[0].id)
    assert emulator.admin.event(LENA, event_id_for(conn.uid)) is not None
    pair.lena.post("/calendars/sync")
    session.refresh(conn)
    session.commit()
    assert conn.status == "confirmed"
    longer = conn.start + (conn.end - conn.start) * 2
    clash = {
        "id": "clash1",
        "summary": "Board call",
        "start": {"dateTime": conn.start.isoformat()},
        "end": {"dateTime": longer.isoformat()},
    }
    emulator.admin.add_event(LENA, clash)
    pair.lena.post("/calendars/sync")
    session.refresh(conn)
    session.commit()
    assert conn.status == "conflicted"  # a meeting reaching past it still counts
