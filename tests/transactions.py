"""Watching for network calls made inside a database transaction.

:class:`OpenTransactions` follows an engine's ``begin``, ``commit`` and ``rollback`` events
and so knows at any moment whether one of its connections is inside a transaction (on
SQLite that is ``BEGIN IMMEDIATE``: the write lock is held). Its :meth:`~OpenTransactions.wsgi`
wraps a loopback server's WSGI app so that every request the server receives notes whether
a transaction was open while the client waited for the answer; :meth:`~OpenTransactions.note`
does the same from a server's own request hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OpenTransactions:
    """Which connections of an engine are inside a transaction, and what the watched
    servers were asked meanwhile: ``seen`` holds ``(method, path, open)`` per request."""

    def __init__(self) -> None:
        self.open: set[Any] = set()
        self.seen: list[tuple[str, str, bool]] = []

    def begin(self, connection: Any) -> None:
        self.open.add(connection)

    def end(self, connection: Any) -> None:
        self.open.discard(connection)

    def inside(self) -> list[tuple[str, str, bool]]:
        """The requests that arrived while a transaction was open."""
        return [entry for entry in self.seen if entry[2]]

    def note(self, method: str, path: str) -> None:
        """A server received ``method path``: note whether a transaction is open now."""
        self.seen.append((method, path, bool(self.open)))

    def wsgi(self, app: WsgiApp) -> WsgiApp:
        """``app``, noting for every request whether a transaction is open."""

        def watched(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            self.note(str(environ["REQUEST_METHOD"]), str(environ.get("PATH_INFO", "")))
            return app(environ, start_response)

        return watched


@contextmanager
def watching(engine: Engine) -> Iterator[OpenTransactions]:
    """An :class:`OpenTransactions` following ``engine`` for the ``with`` block."""
    watch = OpenTransactions()
    hooks = [("begin", watch.begin), ("commit", watch.end), ("rollback", watch.end)]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield watch
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)
