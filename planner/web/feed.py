"""Blueprint `feed` (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feed", __name__)
NAV: list[tuple[str, str]] = []
