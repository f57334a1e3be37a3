"""Blueprint `couple` (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("couple", __name__)
NAV: list[tuple[str, str]] = []
