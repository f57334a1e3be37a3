"""Use cases that tie the store, the integrations and the core together.

Callable from the web app, the CLI and workers alike: each takes a SQLAlchemy Session and
plain values, commits its own unit of work, and raises :mod:`planner.services.errors`.
"""
