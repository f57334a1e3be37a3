"""Blueprint `proposals` (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("proposals", __name__)
NAV: list[tuple[str, str]] = []
