"""The ritual catalogue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.core.rituals import (
    CATALOGUE,
    DEFAULT_RITUALS,
    LONG_DISTANCE_RITUALS,
    UnknownRitual,
    default_rituals,
    ritual,
    with_overrides,
)


def test_catalogue_has_the_promised_rituals() -> None:
    assert {"date-night", "coffee", "check-in", "affection", "video-call"} <= set(CATALOGUE)
    assert set(DEFAULT_RITUALS) | set(LONG_DISTANCE_RITUALS) <= set(CATALOGUE)


def test_catalogue_values_are_sensible() -> None:
    date = ritual("date-night")
    assert timedelta(hours=2, minutes=30) <= date.duration <= timedelta(hours=3)
    assert date.per_week == 1
    assert ritual("coffee").duration == timedelta(minutes=30)
    assert 2 <= ritual("coffee").per_week <= 3
    assert ritual("video-call").long_distance
    assert not any(CATALOGUE[k].long_distance for k in DEFAULT_RITUALS)


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_ritual_is_described(key: str) -> None:
    r = CATALOGUE[key]
    assert r.key == key and r.name and r.windows
    assert 2 <= r.description.count(". ") + 1 <= 4


def test_unknown_ritual_lists_valid_keys() -> None:
    with pytest.raises(UnknownRitual) as info:
        ritual("brunch")
    assert info.value.key == "brunch"
    assert str(info.value) == (
        "unknown ritual 'brunch'; "
        "choose one of: affection, check-in, coffee, date-night, video-call"
    )


def test_overrides_replace_only_what_is_given() -> None:
    base = ritual("coffee")
    longer = with_overrides(base, duration=timedelta(minutes=45))
    assert longer.duration == timedelta(minutes=45) and longer.per_week == base.per_week
    assert with_overrides(base, per_week=3).per_week == 3
    assert with_overrides(base) == base


def test_overrides_are_validated() -> None:
    with pytest.raises(ValueError, match="duration must be positive"):
        with_overrides(ritual("coffee"), duration=timedelta(0))
    with pytest.raises(ValueError, match="per_week must be >= 0"):
        with_overrides(ritual("coffee"), per_week=-1)


def test_default_rituals_depend_on_distance() -> None:
    assert [r.key for r in default_rituals(False)] == list(DEFAULT_RITUALS)
    assert [r.key for r in default_rituals(True)] == list(LONG_DISTANCE_RITUALS)
