"""Alembic environment and revision scripts of the store (see planner.store.migrate)."""
