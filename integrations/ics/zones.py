"""TZID -> tzinfo, the way icalendar resolves it, but without its process-wide cache.

Order (icalendar's ``TZP._lookup_ids``): the TZID itself, its Olson name if it is a Windows
name ("W. Europe Standard Time"), the Olson tail of a globally unique TZID ("/vendor/Europe/
Berlin", RFC 5545 §3.2.19). A VTIMEZONE in the file is used only for TZIDs that are not
IANA names, like icalendar does. Unknown TZIDs give ``None``: the time is read as floating.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from datetime import tzinfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON


@functools.lru_cache(maxsize=1024)
def iana_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone called ``name``, or ``None``."""
    if not name or name.startswith("/") or ".." in name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _lookup_ids(tzid: str) -> Iterator[str]:
    cleaned = tzid.strip("/")
    yield cleaned
    if cleaned in WINDOWS_TO_OLSON:
        yield WINDOWS_TO_OLSON[cleaned]
    if tzid.startswith("/"):
        parts = cleaned.split("/")
        for start in range(1, len(parts)):
            yield "/".join(parts[start:])
    yield tzid


class ZoneResolver:
    """Resolves the TZIDs of one calendar, caching each answer."""

    def __init__(self, vtimezones: list[str], warnings: list[str]) -> None:
        self._custom: dict[str, tzinfo] = {}
        self._cache: dict[str, tzinfo | None] = {}
        self._warnings = warnings
        for text in vtimezones:
            self._add_custom(text)

    def _add_custom(self, text: str) -> None:
        try:
            component = icalendar.Timezone.from_ical(text)
            if not isinstance(component, icalendar.Timezone):
                raise ValueError("not a VTIMEZONE")
            tzid = str(component["TZID"]).strip("/")
            if iana_zone(tzid) is None and tzid not in self._custom:
                self._custom[tzid] = component.to_tz(lookup_tzid=False)
        except Exception as error:
            self._warnings.append(f"VTIMEZONE could not be read ({error}); its times float")

    def resolve(self, tzid: str) -> tzinfo | None:
        """The tzinfo for ``tzid`` or ``None`` when nothing known matches it."""
        if tzid in self._cache:
            return self._cache[tzid]
        found: tzinfo | None = None
        for candidate in _lookup_ids(tzid):
            found = self._custom.get(candidate) or iana_zone(candidate)
            if found is not None:
                break
        if found is None:
            self._warnings.append(f"unknown time zone {tzid!r}: its times are read as floating")
        self._cache[tzid] = found
        return found
