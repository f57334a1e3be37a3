"""The newcomer's path in a real browser: Debian's chromium driven by Playwright.

Two people sign up, pair through the invite link, upload their calendars, plan, both accept
a proposal, and the confirmed connection appears in the feed their calendar apps fetch.
Every page is saved as a screenshot at a laptop and a phone width (``build/screenshots``,
or ``PLANNER_SCREENSHOTS``). Skips, saying why, when chromium or Playwright is absent.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from icalendar import Calendar

from tests.browser.conftest import PASSWORD, serve, shoot, sync_api
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app (CSRF on) on a free loopback port, with a fresh SQLite database."""
    with serve(tmp_path_factory.mktemp("browser")) as base:
        yield base


def sign_up(page: sync_api.Page, base: str, name: str, zone: str) -> None:
    page.goto(f"{base}/signup")
    shoot(page, "signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(f"{name.lower()}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Time zone").fill(zone)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/")


def upload(page: sync_api.Page, base: str, calendar: str, shot: str) -> None:
    page.goto(f"{base}/calendars")
    page.get_by_label("Calendar file (.ics)").set_input_files(str(ROOT / "examples" / calendar))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert calendar in page.content() or "Synced" in page.content()
    shoot(page, shot)


def first_accept_action(page: sync_api.Page, base: str) -> str:
    """The accept form of the first proposal in the coming weeks, visiting week by week."""
    page.goto(f"{base}/week")
    page.get_by_role("button", name="Plan my weeks").first.click()
    page.wait_for_load_state()
    shoot(page, "week-planned")
    for _ in range(5):
        forms = page.locator("form[action$='/accept']")
        if forms.count():
            return str(forms.first.get_attribute("action"))
        page.get_by_role("link", name="Next →").first.click()
        page.wait_for_load_state()
    raise AssertionError("no proposal in the next five weeks")


def test_two_partners_find_and_protect_time_together(
    server: str, browser: sync_api.Browser
) -> None:
    lena, sam = browser.new_page(), browser.new_page()
    sign_up(lena, server, "Lena", "Europe/Berlin")
    shoot(lena, "home-new")
    lena.goto(f"{server}/couple")
    lena.get_by_role("button", name="Create our couple").click()
    link = lena.locator("#invite-link").input_value()
    shoot(lena, "couple-invite")

    sign_up(sam, server, "Sam", "America/New_York")
    sam.goto(link)
    shoot(sam, "join")
    sam.get_by_role("button", name="Join Lena").click()
    sam.wait_for_load_state()
    assert "Lena" in sam.content()

    upload(lena, server, "lena-berlin.ics", "calendars-lena")
    upload(sam, server, "sam-newyork.ics", "calendars-sam")
    assert "Climbing" not in sam.content(), "Sam must never see Lena's titles"

    action = first_accept_action(lena, server)
    lena.locator(f"form[action='{action}'] button").click()
    lena.wait_for_load_state()
    assert "waiting for Sam" in lena.content()
    shoot(lena, "week-accepted")

    sam.goto(server + lena.url.removeprefix(server))
    sam.locator(f"form[action='{action}'] button").click()
    sam.wait_for_load_state()
    assert "Climbing" not in sam.content()
    shoot(sam, "week-confirmed")

    lena.goto(f"{server}/feed")
    lena.get_by_role("button", name="Make our feed link").click()
    feed_url = lena.locator("#feed-link").inner_text().strip().replace("webcal://", "http://")
    shoot(lena, "feed")
    with urllib.request.urlopen(feed_url, timeout=10) as response:
        calendar = Calendar.from_ical(response.read())
    events = calendar.walk("VEVENT")
    assert [e["STATUS"] for e in events] == ["CONFIRMED"]
    lena.goto(f"{server}/")
    shoot(lena, "home-paired")
