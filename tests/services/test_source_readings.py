"""The services read every kind through :mod:`integrations.sources`: what a reading says
reaches the sync result (a Google calendar with no changes is "not modified", as an ICS
link answering 304 is), on both database backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from integrations.google.emulator import RunningEmulator
from planner.services.google_sources import GoogleSettings
from tests.integrations.google.conftest import google_emulator  # noqa: F401
from tests.integrations.google.test_client_support import USER, timed
from tests.services.test_google import DAY, connected, emulator, settings, sync  # noqa: F401


def test_a_google_calendar_without_changes_is_not_modified(
    session: Session,
    emulator: RunningEmulator,  # noqa: F811
    settings: GoogleSettings,  # noqa: F811
) -> None:
    emulator.admin.add_event(USER, timed("meet01", DAY))
    _, source_id = connected(session, emulator)
    assert sync(session, source_id, settings).outcome == "ok"
    again = sync(session, source_id, settings, days=1)
    assert again.outcome == "not_modified" and again.ok and again.blocks == 1
    assert again.message.endswith("unchanged, 1 busy blocks.")
    emulator.admin.add_event(USER, timed("meet02", DAY + timedelta(hours=3)))
    changed = sync(session, source_id, settings, days=1)
    assert changed.outcome == "ok" and changed.blocks == 2
