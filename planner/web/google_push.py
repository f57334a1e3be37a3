"""``POST /google/push``: where Google posts push notifications for our calendar channels.

No session and no CSRF token: Google cannot have either. The channel id and its token (in
``X-Goog-Channel-ID`` / ``X-Goog-Channel-Token``) are the credential, checked by
:func:`planner.services.google_push.receive_push`. Google posts an empty body, so a body
over :data:`MAX_BODY` bytes is refused before it is read. A valid notification is answered
200 at once; the sync itself is queued on the task engine through the seam
``app.extensions[ENGINE].sync_source(source_id)``. Answers: 200 (done, or the ``sync``
message), 400 (not a notification), 404 (unknown channel, wrong token), 413 (a body),
503 when the sync could not be queued (Google retries a 503 with backoff).
"""

from __future__ import annotations

import logging
from typing import Final

from flask import Blueprint, Flask, Response, current_app, request

from planner.services import google_push
from planner.services.errors import TooLarge
from planner.web.clock import now
from planner.web.db import db

log = logging.getLogger(__name__)

bp = Blueprint("google_push", __name__)

MAX_BODY: Final = 1024
ENGINE: Final = "planner.jobs"
"""The key of the engine's jobs in ``app.extensions`` (:class:`planner.engine.Jobs`)."""


def register(app: Flask) -> None:
    """Register the route, exempt from CSRF (Google posts without a token)."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)


@bp.post("/google/push")
def push() -> Response:
    """Check a notification and queue a sync of its source."""
    if (request.content_length or 0) > MAX_BODY:
        raise TooLarge("A Google push notification has no body.")
    source_id = google_push.receive_push(db(), dict(request.headers.items()), now())
    db().rollback()  # nothing to keep: end the read before queueing
    if source_id is not None and not _queue_sync(source_id):
        return Response("The sync could not be queued; try again.\n", 503, mimetype="text/plain")
    return Response(status=200)


def _queue_sync(source_id: int) -> bool:
    """Queue a sync of ``source_id`` on the engine; False when that failed."""
    engine = current_app.extensions.get(ENGINE)
    sync_source = getattr(engine, "sync_source", None)
    if sync_source is None:
        log.warning("no task engine: source %s waits for its scheduled sync", source_id)
        return True
    try:
        sync_source(source_id)
    except Exception:
        log.exception("queueing the sync of source %s failed", source_id)
        return False
    return True
