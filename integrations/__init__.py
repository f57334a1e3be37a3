"""Adapters to the outside world: iCalendar, Google, CalDAV, mail."""
