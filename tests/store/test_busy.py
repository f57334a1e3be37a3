"""Busy blocks: replaced per source and window atomically, clipped at the edges, merged per user."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from planner.core.intervals import Interval, NaiveDatetimeError
from planner.store import busy
from planner.store.busy import (
    busy_of_user,
    record_sync_failure,
    record_sync_success,
    replace_busy,
    stale_sources,
)
from planner.store.errors import NotFound
from planner.store.models import BusyBlock
from tests.db import at
from tests.store.conftest import add_couple, add_source

WINDOW = Interval(at(10, 0), at(12, 0))  # 10 March 00:00 .. 12 March 00:00 UTC
Row = tuple[datetime, datetime, str | None]


def rows(session: Session, source_id: int) -> list[Row]:
    query = select(BusyBlock.start, BusyBlock.end, BusyBlock.title).where(
        BusyBlock.source_id == source_id
    )
    return sorted((start, end, title) for start, end, title in session.execute(query))


def test_replace_clips_new_blocks_and_keeps_the_outside_of_old_ones(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    old = [
        (Interval(at(9, 22), at(10, 2)), "straddles start"),
        (Interval(at(10, 9), at(10, 10)), "inside"),
        (Interval(at(11, 23), at(12, 1)), "straddles end"),
        (Interval(at(8, 0), at(8, 1)), "before"),
        (Interval(at(13, 0), at(13, 1)), "after"),
    ]
    replace_busy(session, source.id, Interval(at(1, 0), at(20, 0)), old)
    new = [
        (Interval(at(9, 23), at(10, 1)), "new, from before"),
        (Interval(at(11, 8), at(11, 9)), None),
        (Interval(at(11, 22), at(12, 3)), "new, to after"),
    ]
    replace_busy(session, source.id, WINDOW, new)
    session.commit()
    assert rows(session, source.id) == [
        (at(8, 0), at(8, 1), "before"),
        (at(9, 22), at(10, 0), "straddles start"),
        (at(10, 0), at(10, 1), "new, from before"),
        (at(11, 8), at(11, 9), None),
        (at(11, 22), at(12, 0), "new, to after"),
        (at(12, 0), at(12, 1), "straddles end"),
        (at(13, 0), at(13, 1), "after"),
    ]


def test_old_block_spanning_the_whole_window_keeps_both_ends(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    replace_busy(
        session, source.id, Interval(at(1, 0), at(20, 0)), [(Interval(at(9, 0), at(13, 0)), "trip")]
    )
    replace_busy(session, source.id, WINDOW, [])
    assert rows(session, source.id) == [
        (at(9, 0), at(10, 0), "trip"),
        (at(12, 0), at(13, 0), "trip"),
    ]


def test_failure_midway_leaves_the_old_snapshot_whole(
    session: Session, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    replace_busy(session, source.id, WINDOW, [(Interval(at(10, 9), at(10, 17)), "old")])
    session.commit()
    before = rows(session, source.id)
    real_insert = busy._insert_blocks

    def insert_one_then_fail(s: Session, source_id: int, blocks: list[busy.Block]) -> None:
        real_insert(s, source_id, list(blocks)[:1])  # the delete and one insert have happened
        assert len(rows(s, source_id)) == 1 and rows(s, source_id) != before
        raise RuntimeError("connection lost")

    monkeypatch.setattr(busy, "_insert_blocks", insert_one_then_fail)
    new = [(Interval(at(11, h), at(11, h + 1)), f"new {h}") for h in (8, 10, 12)]
    with pytest.raises(RuntimeError, match="connection lost"):
        replace_busy(session, source.id, WINDOW, new)
    assert rows(session, source.id) == before  # rolled back to the savepoint
    session.commit()
    with sessions() as other:
        assert rows(other, source.id) == before


def test_naive_block_refused_before_anything_changes(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    replace_busy(session, source.id, WINDOW, [(Interval(at(10, 9), at(10, 10)), "old")])
    naive = Interval(datetime(2026, 3, 10, 12), datetime(2026, 3, 10, 13))
    with pytest.raises(NaiveDatetimeError):
        replace_busy(session, source.id, WINDOW, [(naive, "bad")])
    assert [r[2] for r in rows(session, source.id)] == ["old"]


def test_unknown_source_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="source"):
        replace_busy(session, 999, WINDOW, [])


def test_busy_of_user_merges_sources_that_count_and_clips_to_the_window(
    session: Session,
) -> None:
    _, (ana, bo) = add_couple(session, "ana", "bo")
    work, home = add_source(session, ana, "work"), add_source(session, ana, "home")
    ignored = add_source(session, ana, "holidays", counts=False)
    theirs = add_source(session, bo, "bo's")
    everywhere = Interval(at(1, 0), at(20, 0))
    replace_busy(
        session,
        work.id,
        everywhere,
        [(Interval(at(10, 9), at(10, 11)), "a"), (Interval(at(9, 23), at(10, 1)), "b")],
    )
    replace_busy(
        session,
        home.id,
        everywhere,
        [(Interval(at(10, 10), at(10, 12)), "c"), (Interval(at(10, 12), at(10, 13)), "d")],
    )
    replace_busy(session, ignored.id, everywhere, [(Interval(at(10, 14), at(10, 15)), None)])
    replace_busy(session, theirs.id, everywhere, [(Interval(at(10, 16), at(10, 17)), None)])
    session.commit()
    assert busy_of_user(session, ana.id, WINDOW) == [
        Interval(at(10, 0), at(10, 1)),
        Interval(at(10, 9), at(10, 13)),
    ]
    assert busy_of_user(session, bo.id, WINDOW) == [Interval(at(10, 16), at(10, 17))]
    assert busy_of_user(session, ana.id, Interval(at(15, 0), at(16, 0))) == []


def test_stale_sources_after_a_failed_sync(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    fine, broken = add_source(session, ana, "fine"), add_source(session, ana, "broken")
    record_sync_success(session, fine.id, at(10, 8), etag='"1"', last_modified=None)
    record_sync_success(session, broken.id, at(10, 8), etag=None, last_modified=None)
    record_sync_failure(session, broken.id, at(10, 9), "HTTP 500")
    record_sync_failure(session, broken.id, at(10, 10), "HTTP 502")
    session.commit()
    (stale,) = stale_sources(session, ana.id)
    assert (stale.id, stale.stale_since, stale.last_error) == (broken.id, at(10, 9), "HTTP 502")
    assert stale.last_success_at == at(10, 8)
    late = stale_sources(session, ana.id, now=at(11, 9), max_age=timedelta(hours=24))
    assert [s.name for s in late] == ["fine", "broken"]
    record_sync_success(session, broken.id, at(10, 11), etag=None, last_modified=None)
    assert stale_sources(session, ana.id) == []


def ids(session: Session, source_id: int) -> dict[Row, int]:
    query = select(BusyBlock.id, BusyBlock.start, BusyBlock.end, BusyBlock.title).where(
        BusyBlock.source_id == source_id
    )
    return {(start, end, title): i for i, start, end, title in session.execute(query)}


def test_replace_writes_only_the_rows_that_changed(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    same = (Interval(at(10, 9), at(10, 10)), "same")
    straddles = (Interval(at(9, 22), at(10, 2)), "straddles start")
    twice = (Interval(at(11, 9), at(11, 10)), "twice")
    assert replace_busy(session, source.id, WINDOW, [same, straddles, twice, twice]) == 4
    session.commit()
    before = ids(session, source.id)
    every = set(session.scalars(select(BusyBlock.id)))
    inside = (Interval(at(10, 0), at(10, 2)), "straddles start")  # as a new reading sees it
    assert replace_busy(session, source.id, WINDOW, [same, inside, twice, twice]) == 0
    moved = (Interval(at(10, 11), at(10, 12)), "same")
    assert replace_busy(session, source.id, WINDOW, [moved, inside, twice]) == 3
    session.commit()
    after = ids(session, source.id)
    assert (
        after[(at(10, 0), at(10, 2), "straddles start")]
        == before[(at(10, 0), at(10, 2), "straddles start")]
    )
    assert after[(at(11, 9), at(11, 10), "twice")] in every  # one of the two kept
    assert sorted(after) == [
        (at(10, 0), at(10, 2), "straddles start"),
        (at(10, 11), at(10, 12), "same"),
        (at(11, 9), at(11, 10), "twice"),
    ]


def test_a_straddling_row_whose_inside_is_unchanged_stays_whole(session: Session) -> None:
    _, (ana,) = add_couple(session, "ana")
    source = add_source(session, ana)
    trip = (Interval(at(9, 0), at(10, 6)), "trip")
    replace_busy(session, source.id, Interval(at(1, 0), at(20, 0)), [trip])
    session.commit()
    before = ids(session, source.id)
    assert replace_busy(session, source.id, WINDOW, [trip]) == 0  # clipped inside: the same
    assert ids(session, source.id) == before
