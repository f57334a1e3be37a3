"""Finding a user's calendars from a server address, and a calendar's change markers.

Discovery (RFC 4791 §6, RFC 5397, RFC 6764 §5 without DNS SRV lookups): the address the user
gave, or ``/.well-known/caldav`` on its host, answers a PROPFIND with the
``current-user-principal``; the principal names its ``calendar-home-set``; a Depth 1 PROPFIND
there lists the calendars with their name, the components they take, their change markers
(CalendarServer ``getctag``, RFC 6578 ``sync-token``) and the user's privileges on them.
An address that is itself a calendar is taken as the only calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from integrations.caldav import xml
from integrations.caldav.client import Client
from integrations.ics.transport import FetchFailed

MAX_CALENDARS = 200
CALENDAR_PROPS = (
    xml.RESOURCETYPE,
    xml.DISPLAYNAME,
    xml.COMPONENTS,
    xml.CTAG,
    xml.SYNC_TOKEN,
    xml.PRIVILEGES,
)
START_PROPS = (xml.PRINCIPAL, xml.HOME_SET, *CALENDAR_PROPS)
WRITE_PRIVILEGES = frozenset({xml.name("d", "all"), xml.name("d", "write"), xml.name("d", "bind")})
NOT_HERE = frozenset({200, 400, 404, 405, 501})  # no multistatus there: try the other
NO_CALDAV = "this address does not lead to CalDAV calendars"


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar that holds events: its absolute URL, name, change markers, and whether
    the user may add events to it (True when the server does not say)."""

    url: str
    name: str
    ctag: str | None
    sync_token: str | None
    writable: bool


@dataclass(frozen=True)
class Discovery:
    """What a server told us: where the calendars live and which hold events."""

    home_url: str
    calendars: tuple[CalendarInfo, ...]


@dataclass(frozen=True)
class CalendarState:
    """A calendar's change markers; both None when the server offers neither."""

    ctag: str | None
    sync_token: str | None

    @property
    def known(self) -> bool:
        """True when there is a marker to compare."""
        return self.ctag is not None or self.sync_token is not None


def discover(client: Client, url: str) -> Discovery:
    """The calendars reachable from ``url`` with the client's credentials (see the module
    docstring). :class:`FetchFailed` (kind ``unsupported``) when none can be found there."""
    start = _start(client, url)
    if xml.has_child(start, xml.RESOURCETYPE, xml.CALENDAR):
        info = calendar_info(start)
        return Discovery(start.url, (info,) if info else ())
    home = start.href(xml.HOME_SET) or _home_of(client, start.href(xml.PRINCIPAL))
    listed = client.propfind(home, CALENDAR_PROPS, depth="1")
    found = [info for item in listed if (info := calendar_info(item)) is not None]
    return Discovery(home, tuple(found[:MAX_CALENDARS]))


def _start(client: Client, url: str) -> xml.DavResponse:
    """The first address (the user's, or the well-known one) that answers as CalDAV."""
    well_known = urljoin(url, "/.well-known/caldav")
    bare = urlsplit(url).path in ("", "/")
    failure: FetchFailed | None = None
    for candidate in (well_known, url) if bare else (url, well_known):
        try:
            found = client.propfind(candidate, START_PROPS, follow=True)
        except FetchFailed as error:
            if error.kind == "auth" or error.status not in NOT_HERE:
                raise
            failure = error
            continue
        for item in found:
            if item.props.keys() & {xml.PRINCIPAL, xml.HOME_SET, xml.RESOURCETYPE}:
                return item
    raise FetchFailed(NO_CALDAV, kind="unsupported", status=failure.status if failure else None)


def _home_of(client: Client, principal: str | None) -> str:
    """The calendar home of ``principal``."""
    if principal is None:
        raise FetchFailed(NO_CALDAV, kind="unsupported")
    for item in client.propfind(principal, (xml.HOME_SET,)):
        home = item.href(xml.HOME_SET)
        if home:
            return home
    raise FetchFailed(NO_CALDAV, kind="unsupported")


def calendar_info(item: xml.DavResponse) -> CalendarInfo | None:
    """The calendar a PROPFIND response describes, or None when it is not a calendar that
    takes events (a folder, a task list, an address book)."""
    if not xml.has_child(item, xml.RESOURCETYPE, xml.CALENDAR):
        return None
    components = xml.components(item)
    if components is not None and "VEVENT" not in components:
        return None
    privileges = xml.privileges(item)
    writable = privileges is None or bool(privileges & WRITE_PRIVILEGES)
    name = " ".join((item.text(xml.DISPLAYNAME) or _last_segment(item.url)).split())[:200]
    ctag, token = item.text(xml.CTAG), item.text(xml.SYNC_TOKEN)
    return CalendarInfo(item.url, name or "Calendar", ctag, token, writable)


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])


def calendar_state(client: Client, url: str) -> CalendarState:
    """The change markers of the calendar at ``url``: one small Depth 0 PROPFIND."""
    found = client.propfind(url, (xml.CTAG, xml.SYNC_TOKEN))
    mine = [item for item in found if xml.same_resource(item.url, url)] or found[:1]
    if not mine:
        return CalendarState(None, None)
    return CalendarState(mine[0].text(xml.CTAG), mine[0].text(xml.SYNC_TOKEN))
