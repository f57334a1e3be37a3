"""Serving the emulator: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from integrations.google.emulator.admin import EmulatorAdmin
from integrations.google.emulator.app import create_emulator
from integrations.google.emulator.state import EmulatorState


@dataclass
class RunningEmulator:
    """A served emulator: its base URL (no trailing slash), state and admin helper."""

    base_url: str
    state: EmulatorState
    admin: EmulatorAdmin
    server: BaseWSGIServer = field(repr=False)
    thread: threading.Thread = field(repr=False)

    @property
    def api_root(self) -> str:
        """The Calendar v3 base for ``client_options={"api_endpoint": ...}``."""
        return f"{self.base_url}/calendar/v3/"

    @property
    def auth_uri(self) -> str:
        return f"{self.base_url}/o/oauth2/v2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.base_url}/revoke"

    def stop(self) -> None:
        self.server.shutdown()
        self.state.push.close()
        self.server.server_close()
        self.thread.join(timeout=5)


class QuietHandler(WSGIRequestHandler):
    """No access log lines on stderr (the emulator keeps its own request log)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def start_emulator(
    host: str = "127.0.0.1", port: int = 0, state: EmulatorState | None = None
) -> RunningEmulator:
    """Serve a (new or given) state on ``host:port`` (0 = a free port) in a daemon thread."""
    state = state or EmulatorState()
    app = create_emulator(state)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="google-emulator"
    )
    thread.daemon = True
    thread.start()
    base_url = f"http://{host}:{server.port}"
    return RunningEmulator(base_url, state, EmulatorAdmin(state), server, thread)


def serve_forever(host: str, port: int, seed: str | None = None) -> None:
    """Serve in the foreground (the ``planner google-emulator`` command)."""
    from datetime import UTC, datetime

    from integrations.google.emulator.seed import seed_demo

    state = EmulatorState()
    if seed == "demo":
        seed_demo(state, datetime.now(UTC))
    server = make_server(host, port, create_emulator(state), threaded=True)
    print(f"Google emulator on http://{host}:{server.port}/  (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
