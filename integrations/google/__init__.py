"""Google Calendar: OAuth, busy-time sync, free/busy privacy mode and write-back.

Modules: :mod:`.config` (endpoints, scopes), :mod:`.oauth` (authorization code flow with
PKCE, credentials, revoke), :mod:`.client` (service object, retry policy), :mod:`.events`
(event -> busy block rules), :mod:`.sync` (full and incremental sync), :mod:`.freebusy`
(privacy mode), :mod:`.writeback` (connections as events). The Calendar v3 + OAuth
emulator used by tests and the demo lives in :mod:`.emulator`.
"""

from integrations.google.client import RetryPolicy, build_service, execute
from integrations.google.config import GOOGLE, GoogleEndpoints, for_emulator, scopes_for
from integrations.google.errors import (
    AuthorizationFailed,
    FullSyncRequired,
    GoogleIntegrationError,
    ReconnectNeeded,
)
from integrations.google.events import GoogleBusyBlock, busy_block
from integrations.google.freebusy import FreeBusy, free_busy
from integrations.google.oauth import (
    Grant,
    OAuthClient,
    PendingAuthorization,
    RefreshedToken,
    credentials,
    finish_authorization,
    revoke,
    start_authorization,
)
from integrations.google.sync import Changes, Snapshot, apply_changes, full_sync, incremental_sync
from integrations.google.writeback import (
    WriteOutcome,
    cancel_connection,
    event_id_for,
    move_connection,
    upsert_connection,
)

__all__ = [
    "GOOGLE",
    "AuthorizationFailed",
    "Changes",
    "FreeBusy",
    "FullSyncRequired",
    "GoogleBusyBlock",
    "GoogleEndpoints",
    "GoogleIntegrationError",
    "Grant",
    "OAuthClient",
    "PendingAuthorization",
    "ReconnectNeeded",
    "RefreshedToken",
    "RetryPolicy",
    "Snapshot",
    "WriteOutcome",
    "apply_changes",
    "build_service",
    "busy_block",
    "cancel_connection",
    "credentials",
    "event_id_for",
    "execute",
    "finish_authorization",
    "for_emulator",
    "free_busy",
    "full_sync",
    "incremental_sync",
    "move_connection",
    "revoke",
    "scopes_for",
    "start_authorization",
    "upsert_connection",
]
