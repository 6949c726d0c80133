"""Plan stage, the numbers: the comparison figures (对标) — cadence, lag, freshness, counts.

Pure functions from a `SiteModel` to frozen values: no disk, no Jinja, no
formatting beyond plain numbers. The comparison pages, the CSV, the data file
and ``liangshai stats`` all read the one `CompareMetrics` computed here, so
they cannot disagree.

Definitions (see issue 3; tests follow them exactly):

* counted post for year Y: not a draft, dated (site timezone) in Y, on or
  before the as-of date;
* a post *records* a meeting it lists only when it is in one of the meeting's
  sections (default: branch meetings in 支部生活, unit meetings in 党建动态;
  ``sections = [...]`` in [[meetings]]); elsewhere (a 通知公告 announcing a
  主题党日) the meeting is only mentioned and counts nowhere below. A post
  recording several meetings counts for each of them;
* cadence slot: one per (branch | unit) × period of each meeting with an
  ``every``; **due** when the period's last day is on or before the as-of date
  and the slot is not left out (*not assessed*, 不考核) by one of these rules
  (`left_out`, checked in this order): the period ends before the branch's
  ``since`` or starts after its ``until`` (the active interval [since, until],
  both ends included, shares no day with it), the period ends before
  ``[compare] start``, or the meeting is monthly and the period is one of the
  branch's ``exempt_months``. Unit-level slots follow ``start`` only. ``start``
  limits which slots are due, not which posts count: a post dated before it
  still meets a due slot;
  **met** when a counted post of the unit (and branch, at branch level) records
  the meeting and is dated inside the period; a not-yet-due slot is pending
  (shown as met when already held) and counted in neither; a branch exempt from
  a meeting has exempt slots, counted in neither; a slot keeps the sources of the
  posts that hold it, by date then path (the per-unit grid links the first);
* disclosure lag of a counted post recording a meeting: date of the commit that
  first added its file minus the post's date, in whole days (site timezone);
  negative lags are left out (and reported by `lag_warnings`), posts first
  committed before ``[compare] lag_since`` are not measured; median is the
  middle value or the mean of the two middle ones, p90 the ceil(0.9·n)-th
  smallest. No history (no git, shallow clone) → no lag at all;
* freshness of a column for year Y: days from the reference date
  (min(as-of, Dec 31 of Y)) back to the latest non-draft post of the unit in
  that column dated on or before it (any year); stale when there is none or
  when the days exceed ``stale_days``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from generator.core.digests import digest_of
from generator.core.errors import Problem, warning
from generator.core.model import Branch, Post, SiteModel, Unit
from generator.load.config import SiteConfig

CN_QUARTERS = ("一", "二", "三", "四")
BAND_TEXT = {"green": "达标", "yellow": "预警", "red": "落后", "none": "无应公开"}
STATE_SYMBOL = {"met": "✓", "missed": "✗", "pending": "…", "exempt": "—", "excluded": "○"}
STATE_TEXT = {"met": "已公开", "missed": "未公开", "pending": "未到期", "exempt": "免", "excluded": "不考核"}
# Why a slot is left out (`Slot.excluded`), in the order `left_out` checks them; the words the grid shows
EXCLUDED_TEXT = {"before_since": "支部成立之前", "after_until": "支部撤销之后", "before_start": "统计起始日之前", "exempt_month": "寒暑假免考核（{month}月）"}


# -- periods -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str  # "2026-03" | "2026-Q1" | "2026"
    label: str  # "2026年3月" | "2026年第一季度" | "2026年"
    short: str  # "3月" | "一季度" | "全年"
    start: dt.date
    end: dt.date  # last day, inclusive

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=256)
def periods(year: int, every: str) -> tuple[Period, ...]:
    """The periods of one year for a cadence ``every`` (month | quarter | year)."""
    if every == "month":
        return tuple(Period(f"{year}-{m:02d}", f"{year}年{m}月", f"{m}月", dt.date(year, m, 1), _month_end(year, m)) for m in range(1, 13))
    if every == "quarter":
        return tuple(
            Period(f"{year}-Q{q}", f"{year}年第{CN_QUARTERS[q - 1]}季度", f"{CN_QUARTERS[q - 1]}季度", dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
            for q in range(1, 5)
        )
    if every == "year":
        return (Period(f"{year}", f"{year}年", "全年", dt.date(year, 1, 1), dt.date(year, 12, 31)),)
    raise ValueError(f"unknown cadence {every!r}")


# -- values ------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    meeting: str  # meeting key
    branch: str | None  # branch id, None at unit level
    period: Period
    exempt: bool
    due: bool  # the period ended on or before the as-of date
    held: bool  # a counted post lists the meeting inside the period
    # the sources of the counted posts that hold it, by date then path (the grid links the first)
    posts: tuple[str, ...] = ()
    # why the slot is not assessed (a key of EXCLUDED_TEXT, see `left_out`), None when it is
    excluded: str | None = None

    @property
    def state(self) -> str:
        """met | missed | pending | exempt | excluded (a pending slot already held shows as met)."""
        if self.exempt:
            return "exempt"
        if self.excluded is not None:
            return "excluded"
        if self.held:
            return "met"
        return "missed" if self.due else "pending"

    @property
    def counted_due(self) -> bool:
        return self.due and not self.exempt and self.excluded is None

    @property
    def counted_met(self) -> bool:
        return self.counted_due and self.held

    @property
    def excluded_text(self) -> str:
        """Why the slot is not assessed, in words ("支部成立之前"); "" when it is."""
        if self.excluded is None:
            return ""
        return EXCLUDED_TEXT[self.excluded].format(month=self.period.start.month)


@dataclass(frozen=True)
class Cadence:
    slots: tuple[Slot, ...]

    # cached: pages, the CSV and the data file ask for these many times per unit
    @functools.cached_property
    def due(self) -> int:
        return sum(1 for s in self.slots if s.counted_due)

    @functools.cached_property
    def met(self) -> int:
        return sum(1 for s in self.slots if s.counted_met)

    @property
    def rate(self) -> float | None:
        due = self.due
        return self.met / due if due else None

    @functools.cached_property
    def missed(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.state == "missed")

    @functools.cached_property
    def not_assessed(self) -> tuple[tuple[str, int], ...]:
        """Slots whose period is over that would be due but are not assessed: (reason, count)
        for every reason of EXCLUDED_TEXT, in its order (branch-exempt meetings are not among them)."""
        counts = dict.fromkeys(EXCLUDED_TEXT, 0)
        for s in self.slots:
            if s.due and not s.exempt and s.excluded is not None:
                counts[s.excluded] += 1
        return tuple(counts.items())


@dataclass(frozen=True)
class LagSample:
    source: str
    days: int


@dataclass(frozen=True)
class Lag:
    """Disclosure lag of one unit's counted posts with a meeting in one year."""

    values: tuple[int, ...]  # measured lags (≥ 0), ascending
    negative: tuple[LagSample, ...] = ()  # left out, reported as warnings
    before_since: int = 0  # first committed before lag_since: not measured
    uncommitted: int = 0  # not in the git history yet: not measured

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        return median(self.values)

    @property
    def p90(self) -> int | None:
        return p90(self.values)


@dataclass(frozen=True)
class Freshness:
    section: str  # section key
    last: dt.date | None
    days: int | None  # None: never posted in this column
    stale: bool


@dataclass(frozen=True)
class UnitMetrics:
    unit: str  # slug
    name: str
    order: int
    branches: int
    posts: int
    by_section: tuple[tuple[str, int], ...]  # section key → counted posts, config order
    by_meeting: tuple[tuple[str, int], ...]  # meeting key → counted posts recording it, config order
    several_meetings: int  # counted posts recording more than one meeting (each counts for all)
    by_category: tuple[tuple[str, int], ...]  # category → counted posts, config order
    uncategorized: int
    by_branch: tuple[tuple[str, int], ...]  # branch id → counted posts, unit order
    unit_level: int  # counted posts with no branch
    cadence: Cadence
    lag: Lag | None  # None: history unavailable
    freshness: tuple[Freshness, ...]  # config section order
    last_post: dt.date | None
    monthly: tuple[int, ...]  # counted posts per month, Jan..Dec
    band: str  # green | yellow | red | none

    @property
    def per_branch(self) -> float | None:
        return self.posts / self.branches if self.branches else None


@dataclass(frozen=True)
class YearMetrics:
    year: int
    reference: dt.date  # min(as-of, Dec 31): the date freshness is measured from
    units: tuple[UnitMetrics, ...]  # default order: coverage, then median lag
    # unit → its `unit_digest` when `compute` had a memo, else empty (`build.phases.plan_compare_units`)
    unit_digests: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        """A digest of every input of these figures ("" without `unit_digests`): what the year's downloads
        are keyed by (`write.workbook.workbook_key`) without hashing every slot."""
        return digest_of(self.year, sorted(self.unit_digests.items())) if self.unit_digests else ""


@dataclass(frozen=True)
class CompareMetrics:
    as_of: dt.date
    history_available: bool
    history_reason: str
    lag_since: dt.date | None
    years: tuple[YearMetrics, ...]  # ascending

    def year(self, year: int) -> YearMetrics | None:
        return next((y for y in self.years if y.year == year), None)


# -- statistics --------------------------------------------------------------


def median(values: tuple[int, ...] | list[int]) -> float | None:
    """The middle value, or the mean of the two middle values; None for no values."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    if n % 2:
        return float(v[n // 2])
    return (v[n // 2 - 1] + v[n // 2]) / 2


def p90(values: tuple[int, ...] | list[int]) -> int | None:
    """Nearest rank: the ceil(0.9·n)-th smallest value; None for no values."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    rank = -(-9 * n // 10)  # exact integer ceil(0.9 n)
    return v[rank - 1]


def band(rate: float | None, config: SiteConfig) -> str:
    if rate is None:
        return "none"
    if rate >= config.compare.green:
        return "green"
    if rate >= config.compare.yellow:
        return "yellow"
    return "red"


# -- computation -------------------------------------------------------------


def is_counted(p: Post, year: int, as_of: dt.date) -> bool:
    return not p.draft and p.day.year == year and p.day <= as_of


def counted_posts(model: SiteModel, year: int) -> list[Post]:
    return [p for p in model.posts if is_counted(p, year, model.as_of)]


def years_of(model: SiteModel) -> tuple[int, ...]:
    """From the earliest counted post's year to the as-of year (at least the as-of year)."""
    counted = [p.day.year for p in model.posts if not p.draft and p.day <= model.as_of]
    first = min(counted, default=model.as_of.year)
    first = min(first, model.as_of.year)
    return tuple(range(first, model.as_of.year + 1))


def _first_added(model: SiteModel) -> dict[str, dt.date]:
    tz = model.config.tz
    return {path: when.astimezone(tz).date() for path, when in model.history.first_added}


def _recorded(config: SiteConfig):
    """``recorded(post)`` → the meeting keys the post records (see the module docstring)."""
    where = {m.key: m.sections for m in config.meetings}

    def recorded(p: Post) -> tuple[str, ...]:
        if not p.meetings:
            return ()
        return tuple(k for k in p.meetings if p.section in where.get(k, ()))

    return recorded


def _lag(posts: list[Post], first: dict[str, dt.date], lag_since: dt.date | None, config: SiteConfig) -> Lag:
    values: list[int] = []
    negative: list[LagSample] = []
    before = uncommitted = 0
    recorded = _recorded(config)
    for p in posts:
        if not recorded(p):
            continue
        added = first.get(p.source)
        if added is None:
            uncommitted += 1
            continue
        if lag_since is not None and added < lag_since:
            before += 1
            continue
        days = (added - p.day).days
        if days < 0:
            negative.append(LagSample(p.source, days))
        else:
            values.append(days)
    return Lag(tuple(sorted(values)), tuple(sorted(negative, key=lambda s: (s.source, s.days))), before, uncommitted)


def left_out(period: Period, every: str, branch: Branch | None, start: dt.date | None) -> str | None:
    """Why the slot of ``period`` is not assessed (a key of EXCLUDED_TEXT), None when it is.

    ``branch`` None: a unit-level slot, which only ``start`` limits. The active interval
    [since, until] includes both ends: a period sharing one day with it counts."""
    if branch is not None and branch.since is not None and period.end < branch.since:
        return "before_since"
    if branch is not None and branch.until is not None and period.start > branch.until:
        return "after_until"
    if start is not None and period.end < start:
        return "before_start"
    if branch is not None and every == "month" and period.start.month in branch.exempt_months:
        return "exempt_month"
    return None


def _held(posts: list[Post], year: int, config: SiteConfig) -> tuple[dict[tuple[str, str | None], set[int]], dict[tuple[str, str | None], list[Post]]]:
    """(meeting key, branch id or None) → the months it was held in, and → the posts holding it
    (by date, then path); unit level takes every post of the unit. The posts are all of ``year``,
    so a period holds a day exactly when it holds the day's month (9,000+ slots a year at 293
    branches: no scan of days per slot)."""
    held: dict[tuple[str, str | None], set[int]] = defaultdict(set)
    recorded = _recorded(config)
    records: dict[tuple[str, str | None], list[Post]] = defaultdict(list)
    for p in posts:
        if p.day.year != year:  # (the caller passes the year's posts; a period is only months)
            continue
        month = p.day.month
        for key in recorded(p):
            held[(key, None)].add(month)
            records[(key, None)].append(p)
            if p.branch:
                held[(key, p.branch)].add(month)
                records[(key, p.branch)].append(p)
    for mine in records.values():
        mine.sort(key=lambda q: (q.day, q.source))  # deterministic: by date, then path
    return held, records


def _cadence(unit: Unit, posts: list[Post], year: int, model: SiteModel) -> Cadence:
    held, records = _held(posts, year, model.config)
    start = model.config.compare.start
    nothing: set[int] = set()
    slots: list[Slot] = []
    for m in model.config.meetings:
        if m.every is None:
            continue
        owners: list[tuple[Branch | None, bool]]
        if m.level == "unit":
            owners = [(None, False)]
        else:
            owners = [(b, m.key in b.exempt) for b in unit.branches]
        spans = [(period, range(period.start.month, period.end.month + 1), period.end <= model.as_of) for period in periods(year, m.every)]
        for branch, exempt in owners:
            owner = branch.id if branch is not None else None
            months = held.get((m.key, owner), nothing)
            for period, span, due in spans:
                is_held = bool(months) and any(month in months for month in span)
                slots.append(
                    Slot(
                        meeting=m.key,
                        branch=owner,
                        period=period,
                        exempt=exempt,
                        due=due,
                        held=is_held,
                        posts=tuple(q.source for q in records[(m.key, owner)] if period.contains(q.day)) if is_held else (),
                        excluded=left_out(period, m.every, branch, start),
                    )
                )
    # Reading order: the unit's own slots first, then branch by branch as listed in
    # _unit.toml; within each, by the day the period ends, then the configured meeting order.
    owner_rank: dict[str | None, int] = {None: -1, **{b.id: i for i, b in enumerate(unit.branches)}}
    meeting_rank = {m.key: i for i, m in enumerate(model.config.meetings)}
    slots.sort(key=lambda s: (owner_rank[s.branch], s.period.end, meeting_rank[s.meeting], s.period.start))
    return Cadence(tuple(slots))


class _PostIndex:
    """The site's non-draft posts grouped once, so per-unit numbers need no full scans.

    With 21 units, several years and 10,000 posts, scanning every post for every
    unit, year and column is millions of comparisons on each (re)build.
    """

    def __init__(self, model: SiteModel):
        self.by_unit_year: dict[tuple[str, int], list[Post]] = defaultdict(list)
        self.days: dict[tuple[str, str], list[dt.date]] = defaultdict(list)  # (unit, section) → days, newest first
        for p in model.posts:  # newest first
            if p.draft:
                continue
            day = p.day
            self.days[(p.unit, p.section)].append(day)
            if day <= model.as_of:
                self.by_unit_year[(p.unit, day.year)].append(p)

    def last_on_or_before(self, unit: str, section: str, reference: dt.date) -> dt.date | None:
        return next((d for d in self.days.get((unit, section), ()) if d <= reference), None)


def _freshness(unit: Unit, model: SiteModel, reference: dt.date, index: _PostIndex | None = None) -> tuple[Freshness, ...]:
    stale_days = model.config.compare.stale_days
    index = index or _PostIndex(model)
    out = []
    for s in model.config.sections:
        last = index.last_on_or_before(unit.slug, s.key, reference)
        days = (reference - last).days if last else None
        out.append(Freshness(s.key, last, days, days is None or days > stale_days))
    return tuple(out)


def unit_metrics(model: SiteModel, unit: Unit, year: int, first: dict[str, dt.date] | None = None, index: _PostIndex | None = None) -> UnitMetrics:
    cfg = model.config
    reference = min(model.as_of, dt.date(year, 12, 31))
    index = index or _PostIndex(model)
    posts = index.by_unit_year.get((unit.slug, year), [])
    by_section = {s.key: 0 for s in cfg.sections}
    by_meeting = {m.key: 0 for m in cfg.meetings}
    by_category = {c: 0 for c in cfg.categories}
    by_branch = {b.id: 0 for b in unit.branches}
    uncategorized = unit_level = several = 0
    monthly = [0] * 12
    recorded = _recorded(cfg)
    for p in posts:
        by_section[p.section] = by_section.get(p.section, 0) + 1
        keys = recorded(p)
        several += len(keys) > 1
        for k in keys:
            by_meeting[k] = by_meeting.get(k, 0) + 1
        if p.category in by_category:
            by_category[p.category] += 1
        else:
            uncategorized += 1
        if p.branch in by_branch:
            by_branch[p.branch] += 1
        else:
            unit_level += 1
        monthly[p.day.month - 1] += 1
    cadence = _cadence(unit, posts, year, model)
    lag = None
    if model.history.available:
        lag = _lag(posts, _first_added(model) if first is None else first, cfg.compare.lag_since, cfg)
    return UnitMetrics(
        unit=unit.slug,
        name=unit.name,
        order=unit.order,
        branches=len(unit.branches),
        posts=len(posts),
        by_section=tuple(by_section.items()),
        by_meeting=tuple(by_meeting.items()),
        several_meetings=several,
        by_category=tuple(by_category.items()),
        uncategorized=uncategorized,
        by_branch=tuple(by_branch.items()),
        unit_level=unit_level,
        cadence=cadence,
        lag=lag,
        freshness=_freshness(unit, model, reference, index),
        last_post=max((p.day for p in posts), default=None),
        monthly=tuple(monthly),
        band=band(cadence.rate, cfg),
    )


def default_order(u: UnitMetrics) -> tuple:
    """Coverage (highest first, no due slots last), then median lag (shortest first, unknown last)."""
    rate = u.cadence.rate
    med = u.lag.median if u.lag is not None else None
    return (rate is None, -(rate or 0.0), med is None, med or 0.0, u.order, u.unit)


def year_metrics(model: SiteModel, year: int, first: dict[str, dt.date] | None = None, index: _PostIndex | None = None) -> YearMetrics:
    first = _first_added(model) if first is None else first
    index = index or _PostIndex(model)
    return _year(model, year, [unit_metrics(model, u, year, first, index) for u in model.units])


def _year(model: SiteModel, year: int, units: list[UnitMetrics], digests: dict[str, str] | None = None) -> YearMetrics:
    """The year's figures; ``digests``: each unit's `unit_digest`, when known."""
    return YearMetrics(year, min(model.as_of, dt.date(year, 12, 31)), tuple(sorted(units, key=default_order)), digests or {})


# Bump when `unit_metrics` comes to read something `unit_digest` does not hash.
METRICS_VERSION = 1


class Memo(Protocol):
    """Unit metrics computed by an earlier build, by the digest of their inputs (`unit_digest`).

    A new post changes one unit's figures of one year; at 50,000 posts working out
    all 84 (unit, year) figures again was ~3 s of its build (issue 23).
    """

    def recall(self, digests: Collection[str]) -> dict[str, UnitMetrics]: ...

    def remember(self, made: dict[str, UnitMetrics], live: Collection[str]) -> None: ...


def unit_digest(salt: str, model: SiteModel, unit: Unit, year: int, first: dict[str, dt.date], index: _PostIndex) -> str:
    """Everything `unit_metrics` reads for (``unit``, ``year``) beyond ``salt`` (the code, the settings and
    the units: `core.digests.plan_key`): the as-of day, whether there is history, the latest day of each
    column on or before the reference day (freshness), and what it reads of each counted post."""
    reference = min(model.as_of, dt.date(year, 12, 31))
    fresh = [index.last_on_or_before(unit.slug, s.key, reference) for s in model.config.sections]
    rows = [(p.source, p.section, p.meetings, p.category, p.branch, p.day, first.get(p.source)) for p in index.by_unit_year.get((unit.slug, year), ())]
    return digest_of(METRICS_VERSION, salt, unit.slug, year, model.as_of, model.history.available, fresh, rows)


def compute(model: SiteModel, memo: Memo | None = None, salt: str = "") -> CompareMetrics:
    """The comparison figures; with ``memo`` (and ``salt``, `unit_digest`) those of each (unit, year) whose
    inputs are unchanged are recalled, the others computed and remembered."""
    first = _first_added(model)
    index = _PostIndex(model)
    years = years_of(model)
    digests = {(u.slug, y): unit_digest(salt, model, u, y, first, index) for y in years for u in model.units} if memo is not None and salt else {}
    known = memo.recall(set(digests.values())) if memo is not None and digests else {}
    made: dict[str, UnitMetrics] = {}

    def figures(unit: Unit, year: int) -> UnitMetrics:
        digest = digests.get((unit.slug, year))
        if digest is not None and (m := known.get(digest)) is not None:
            return m
        m = unit_metrics(model, unit, year, first, index)
        if digest is not None:
            made[digest] = m
        return m

    out = CompareMetrics(
        as_of=model.as_of,
        history_available=model.history.available,
        history_reason=model.history.reason,
        lag_since=model.config.compare.lag_since,
        years=tuple(_year(model, y, [figures(u, y) for u in model.units], {u.slug: digests[(u.slug, y)] for u in model.units} if digests else None) for y in years),
    )
    if memo is not None and digests:
        memo.remember(made, set(digests.values()))
    return out


def lag_warnings(model: SiteModel, cm: CompareMetrics | None = None) -> list[Problem]:
    """A warning for every counted post whose first commit predates its meeting (``cm``: the figures
    `compute` made of ``model``, whose lags hold these samples already).

    Such a post is left out of the lag numbers; the builder should add these
    problems to its log (they are warnings: the build still succeeds).
    """
    if not model.history.available:
        return []
    if cm is None:
        first = _first_added(model)
        samples = [s for y in years_of(model) for s in _lag(counted_posts(model, y), first, model.config.compare.lag_since, model.config).negative]
    else:
        samples = [s for ym in cm.years for u in ym.units if u.lag is not None for s in u.lag.negative]
    by_source = {p.source: p for p in model.posts} if samples else {}
    out: list[Problem] = []
    for s in samples:
        p = by_source[s.source]
        added = p.day + dt.timedelta(days=s.days)  # (the sample's days are its first commit's day minus the post's)
        out.append(
            warning(
                s.source,
                1,
                f"公开时滞为负：文章日期是 {p.day.isoformat()}，但它在 {added.isoformat()} 就已首次提交（早 {-s.days} 天）。"
                "会议记录应在会后公开，请核对 date；这篇不计入公开时滞统计。",
            )
        )
    return sorted(out, key=lambda p: (p.path, p.message))


__all__ = [
    "BAND_TEXT",
    "EXCLUDED_TEXT",
    "STATE_SYMBOL",
    "STATE_TEXT",
    "Cadence",
    "CompareMetrics",
    "Freshness",
    "Lag",
    "LagSample",
    "Memo",
    "Period",
    "Slot",
    "UnitMetrics",
    "YearMetrics",
    "band",
    "compute",
    "counted_posts",
    "default_order",
    "is_counted",
    "lag_warnings",
    "left_out",
    "median",
    "p90",
    "periods",
    "unit_digest",
    "unit_metrics",
    "year_metrics",
    "years_of",
]
