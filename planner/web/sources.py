"""Blueprint `sources` (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sources", __name__)
NAV: list[tuple[str, str]] = []
