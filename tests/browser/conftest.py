"""Browser fixtures: Debian's chromium driven by Playwright, the real app on loopback, and
screenshots at a laptop and a phone width (``build/screenshots`` or ``PLANNER_SCREENSHOTS``).

Every test here skips, saying why, when chromium or Playwright is absent.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from planner.store import upgrade
from planner.web import create_app
from planner.web.config import Config
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(os.environ.get("PLANNER_SCREENSHOTS", ROOT / "build" / "screenshots"))
LAPTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
PASSWORD = "a long and happy password"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@contextmanager
def serve(folder: Path, **settings: Any) -> Iterator[str]:
    """The real app (CSRF on, ``settings`` applied to its Config) on a free loopback port
    with a fresh SQLite database in ``folder``; yields its base URL."""
    url = f"sqlite:///{folder / 'planner.db'}"
    upgrade(url)
    apps: list[Flask] = []
    http = make_server("127.0.0.1", 0, lambda env, start: apps[0](env, start), threaded=True)
    base = f"http://127.0.0.1:{http.server_port}"
    apps.append(create_app(replace(Config("b" * 40, url, base_url=base), **settings)))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        http.shutdown()
        apps[0].extensions["planner.engine"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def shoot(page: Any, name: str) -> None:
    """Save the page at laptop and phone width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(LAPTOP)
