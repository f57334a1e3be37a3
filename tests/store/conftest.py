"""Store fixtures: engines and sessions on the backends of :mod:`tests.db`, and builders."""

from __future__ import annotations

from sqlalchemy.orm import Session

from planner.store.models import Couple, Source, User


def add_couple(session: Session, *names: str) -> tuple[Couple, list[User]]:
    """A committed couple with partners named ``names`` (emails ``name@example.com``)."""
    couple = Couple()
    partners = [
        User(
            email=f"{name}@example.com",
            password_hash="x",
            display_name=name,
            zone="Europe/Berlin",
            couple=couple,
        )
        for name in names
    ]
    session.add_all([couple, *partners])
    session.commit()
    return couple, partners


def add_source(session: Session, user: User, name: str = "work", counts: bool = True) -> Source:
    """A committed uploaded-calendar source of ``user``."""
    source = Source(user_id=user.id, kind="upload", name=name, counts_as_busy=counts)
    session.add(source)
    session.commit()
    return source
