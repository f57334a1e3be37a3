"""The couples service: pairing by single-use link, leaving at once, settings and rituals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.core.intervals import Interval
from planner.services import couples, rituals
from planner.services.errors import Conflict, Invalid, NotFound
from planner.store import busy_of_user, replace_busy
from planner.store.models import (
    Connection,
    FeedCache,
    Invite,
    Proposal,
    RitualSetting,
    Source,
    User,
)
from planner.store.tokens import hash_token

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def person(session: Session, name: str, zone: str = "Europe/Berlin") -> int:
    """A committed partner without a couple."""
    user = User(email=f"{name}@example.com", password_hash="x", display_name=name, zone=zone)
    session.add(user)
    session.commit()
    return user.id


def paired(session: Session, zone_b: str = "Europe/Berlin") -> tuple[int, int, int]:
    """Lena and Sam, paired through a link: (couple id, lena id, sam id)."""
    lena, sam = person(session, "Lena"), person(session, "Sam", zone_b)
    couple_id = couples.create_couple(session, lena, NOW)
    couples.join(session, sam, couples.invite(session, lena, NOW).token, NOW)
    return couple_id, lena, sam


def test_create_invite_join(session: Session) -> None:
    couple_id, lena, sam = paired(session)
    assert couples.partner_of(session, lena).id == sam  # type: ignore[union-attr]
    assert couples.partner_of(session, sam).id == lena  # type: ignore[union-attr]
    assert [u.id for u in couples.members(session, couple_id)] == [lena, sam]


def test_a_partner_makes_one_couple(session: Session) -> None:
    lena = person(session, "Lena")
    couples.create_couple(session, lena, NOW)
    with pytest.raises(Conflict, match="already in a couple"):
        couples.create_couple(session, lena, NOW)


def test_only_the_hash_of_a_link_is_stored(session: Session) -> None:
    lena = person(session, "Lena")
    couples.create_couple(session, lena, NOW)
    issued = couples.invite(session, lena, NOW)
    stored = session.scalars(select(Invite.token_hash)).all()
    assert stored == [hash_token(issued.token)] and issued.token not in stored
    assert issued.expires_at == NOW + timedelta(days=7)
    pending = couples.pending_invite(session, lena, NOW)
    assert pending is not None and pending.matches(issued.token)
    assert couples.invite_status(session, issued.token, NOW).inviter_name == "Lena"


def test_a_new_link_revokes_the_old_one(session: Session) -> None:
    lena = person(session, "Lena")
    couples.create_couple(session, lena, NOW)
    old = couples.invite(session, lena, NOW).token
    new = couples.invite(session, lena, NOW + timedelta(minutes=1)).token
    later = NOW + timedelta(minutes=2)
    with pytest.raises(NotFound, match="expired or was replaced"):
        couples.invite_status(session, old, later)
    assert couples.invite_status(session, new, later).inviter_name == "Lena"


def test_links_are_single_use_and_expire(session: Session) -> None:
    lena, sam = person(session, "Lena"), person(session, "Sam")
    couples.create_couple(session, lena, NOW)
    token = couples.invite(session, lena, NOW).token
    with pytest.raises(NotFound, match="expired"):
        couples.join(session, sam, token, NOW + timedelta(days=7))
    session.rollback()
    couples.join(session, sam, token, NOW + timedelta(days=6, hours=23))
    kim = person(session, "Kim")
    with pytest.raises(Conflict, match="already been used"):
        couples.join(session, kim, token, NOW + timedelta(days=1))
    with pytest.raises(NotFound, match="not valid"):
        couples.invite_status(session, "no-such-token", NOW)


def test_a_full_couple_refuses_a_third_and_invites_no_more(session: Session) -> None:
    couple_id, lena, _ = paired(session)
    with pytest.raises(Conflict, match="two partners"):
        couples.invite(session, lena, NOW)
    session.rollback()
    # A link that was open before the couple filled up (written directly) is refused too.
    session.add(Invite(couple_id=couple_id, inviter_id=lena, token_hash=hash_token("t"),
                       expires_at=NOW + timedelta(days=1)))  # fmt: skip
    session.commit()
    kim = person(session, "Kim")
    with pytest.raises(Conflict, match="two partners"):
        couples.join(session, kim, "t", NOW)


def test_joining_while_in_a_couple_is_refused(session: Session) -> None:
    lena, kim = person(session, "Lena"), person(session, "Kim")
    couples.create_couple(session, lena, NOW)
    couples.create_couple(session, kim, NOW)
    token = couples.invite(session, lena, NOW).token
    with pytest.raises(Conflict, match="already in a couple"):
        couples.join(session, kim, token, NOW)
    session.rollback()
    with pytest.raises(Conflict, match="your own invite link"):
        couples.join(session, lena, token, NOW)


def add_busy(session: Session, user_id: int, slot: Interval) -> None:
    source = Source(user_id=user_id, kind="upload", name="work")
    session.add(source)
    session.flush()
    replace_busy(session, source.id, slot, [(slot, "Dentist")])
    session.commit()


def test_leaving_takes_effect_at_once(session: Session) -> None:
    couple_id, lena, sam = paired(session)
    slot = Interval(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=2))
    add_busy(session, sam, slot)
    window = Interval(NOW, NOW + timedelta(days=7))
    counted = [busy_of_user(session, u.id, window) for u in couples.members(session, couple_id)]
    assert [slot] in counted
    future, past = add_connections(session, couple_id)
    session.add(Proposal(couple_id=couple_id, ritual="coffee", start=slot.start, end=slot.end,
                         score=1.0, reason="r", week_start=NOW))  # fmt: skip
    session.commit()

    couples.leave(session, sam, NOW)

    counted = [busy_of_user(session, u.id, window) for u in couples.members(session, couple_id)]
    assert [slot] not in counted and couples.partner_of(session, lena) is None
    assert session.scalars(select(Proposal.state)).all() == ["expired"]
    session.refresh(future)
    session.refresh(past)
    assert (future.status, future.sequence) == ("cancelled", 1)
    assert past.status == "confirmed"
    feed = session.get(FeedCache, couple_id)
    assert feed is not None and b"STATUS:CANCELLED" in feed.body
    with pytest.raises(Conflict, match="not in a couple"):
        couples.leave(session, sam, NOW)


def add_connections(session: Session, couple_id: int) -> tuple[Connection, Connection]:
    start = NOW + timedelta(days=2)
    future = Connection(couple_id=couple_id, uid="f@test", ritual="date-night", start=start,
                        end=start + timedelta(hours=2))  # fmt: skip
    yesterday = NOW - timedelta(days=1)
    past = Connection(couple_id=couple_id, uid="p@test", ritual="coffee", start=yesterday,
                      end=yesterday + timedelta(minutes=30))  # fmt: skip
    session.add_all([future, past])
    session.commit()
    return future, past


def test_settings_are_checked_and_stored_in_normal_form(session: Session) -> None:
    lena = person(session, "Lena")
    with pytest.raises(Invalid, match="Unknown time zone") as bad_zone:
        couples.update_settings(session, lena, zone="Mars/Olympus", windows="Mon 18:00-20:00")
    assert bad_zone.value.field == "zone"
    session.rollback()
    for spec, message in [("Someday 18:00-20:00", "unknown day"), ("", "at least one"),
                          ("Mon 25:00-26:00", "invalid time")]:  # fmt: skip
        with pytest.raises(Invalid, match=message) as bad:
            couples.update_settings(session, lena, zone="UTC", windows=spec)
        assert bad.value.field == "windows"
        session.rollback()
    couples.update_settings(session, lena, zone=" Asia/Kolkata ", windows="monday 18:00-20:00")
    assert couples.profile(session, lena) == couples.Profile("Lena", "Asia/Kolkata",
                                                             "Mon 18:00-20:00")  # fmt: skip


def keys(session: Session, couple_id: int) -> list[str]:
    return [r.key for r in rituals.effective_rituals(session, couple_id, NOW)]


def test_default_rituals_follow_the_clocks(session: Session) -> None:
    same, _, _ = paired(session)
    assert keys(session, same) == ["date-night", "coffee", "check-in"]
    lena, kim = person(session, "Lena2"), person(session, "Kim", "America/New_York")
    apart = couples.create_couple(session, lena, NOW)
    couples.join(session, kim, couples.invite(session, lena, NOW).token, NOW)
    assert keys(session, apart) == ["date-night", "check-in", "video-call"]


def test_either_partner_can_turn_a_ritual_off_and_both_turn_extras_on(session: Session) -> None:
    couple_id, lena, sam = paired(session)
    rituals.set_ritual(session, sam, "coffee", enabled=False, per_week=2, duration_minutes=30,
                       now=NOW)  # fmt: skip
    assert keys(session, couple_id) == ["date-night", "check-in"]
    rituals.set_ritual(session, lena, "affection", enabled=True, per_week=1, duration_minutes=60,
                       now=NOW)  # fmt: skip
    assert "affection" not in keys(session, couple_id)
    rituals.set_ritual(session, sam, "affection", enabled=True, per_week=1, duration_minutes=60,
                       now=NOW)  # fmt: skip
    assert "affection" in keys(session, couple_id)


def test_different_wishes_give_fewer_times_and_longer_time(session: Session) -> None:
    couple_id, lena, sam = paired(session)
    rituals.set_ritual(session, lena, "coffee", enabled=True, per_week=4, duration_minutes=20,
                       now=NOW)  # fmt: skip
    rituals.set_ritual(session, sam, "coffee", enabled=True, per_week=1, duration_minutes=45,
                       now=NOW)  # fmt: skip
    coffee = {r.key: r for r in rituals.effective_rituals(session, couple_id, NOW)}["coffee"]
    assert (coffee.per_week, coffee.duration) == (1, timedelta(minutes=45))
    mine = {c.ritual.key: c for c in rituals.ritual_choices(session, lena, NOW)}["coffee"]
    assert (mine.per_week, mine.duration_minutes, mine.together) == (4, 20, coffee)
    rituals.set_ritual(session, sam, "coffee", enabled=True, per_week=0, duration_minutes=45,
                       now=NOW)  # fmt: skip
    assert "coffee" not in keys(session, couple_id)


def test_choosing_the_defaults_stores_nothing(session: Session) -> None:
    _, lena, _ = paired(session)
    rituals.set_ritual(session, lena, "coffee", enabled=False, per_week=2, duration_minutes=30,
                       now=NOW)  # fmt: skip
    choices = [rituals.RitualInput(c.ritual.key, c.ritual.key != "affection" and
                                   c.ritual.key != "video-call", c.ritual.per_week,
                                   int(c.ritual.duration.total_seconds() // 60))
               for c in rituals.ritual_choices(session, lena, NOW)]  # fmt: skip
    rituals.set_rituals(session, lena, choices, NOW)
    assert session.scalars(select(RitualSetting)).all() == []


@pytest.mark.parametrize(
    ("key", "per_week", "minutes", "field"),
    [("tea", 1, 30, "ritual"), ("coffee", 8, 30, "coffee.per_week"),
     ("coffee", -1, 30, "coffee.per_week"), ("coffee", 1, 10, "coffee.duration_minutes"),
     ("coffee", 1, 361, "coffee.duration_minutes")],
)  # fmt: skip
def test_ritual_choices_are_checked(
    session: Session, key: str, per_week: int, minutes: int, field: str
) -> None:
    lena = person(session, "Lena")
    with pytest.raises(Invalid) as bad:
        rituals.set_ritual(session, lena, key, enabled=True, per_week=per_week,
                           duration_minutes=minutes, now=NOW)  # fmt: skip
    assert bad.value.field == field
