"""A Google Calendar v3 + OAuth 2.0 emulator for tests and the demo.

It answers at Google's paths below one base URL (``/o/oauth2/v2/auth``, ``/token``,
``/revoke``, ``/calendar/v3/...``) in Google's JSON shapes, keeps everything in memory,
and can inject faults (errors, delays, dropped answers, short pages) through
``/_emulator`` or :class:`EmulatorAdmin`::

    running = start_emulator()              # a free port on 127.0.0.1, in a thread
    running.admin.add_user("lena@example.org", time_zone="Europe/Berlin")
    running.admin.fail(503, path="*/events")
    ...
    running.stop()
"""

from integrations.google.emulator.admin import EmulatorAdmin
from integrations.google.emulator.app import create_emulator
from integrations.google.emulator.faults import Fault, LogEntry
from integrations.google.emulator.seed import seed_demo
from integrations.google.emulator.server import RunningEmulator, start_emulator
from integrations.google.emulator.state import EmulatorState

__all__ = [
    "EmulatorAdmin",
    "EmulatorState",
    "Fault",
    "LogEntry",
    "RunningEmulator",
    "create_emulator",
    "seed_demo",
    "start_emulator",
]
