"""Shared test settings: hypothesis profiles and the path of the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PLANNER_CORPUS", ROOT.parent / "shared" / "corpus"))

settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Database fixtures over SQLite and PostgreSQL, shared by the store and web tests.
from tests.db import (  # noqa: E402, F401
    backend,
    db_url,
    engine,
    pg_admin,
    pg_url,
    session,
    sessions,
)

# A real SMTP server on 127.0.0.1 (aiosmtpd) and the inbox it delivers into.
from tests.mailserver import inbox, smtp_port  # noqa: E402, F401
