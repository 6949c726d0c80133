"""The comparison's figures recalled from the body store (`build.phases.MetricsMemo`): a build works out again
only the (unit, year) figures whose inputs changed, and what it recalls is what it would have worked out.

The oracle is `metrics.compute` without a memo, on the same model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Collection
from pathlib import Path

from generator.build.phases import MetricsMemo
from generator.core.model import Post, SiteModel
from generator.plan.metrics import UnitMetrics, _recorded, compute, lag_warnings
from generator.write.state import BODIES_FILE, BodyStore


class Counting:
    """A memo that says which figures each `compute` worked out (by unit and year)."""

    def __init__(self, memo: MetricsMemo) -> None:
        self.memo = memo
        self.made: list[tuple[str, int]] = []

    def recall(self, digests: Collection[str]) -> dict[str, UnitMetrics]:
        self.made = []
        return self.memo.recall(digests)

    def remember(self, made: dict[str, UnitMetrics], live: Collection[str]) -> None:
        self.made = sorted((m.unit, _year_of(m)) for m in made.values())
        self.memo.remember(made, live)


def _year_of(m: UnitMetrics) -> int:
    return m.cadence.slots[0].period.start.year if m.cadence.slots else 0


def _with_copy(model: SiteModel) -> tuple[SiteModel, str, int]:
    """``model`` with one more post: a copy of a counted branch-meeting post under another name (the same day)."""
    old = next(p for p in model.posts if not p.draft and p.branch and p.meetings and p.day <= model.as_of)
    new = dataclasses.replace(old, source=old.source.replace(".md", "-copy.md"), slug=old.slug + "-copy")
    posts = list(model.posts)
    posts.insert(posts.index(old), new)
    return dataclasses.replace(model, posts=tuple(posts)), old.unit, old.day.year


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM memo").fetchone()[0]


def test_only_the_changed_unit_year_is_worked_out_again(demo_model: SiteModel, tmp_path: Path) -> None:
    store = BodyStore(tmp_path)
    memo = Counting(MetricsMemo(store))
    whole = compute(demo_model)
    pairs = len(demo_model.units) * len(whole.years)
    assert pairs > 10

    assert compute(demo_model, memo, "key") == whole
    assert len(memo.made) == pairs  # an empty memo: every figure worked out
    assert compute(demo_model, memo, "key") == whole
    assert memo.made == []  # nothing changed: every figure recalled

    grown, unit, year = _with_copy(demo_model)
    got = compute(grown, memo, "key")
    assert got == compute(grown) and got != whole
    assert memo.made == [(unit, year)]
    assert lag_warnings(grown, got) == lag_warnings(grown)

    assert compute(demo_model, memo, "other code or settings") == whole
    assert len(memo.made) == pairs  # another plan key recalls nothing
    store.close()
    assert _rows(tmp_path / BODIES_FILE) == pairs  # only the entries the last build asked for are kept


def test_damaged_or_locked_entries_are_worked_out_again(demo_model: SiteModel, tmp_path: Path) -> None:
    store = BodyStore(tmp_path)
    whole = compute(demo_model)
    assert compute(demo_model, MetricsMemo(store), "key") == whole
    store.close()
    with sqlite3.connect(tmp_path / BODIES_FILE) as db:
        db.execute("UPDATE memo SET data = X'80049500'")  # a truncated pickle in every entry
    memo = Counting(MetricsMemo(BodyStore(tmp_path)))
    assert compute(demo_model, memo, "key") == whole
    assert len(memo.made) == len(demo_model.units) * len(whole.years)

    holder = sqlite3.connect(tmp_path / BODIES_FILE, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the store: a miss, never a stall or an error
    try:
        locked = Counting(MetricsMemo(BodyStore(tmp_path)))
        assert compute(demo_model, locked, "key") == whole
        assert len(locked.made) == len(demo_model.units) * len(whole.years)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    (tmp_path / BODIES_FILE).write_bytes(b"not a database" * 100)  # a corrupt store is replaced, never trusted
    assert compute(demo_model, MetricsMemo(BodyStore(tmp_path)), "key") == whole


def test_the_lag_warnings_read_from_the_figures_are_those_worked_out_from_the_posts(demo_model: SiteModel) -> None:
    """`lag_warnings(model, cm)` takes the negative lags the figures hold instead of measuring every post again."""
    assert demo_model.history.available  # (the demo is in this repository's git history)
    first = dict(demo_model.history.first_added)
    # three meeting records dated two days after their first commit: negative lags
    moved: dict[str, Post] = {}
    recorded = _recorded(demo_model.config)
    for p in demo_model.posts:
        when = first.get(p.source)
        if when is None or not recorded(p) or p.draft or len(moved) == 3:
            continue
        moved[p.source] = dataclasses.replace(p, date=when.astimezone(demo_model.config.tz) + dt.timedelta(days=2))
    as_of = max(p.day for p in moved.values())  # (counted: on or before the as-of day)
    cfg = dataclasses.replace(demo_model.config, compare=dataclasses.replace(demo_model.config.compare, lag_since=None))  # every first commit measured
    model = dataclasses.replace(demo_model, config=cfg, as_of=as_of, posts=tuple(moved.get(p.source, p) for p in demo_model.posts))
    expected = lag_warnings(model)
    assert len(expected) == len(moved) > 0
    assert lag_warnings(model, compute(model)) == expected
