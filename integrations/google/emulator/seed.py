"""A realistic demo calendar, placed in the weeks after a given ``now``.

Lena (Europe/Berlin) gets a weekday stand-up series with one moved and one cancelled
instance, a weekly 1:1 with an EXDATE, an all-day trip, a meeting she declined, a focus
time block, an office working location, an out-of-office afternoon and a transparent
reminder; a read-only "Team holidays" calendar too. Sam (America/New_York) gets a
lighter week. One OAuth client is registered for the demo.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from integrations.google.emulator.admin import EmulatorAdmin
from integrations.google.emulator.state import EmulatorState

DEMO_CLIENT_ID = "planner-demo.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_REDIRECT_URIS = (
    "http://127.0.0.1:5000/sources/google/callback",
    "http://localhost:5000/sources/google/callback",
)
LENA, SAM = "lena@example.com", "sam@example.com"  # the demo couple of planner.services.demo


def _at(day: date, hour: int, minute: int, zone: str) -> dict[str, Any]:
    moment = datetime.combine(day, time(hour, minute), ZoneInfo(zone))
    return {"dateTime": moment.isoformat(), "timeZone": zone}


def _stamp(day: date, hour: int, minute: int, zone: str) -> str:
    moment = datetime.combine(day, time(hour, minute), ZoneInfo(zone))
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def seed_demo(
    state: EmulatorState, now: datetime, redirect_uris: tuple[str, ...] = DEMO_REDIRECT_URIS
) -> dict[str, Any]:
    """Load the demo users, calendars, events and client; returns their ids."""
    admin = EmulatorAdmin(state)
    admin.register_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, list(redirect_uris))
    admin.add_user(LENA, "Lena", "Europe/Berlin")
    admin.add_user(SAM, "Sam", "America/New_York")
    berlin = now.astimezone(ZoneInfo("Europe/Berlin")).date()
    monday = berlin + timedelta(days=7 - berlin.weekday())
    for event in _lena_events(monday):
        admin.add_event(LENA, event)
    holidays = admin.add_calendar(LENA, "team-holidays@group.calendar.google.com", "Team holidays")
    admin.add_event(holidays.id, _all_day("teamoffsite", "Team offsite", monday + timedelta(9), 1))
    for event in _sam_events(monday):
        admin.add_event(SAM, event)
    return {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "users": [LENA, SAM],
        "calendars": [LENA, holidays.id, SAM],
        "first_monday": monday.isoformat(),
    }


def _all_day(event_id: str, summary: str, day: date, days: int) -> dict[str, Any]:
    end = day + timedelta(days=days)
    return {
        "id": event_id,
        "summary": summary,
        "start": {"date": day.isoformat()},
        "end": {"date": end.isoformat()},
        "transparency": "transparent",
    }


def _lena_events(monday: date) -> list[dict[str, Any]]:
    zone = "Europe/Berlin"
    tuesday, wednesday, thursday = (monday + timedelta(days=n) for n in (1, 2, 3))
    standup = {
        "id": "standup",
        "summary": "Team stand-up",
        "start": _at(monday, 9, 30, zone),
        "end": _at(monday, 9, 45, zone),
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=40"],
    }
    moved = {
        "id": f"standup_{_stamp(tuesday, 9, 30, zone)}",
        "recurringEventId": "standup",
        "originalStartTime": _at(tuesday, 9, 30, zone),
        "summary": "Team stand-up (moved)",
        "start": _at(tuesday, 11, 0, zone),
        "end": _at(tuesday, 11, 15, zone),
    }
    cancelled = {
        "id": f"standup_{_stamp(thursday, 9, 30, zone)}",
        "recurringEventId": "standup",
        "originalStartTime": _at(thursday, 9, 30, zone),
        "status": "cancelled",
        "start": _at(thursday, 9, 30, zone),
        "end": _at(thursday, 9, 45, zone),
    }
    second_thursday = thursday + timedelta(days=7)
    exdate = datetime.combine(second_thursday, time(15, 0)).strftime("%Y%m%dT%H%M%S")
    one_on_one = {
        "id": "oneonone",
        "summary": "1:1 with Mara",
        "start": _at(thursday, 15, 0, zone),
        "end": _at(thursday, 15, 30, zone),
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=8", f"EXDATE;TZID={zone}:{exdate}"],
    }
    trip = _all_day("lisbontrip", "Trip to Lisbon", monday + timedelta(days=11), 3)
    trip["transparency"] = "opaque"
    declined = {
        "id": "planningq3",
        "summary": "Quarterly planning",
        "start": _at(wednesday, 16, 0, zone),
        "end": _at(wednesday, 17, 30, zone),
        "attendees": [
            {"email": "boss@example.org", "organizer": True, "responseStatus": "accepted"},
            {"email": LENA, "responseStatus": "declined"},
        ],
    }
    focus = {
        "id": "focusblock",
        "summary": "Focus time",
        "eventType": "focusTime",
        "start": _at(wednesday, 13, 0, zone),
        "end": _at(wednesday, 15, 0, zone),
        "focusTimeProperties": {"autoDeclineMode": "declineOnlyNewConflictingInvitations"},
    }
    office = {
        **_all_day("officedesk", "Office", tuesday, 1),
        "eventType": "workingLocation",
        "visibility": "public",
        "workingLocationProperties": {"type": "officeLocation", "officeLocation": {}},
    }
    away = {
        "id": "outofoffice",
        "summary": "Out of office",
        "eventType": "outOfOffice",
        "start": _at(monday + timedelta(days=4), 13, 0, zone),
        "end": _at(monday + timedelta(days=4), 18, 0, zone),
    }
    reminder = {
        "id": "rentdue",
        "summary": "Pay rent",
        "transparency": "transparent",
        "start": _at(monday, 8, 0, zone),
        "end": _at(monday, 8, 15, zone),
    }
    return [standup, moved, cancelled, one_on_one, trip, declined, focus, office, away, reminder]


def _sam_events(monday: date) -> list[dict[str, Any]]:
    zone = "America/New_York"
    return [
        {
            "id": "climbing",
            "summary": "Climbing gym",
            "start": _at(monday + timedelta(days=1), 18, 30, zone),
            "end": _at(monday + timedelta(days=1), 20, 0, zone),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU,TH"],
        },
        {
            "id": "dinneranna",
            "summary": "Dinner with Anna",
            "start": _at(monday + timedelta(days=4), 19, 0, zone),
            "end": _at(monday + timedelta(days=4), 21, 0, zone),
        },
    ]
