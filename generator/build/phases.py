"""Build: the frozen records handed from one phase of `Builder._build` to the next, and two plan steps.

inputs (`Inputs`) → load (`build.records.Loaded`) → plan (`Plan`) → render and
stage (`Staged`) → commit → index (`Indexing`) → save. A phase that finds
errors which stop the build raises `Stop`: the one failure path. The comparison
index's family (`plan_compare`) and the feeds and path collisions once every
page is known (`finish_plan`) are planned here too.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.background import Background
from generator.build.planning import Look, Reuse, compare_fields
from generator.core import urls
from generator.core.errors import Problem, error
from generator.core.model import Post, SiteModel
from generator.load.sources import Sources
from generator.plan.pages import Family, FileSpec, Planner
from generator.render.pages import FixedPages, Made
from generator.write.state import BodyStore, BuildState, FamilyRecord

if TYPE_CHECKING:
    from generator.plan.metrics import CompareMetrics, UnitMetrics


class Stop(Exception):
    """A phase found errors that stop the build before its commit (the one failure path of `_build`)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        super().__init__(len(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Plan:
    """The plan phase's result: families to make, pages and files reused unchanged, and the records for the state."""

    look: Look
    planner: Planner
    todo: tuple[Family, ...] = ()  # families to plan (and render) in this build: `_make`
    made: tuple[Made, ...] = ()  # families made while planning (`_plan`'s ``first``)
    kept: tuple[tuple[str, str, str], ...] = ()  # (path, template, owner) of reused families
    files: tuple[FileSpec, ...] = ()
    kept_files: tuple[tuple[str, str], ...] = ()  # (path, owner)
    problems: tuple[Problem, ...] = ()
    families: Mapping[str, FamilyRecord] = field(default_factory=dict)  # read-only: the commit makes its own
    scope: str | None = None  # the `edits_only` scope under which every other family was kept (`Builder._plan_first`)

    @property
    def global_key(self) -> str:
        return self.look.global_key


@dataclass
class Planning:
    """A plan being put together (frozen into a `Plan` by `_plan`)."""

    todo: list[Family] = field(default_factory=list)
    made: list[Made] = field(default_factory=list)
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    files: list[FileSpec] = field(default_factory=list)
    kept_files: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    families: dict[str, FamilyRecord] = field(default_factory=dict)

    def keep(self, fid: str, rec: FamilyRecord) -> None:
        """Reuse a family of the last build as it is: its pages, files and problems."""
        self.kept.extend(rec.pages)
        self.kept_files.extend(rec.files)
        self.problems.extend(rec.problems)
        self.families[fid] = rec

    def take(self, family: Family, reuse: Reuse) -> None:
        """A planned family: kept as the last build left it when its record still holds, else to make."""
        rec = reuse.record(family.id, family.key)
        if rec is not None:
            self.keep(family.id, rec)
        else:
            self.todo.append(family)

    def take_all(self, families: Iterable[Family], reuse: Reuse, done: Collection[str]) -> None:
        """Every family of a whole plan but ``done``: the disk is asked once for all their outputs first (`Reuse.ask_all`)."""
        reuse.ask_all()
        for family in families:
            if family.id not in done:
                self.take(family, reuse)

    def frozen(self, look: Look, planner: Planner, scope: str | None = None) -> Plan:
        return Plan(look, planner, tuple(self.todo), tuple(self.made), tuple(self.kept), tuple(self.files), tuple(self.kept_files), tuple(self.problems), self.families, scope)


@dataclass(frozen=True)
class Inputs:
    """What the inputs phase found: a build is needed, from this state."""

    out: Path
    sources: Sources
    head: str
    input_key: str | None
    state: BuildState
    recorded: frozenset[str]  # outputs recorded before this build created anything
    notes: tuple[str, ...] = ()  # the saved state was there but unusable (write.state.load_state_noted): a full build


@dataclass(frozen=True)
class Staged:
    """Everything staged and known before the commit."""

    plan: Plan
    made: tuple[Made, ...]
    fingerprints: dict[str, str]
    rendered: tuple[str, ...]
    file_keys: dict[str, str]
    problems: tuple[Problem, ...]  # warnings (and held-back posts' errors) of every phase

    @property
    def planned(self) -> frozenset[str]:
        return frozenset(self.fingerprints) | frozenset(self.file_keys)


@dataclass(frozen=True)
class Indexing:
    """The search index as the save phase finds it: on a thread, done already, or to do after the save."""

    thread: Background | None
    started: threading.Event
    problems: tuple[Problem, ...] = ()
    done: bool = False


COMPARE_UNIT = "compare:"  # + year/unit: the family of a unit's comparison page of a year


class MetricsMemo:
    """`plan.metrics.Memo` in the body store's SQLite file (`write.state.BodyStore`): each unit's figures of
    a year, pickled under the digest of their inputs. Anything unreadable is a miss, worked out again."""

    def __init__(self, store: BodyStore) -> None:
        self.store = store

    def recall(self, digests: Collection[str]) -> dict[str, UnitMetrics]:
        from generator.plan.metrics import UnitMetrics

        found: dict[str, UnitMetrics] = {}
        for digest, data in self.store.recall(digests).items():
            try:
                m = pickle.loads(data)
            except Exception:  # (written by other code, or damaged): computed again
                continue
            if isinstance(m, UnitMetrics):
                found[digest] = m
        return found

    def remember(self, made: dict[str, UnitMetrics], live: Collection[str]) -> None:
        self.store.remember([(d, pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)) for d, m in sorted(made.items())], live)


def plan_compare(
    model: SiteModel, planner: Planner, reuse: Reuse, parts: Planning, history: str | None, workbooks: bool = True, unchanged: bool = False, memo: tuple[BodyStore, str] | None = None
) -> None:
    """The comparison index: it reads the counted fields of every post and the git history (``history``: its id; None = no reuse).

    ``unchanged``: the posts differ from the last build's only in bodies or titles, with the same
    as-of day and history (`build.planning.edits_only`), so the key, which reads none of those, is
    the one recorded; without 目标管理 files (their plans are in the key too) the record is kept
    as it is, without deriving the key from every post again (0.3-0.5 s at 50,000 posts).
    ``memo``: the body store and the plan key (`Look.global_key`) under which each unit's figures of a
    year are kept for the next build (`MetricsMemo`): a new post works out one unit's, not all.
    """
    from generator.plan.compare import compare_outputs
    from generator.plan.metrics import compute, lag_warnings

    if unchanged and history is not None and not model.plans.frameworks and (prev := reuse.previous.get("compare")) is not None:
        if _keep_compare(reuse, parts, prev.key):
            return
    # with 目标管理 frameworks, the year pages show each unit's plan rate: the plans and what the figures read of posts too
    fields, plans = (goal_fields, model.plans) if model.plans.frameworks else (compare_fields, None)
    ckey = planner.key("compare", model.as_of.isoformat(), history, [fields(p) for p in model.posts], plans) if history is not None else ""
    if _keep_compare(reuse, parts, ckey):
        return
    cm = compute(model, MetricsMemo(memo[0]), memo[1]) if memo is not None and memo[1] else compute(model)
    compare_pages, compare_files = compare_outputs(model, planner, workbooks, cm, unit_pages=False)
    lag = lag_warnings(model, cm)
    parts.todo.append(Family("compare", ckey, FixedPages(tuple(compare_pages))))
    parts.files.extend(compare_files)
    parts.problems.extend(lag)
    parts.families["compare"] = FamilyRecord(ckey, tuple((p.path, p.template, p.owner) for p in compare_pages), tuple((f.path, f.owner) for f in compare_files), tuple(lag))
    plan_compare_units(model, planner, reuse, parts, cm, history is not None)


def _keep_compare(reuse: Reuse, parts: Planning, key: str) -> bool:
    """Keep the comparison's families of the last build as they are (`plan_compare`), when ``key`` is the
    recorded one and every one of them still holds (`Reuse.record`); False (nothing kept) otherwise."""
    if not key or (rec := reuse.previous.get("compare")) is None or rec.key != key:
        return False
    recs = {fid: reuse.record(fid, r.key) for fid, r in reuse.previous.items() if fid == "compare" or fid.startswith(COMPARE_UNIT)}
    if any(r is None for r in recs.values()):
        return False
    for fid, r in recs.items():
        assert r is not None
        parts.keep(fid, r)
    return True


def plan_compare_units(model: SiteModel, planner: Planner, reuse: Reuse, parts: Planning, cm: CompareMetrics, keyed: bool) -> None:
    """Each unit's comparison page of each year, a family of its own: keyed by the digest of the unit's figures'
    inputs (`metrics.unit_digest`) and what the page shows of the others (its place among them, the years), so a
    new post makes its unit's page again, not the 84 of every unit and year (with their 9,000 grid cells a year)."""
    from generator.plan.compare import unit_page

    units = {u.slug: u for u in model.units}
    years = [y.year for y in cm.years]
    post_urls: dict[str, str] = {}
    for ym in cm.years:
        for position, u in enumerate(ym.units, 1):
            fid, digest = f"{COMPARE_UNIT}{ym.year}/{u.unit}", ym.unit_digests.get(u.unit, "")
            key = planner.key(fid, digest, model.as_of.isoformat(), cm.history_available, cm.history_reason, position, len(ym.units), years) if digest and keyed else ""
            if (rec := reuse.record(fid, key)) is not None:
                parts.keep(fid, rec)
                continue
            # a post's URL is its unit and slug, and its slug its file name (`parse.post.post_slug`): in the digest
            post_urls = post_urls or {p.source: urls.post(p.unit, p.slug) for p in model.posts}
            parts.todo.append(Family(fid, key, FixedPages((unit_page(cm, ym, u, units[u.unit], planner, post_urls),))))


def goal_fields(p: Post) -> tuple[object, ...]:
    """What the 目标管理 figures read of a post: the comparison's fields, its tags, and what it names."""
    return (*compare_fields(p), p.tags, p.tasks, p.project, p.report)


def plan_goals(model: SiteModel, planner: Planner, reuse: Reuse, parts: Planning, history: str | None = None) -> None:
    """目标管理 (issue 18): its pages and data/plans.json, from the plan inputs, the as-of date and every post's
    `goal_fields` (plus what lists show of the posts that name a task or project, or report); ``history``: the
    git history's id (the annual summaries show each unit's disclosure lag; None = no reuse, as for compare)."""
    from generator.plan.goals import claim_warnings
    from generator.plan.goals_output import has_plans, plans_outputs

    if not has_plans(model):
        return  # no 目标管理 file: no pages, no data file, nothing to key
    naming = [p for p in model.posts if p.tasks or p.project or p.report]
    key = planner.key("plans", model.as_of.isoformat(), history, model.plans, [goal_fields(p) for p in model.posts], posts=naming) if history is not None else ""
    rec = reuse.record("plans", key)
    if rec is not None:
        parts.keep("plans", rec)
        return
    gm, pages, files = plans_outputs(model, planner)
    warnings = claim_warnings(gm)
    parts.todo.append(Family("plans", key, FixedPages(tuple(pages))))
    parts.files.extend(files)
    parts.problems.extend(warnings)
    parts.families["plans"] = FamilyRecord(key, tuple((p.path, p.template, p.owner) for p in pages), tuple((f.path, f.owner) for f in files), tuple(warnings))


def finish_plan(model: SiteModel, plan: Plan, pages: list[tuple[str, str]], previous: BuildState | None = None) -> Plan:
    """Once every page is known (``pages``: (path, owner)): the plan with the feeds and sitemap, and path collisions.

    ``previous``: the last build's state. Under the same code and settings (its
    global key) its outputs had no two on one path, so neither has any subset of
    them; and after an edit of bodies or titles only (`Plan.scope`) with the same
    pages, its sitemap (every page, each post's day and last commit) is this
    build's: neither is worked out again from every post (issue 23).
    """
    from generator.plan.feeds import SITEMAP, feed_outputs

    paths = [path for path, _ in pages]
    last = previous if previous is not None and plan.global_key and previous.global_key == plan.global_key else None  # same code and settings
    saved = last.files.get(SITEMAP, "") if last is not None and plan.scope in ("body", "title") and last.pages.keys() == set(paths) else ""
    _, feed_files, feed_problems = feed_outputs(model, plan.planner, paths, sitemap_key=saved.removeprefix("m:") if saved.startswith("m:") else None)
    files = (*plan.files, *feed_files)
    problems = [*plan.problems, *feed_problems]
    outputs = (*pages, *((f.path, f.owner) for f in files), *plan.kept_files)
    if not (last is not None and all(path in last.pages or path in last.files for path, _ in outputs)):
        problems.extend(collision_problems(outputs))
    return replace(plan, files=files, problems=tuple(problems))


def collision_problems(outputs: Iterable[tuple[str, str]]) -> list[Problem]:
    """An error for each path that two of ``outputs`` ((path, owner)) take, case and width aside."""
    claims: dict[str, list[tuple[str, str]]] = {}  # collision key → (owner, path)
    for path, owner in outputs:
        claims.setdefault(urls.collision_key(path), []).append((owner, path))
    problems: list[Problem] = []
    for owners in claims.values():
        if len(owners) > 1:
            sources = sorted({o for o, _ in owners if o.startswith("content/")}) or ["content"]
            named = sorted({f"{o}（{p}）" for o, p in owners})
            problems.append(error(sources[0], 1, f"两个输出使用同一路径（不区分大小写）：{' 与 '.join(named)}。请给其中一个改名。"))
    return problems
