"""WebDAV / CalDAV XML: the request bodies we send and the multistatus answers we read.

Bodies are built with :mod:`xml.etree.ElementTree` (building is safe); answers are parsed
with :mod:`defusedxml` only, which refuses DTDs, entity declarations and external
references, so a hostile server cannot expand entities or make us fetch anything.
Names are kept in Clark notation (``{DAV:}href``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
PREFIXES = {"d": DAV, "c": CALDAV, "cs": CS}


def name(prefix: str, local: str) -> str:
    """The Clark name ``{namespace}local`` of ``prefix:local`` (prefixes d, c, cs)."""
    return f"{{{PREFIXES[prefix]}}}{local}"


HREF = name("d", "href")
STATUS = name("d", "status")
RESPONSE = name("d", "response")
PROPSTAT = name("d", "propstat")
PROP = name("d", "prop")
RESOURCETYPE = name("d", "resourcetype")
DISPLAYNAME = name("d", "displayname")
PRINCIPAL = name("d", "current-user-principal")
PRIVILEGES = name("d", "current-user-privilege-set")
SYNC_TOKEN = name("d", "sync-token")
GETETAG = name("d", "getetag")
HOME_SET = name("c", "calendar-home-set")
COMPONENTS = name("c", "supported-calendar-component-set")
CALENDAR = name("c", "calendar")
CALENDAR_DATA = name("c", "calendar-data")
CTAG = name("cs", "getctag")


class UnreadableXml(ValueError):
    """The server's answer is not well-formed, or not the XML we asked for."""


@dataclass(frozen=True)
class DavResponse:
    """One ``<response>`` of a multistatus: the resource's absolute URL, its own status (if
    the server gave one) and the properties it found (status 200), by Clark name."""

    url: str
    status: int | None
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, prop: str) -> str | None:
        """The text of a found property, stripped (None when missing or empty)."""
        element = self.props.get(prop)
        text = "".join(element.itertext()).strip() if element is not None else ""
        return text or None

    def href(self, prop: str) -> str | None:
        """The first ``<href>`` inside a found property, as an absolute URL."""
        element = self.props.get(prop)
        found = element.find(HREF) if element is not None else None
        text = (found.text or "").strip() if found is not None else ""
        return urljoin(self.url, text) if text else None

    def children(self, prop: str) -> list[ET.Element]:
        """The child elements of a found property."""
        element = self.props.get(prop)
        return list(element) if element is not None else []


def _xml(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _root(prefix: str, local: str) -> ET.Element:
    return ET.Element(name(prefix, local))


for _short, _uri in PREFIXES.items():
    ET.register_namespace(_short, _uri)


def propfind(props: Iterable[str]) -> bytes:
    """A ``<propfind>`` asking for ``props`` (Clark names)."""
    root = _root("d", "propfind")
    prop = ET.SubElement(root, PROP)
    for wanted in props:
        ET.SubElement(prop, wanted)
    return _xml(root)


def calendar_query(start: str, end: str, *, expand: bool) -> bytes:
    """A calendar-query REPORT for the VEVENTs overlapping ``[start, end)`` (UTC, in the
    form ``20261101T000000Z``), with their ETags and data, expanded by the server when
    ``expand`` (RFC 4791 §7.8, §9.6.5)."""
    root = _root("c", "calendar-query")
    prop = ET.SubElement(root, PROP)
    ET.SubElement(prop, GETETAG)
    data = ET.SubElement(prop, CALENDAR_DATA)
    if expand:
        ET.SubElement(data, name("c", "expand"), {"start": start, "end": end})
    comp = ET.SubElement(ET.SubElement(root, name("c", "filter")), name("c", "comp-filter"))
    comp.set("name", "VCALENDAR")
    event = ET.SubElement(comp, name("c", "comp-filter"), {"name": "VEVENT"})
    ET.SubElement(event, name("c", "time-range"), {"start": start, "end": end})
    return _xml(root)


def parse_multistatus(body: bytes, base_url: str) -> list[DavResponse]:
    """The responses of a ``<multistatus>``; :class:`UnreadableXml` for anything else."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as error:
        raise UnreadableXml(f"not well-formed XML: {error}") from None
    if root.tag != name("d", "multistatus"):
        raise UnreadableXml(f"expected a multistatus, got {root.tag}")
    return [_response(item, base_url) for item in root.iter(RESPONSE)]


def _response(item: ET.Element, base_url: str) -> DavResponse:
    href = item.find(HREF)
    if href is None or not (href.text or "").strip():
        raise UnreadableXml("a response without an href")
    props: dict[str, ET.Element] = {}
    for propstat in item.findall(PROPSTAT):
        if _status(propstat.find(STATUS)) != 200:
            continue
        for prop in propstat.findall(PROP):
            props.update((child.tag, child) for child in prop)
    url = urljoin(base_url, (href.text or "").strip())
    return DavResponse(url, _status(item.find(STATUS)), props)


def _status(element: ET.Element | None) -> int | None:
    """The code in ``HTTP/1.1 200 OK`` (None when absent or unreadable)."""
    parts = (element.text or "").split() if element is not None else []
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def same_resource(a: str, b: str) -> bool:
    """True when two URLs name the same resource (case of escapes and a final / aside)."""
    left, right = urlsplit(a), urlsplit(b)
    if (left.scheme, left.netloc.lower()) != (right.scheme, right.netloc.lower()):
        return False
    return unquote(left.path).rstrip("/") == unquote(right.path).rstrip("/")


def has_child(response: DavResponse, prop: str, child: str) -> bool:
    """True when the found property ``prop`` holds an element ``child`` (Clark names)."""
    return any(element.tag == child for element in response.children(prop))


def privileges(response: DavResponse) -> set[str] | None:
    """The Clark names of the current user's privileges; None when not reported."""
    if PRIVILEGES not in response.props:
        return None
    found = response.props[PRIVILEGES].iter(name("d", "privilege"))
    return {child.tag for privilege in found for child in privilege}


def components(response: DavResponse) -> Sequence[str] | None:
    """The component names a calendar takes (VEVENT, VTODO); None when not reported."""
    if COMPONENTS not in response.props:
        return None
    return [c.get("name", "").upper() for c in response.children(COMPONENTS)]
