"""Secrets at rest: owner-bound Fernet encryption and key rotation (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from planner.services import secrets
from planner.store.models import GoogleAccount, User

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_and_ciphertext_hides_the_secret() -> None:
    token = secrets.encrypt("1//refresh-abc", 7, [OLD])
    assert b"refresh-abc" not in token
    assert secrets.decrypt(token, 7, [OLD]) == "1//refresh-abc"


def test_a_row_copied_to_another_owner_does_not_decrypt() -> None:
    token = secrets.encrypt("1//refresh-abc", 7, [OLD])
    with pytest.raises(secrets.SecretError, match="another account"):
        secrets.decrypt(token, 8, [OLD])


def test_unknown_key_and_missing_keys_fail_plainly() -> None:
    token = secrets.encrypt("s", 1, [OLD])
    with pytest.raises(secrets.SecretError, match="cannot be decrypted"):
        secrets.decrypt(token, 1, [NEW])
    with pytest.raises(secrets.SecretError, match="No secret key"):
        secrets.encrypt("s", 1, [])
    with pytest.raises(secrets.SecretError, match="not a valid Fernet key"):
        secrets.encrypt("s", 1, ["short"])


def test_rotate_re_encrypts_with_the_first_key(session: Session) -> None:
    user = User(email="lena@example.com", password_hash="x", display_name="Lena", zone="UTC")
    session.add(user)
    session.flush()
    old_token = secrets.encrypt("1//refresh", user.id, [OLD])
    session.add(GoogleAccount(user_id=user.id, refresh_token=old_token))
    session.commit()

    # During rotation both keys are configured: old ciphertexts still decrypt.
    assert secrets.decrypt(old_token, user.id, [NEW, OLD]) == "1//refresh"
    assert secrets.rotate(session, [NEW, OLD]) == 1
    account = session.get(GoogleAccount, user.id)
    assert account is not None and account.refresh_token != old_token
    assert secrets.decrypt(account.refresh_token or b"", user.id, [NEW]) == "1//refresh"
    with pytest.raises(secrets.SecretError):
        secrets.decrypt(account.refresh_token or b"", user.id, [OLD])


def test_rotate_without_the_old_key_changes_nothing(session: Session) -> None:
    user = User(email="sam@example.com", password_hash="x", display_name="Sam", zone="UTC")
    session.add(user)
    session.flush()
    token = secrets.encrypt("1//refresh", user.id, [OLD])
    session.add(GoogleAccount(user_id=user.id, refresh_token=token))
    session.commit()
    with pytest.raises(secrets.SecretError, match="cannot be decrypted"):
        secrets.rotate(session, [NEW])
    assert session.get(GoogleAccount, user.id).refresh_token == token  # type: ignore[union-attr]


def test_rotate_key_command(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.cli import main
    from planner.store import make_engine, session_factory, upgrade

    url = f"sqlite:///{tmp_path / 'planner.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        user = User(email="kim@example.com", password_hash="x", display_name="Kim", zone="UTC")
        session.add(user)
        session.flush()
        session.add(GoogleAccount(user_id=user.id, refresh_token=secrets.encrypt("t", 1, [OLD])))
        session.commit()
    monkeypatch.setenv("PLANNER_SECRET_KEYS", f"{NEW},{OLD}")
    assert main(["secrets", "rotate-key", "--url", url]) == 0
    with session_factory(engine)() as session:
        stored = session.get(GoogleAccount, 1)
        assert stored is not None
        assert secrets.decrypt(stored.refresh_token or b"", 1, [NEW]) == "t"
    engine.dispose()
