"""Connecting Google Calendar in a real browser against the emulator, as `make run` offers it:
sign up, press "Connect Google Calendar", consent on the emulator's page, choose calendars,
and see Google's busy time on the Calendars page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from integrations.google.config import for_emulator
from integrations.google.emulator import RunningEmulator, start_emulator
from integrations.google.emulator.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, seed_demo
from tests.browser.conftest import PASSWORD, serve, shoot


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, emulator: RunningEmulator) -> Iterator[str]:
    settings = {
        "secret_keys": (Fernet.generate_key().decode(),),
        "google_client_id": DEMO_CLIENT_ID,
        "google_client_secret": DEMO_CLIENT_SECRET,
        "google_endpoints": for_emulator(emulator.base_url),
    }
    with serve(tmp_path_factory.mktemp("google"), **settings) as base:
        seed_demo(emulator.state, datetime.now(UTC), (f"{base}/sources/google/callback",))
        yield base


def test_connect_google_calendar_in_the_browser(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{server}/signup")
    page.get_by_label("Your name").fill("Lena")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/calendars")
    shoot(page, "google-connect")
    page.get_by_label("Add confirmed connection time to my Google Calendar").check()
    page.get_by_role("button", name="Connect Google Calendar").click()
    page.wait_for_load_state()
    assert "wants to access your Google Account" in page.content()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{server}/sources/google/calendars")
    shoot(page, "google-choose")
    page.get_by_label("Team holidays").check()
    page.get_by_role("button", name="Save and sync").click()
    page.wait_for_url(f"{server}/calendars")
    text = page.content()
    assert "Connected" in text and "2 calendars counting" in text and "write-back on" in text
    assert "Team stand-up" in text  # the owner sees her own titles
    shoot(page, "google-connected")
    page.close()
