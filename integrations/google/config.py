"""Where Google lives and what we ask it for: endpoints and OAuth scopes.

The endpoints are a value, not a global: production passes :data:`GOOGLE`, tests and the
demo pass :func:`for_emulator` with the emulator's base URL. Scopes follow least privilege:
reading busy time needs only :data:`READ` (or :data:`FREEBUSY` in privacy mode, where the
app never receives event details), and a write scope is asked for only when the owner turns
write-back on, as an incremental authorization on top of what was already granted.
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPE_PREFIX = "https://www.googleapis.com/auth/"

READ = SCOPE_PREFIX + "calendar.events.readonly"
"""Read events (titles stay owner-only inside the app)."""

FREEBUSY = SCOPE_PREFIX + "calendar.freebusy"
"""Privacy mode: only free/busy intervals, never event details."""

WRITE = SCOPE_PREFIX + "calendar.events.owned"
"""Write-back: create, change and delete events on calendars the user owns."""

WRITE_FALLBACK = SCOPE_PREFIX + "calendar.events"
"""Write-back where ``calendar.events.owned`` is not available; wider, so second choice."""

WRITE_SCOPES = frozenset({WRITE, WRITE_FALLBACK})


CALENDAR_LIST = SCOPE_PREFIX + "calendar.calendarlist.readonly"
"""Which calendars the partner has, so they can choose which count (names and ids only)."""


def scopes_for(*, privacy: bool = False, write_back: bool = False) -> list[str]:
    """The scopes to request for a connection: the calendar list and one read scope, plus
    write when asked (events.readonly alone cannot list calendars, Google requires one of
    the calendarlist scopes for that)."""
    scopes = [CALENDAR_LIST, FREEBUSY if privacy else READ]
    if write_back:
        scopes.append(WRITE)
    return scopes


def can_write(granted: frozenset[str] | set[str]) -> bool:
    """True when ``granted`` includes a scope that allows write-back."""
    return bool(WRITE_SCOPES & set(granted))


@dataclass(frozen=True)
class GoogleEndpoints:
    """The four addresses the integration talks to.

    ``api_root`` is the Calendar v3 base, ending in ``/`` (it becomes the client's
    ``api_endpoint``), for example ``https://www.googleapis.com/calendar/v3/``.
    """

    auth_uri: str
    token_uri: str
    revoke_uri: str
    api_root: str

    def __post_init__(self) -> None:
        if not self.api_root.endswith("/"):
            object.__setattr__(self, "api_root", self.api_root + "/")


GOOGLE = GoogleEndpoints(
    auth_uri="https://accounts.google.com/o/oauth2/v2/auth",
    token_uri="https://oauth2.googleapis.com/token",
    revoke_uri="https://oauth2.googleapis.com/revoke",
    api_root="https://www.googleapis.com/calendar/v3/",
)


def for_emulator(base_url: str) -> GoogleEndpoints:
    """The endpoints of the Calendar v3 + OAuth emulator served at ``base_url``.

    The emulator mirrors Google's paths below its base URL: ``/o/oauth2/v2/auth``,
    ``/token``, ``/revoke`` and ``/calendar/v3/``.
    """
    base = base_url.rstrip("/")
    return GoogleEndpoints(
        auth_uri=f"{base}/o/oauth2/v2/auth",
        token_uri=f"{base}/token",
        revoke_uri=f"{base}/revoke",
        api_root=f"{base}/calendar/v3/",
    )
