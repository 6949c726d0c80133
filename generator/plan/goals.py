"""Plan stage, the numbers of 目标管理 (issue 18): each unit's plan against its posts, the projects, 评议.

Pure functions from a `SiteModel` (its `PlanInputs` and posts) to frozen values:
no disk, no Jinja. The plan pages, ``data/plans.json`` and ``liangshai stats
--plans`` all read the one `GoalsMetrics` computed here (`compute`).

Definitions (issue 18; tests follow them exactly):

* counted posts of a unit for year Y: those of the comparison index
  (`metrics.is_counted`: not a draft, dated in Y, on or before the as-of date);
* a task with a ``count`` is *measured*: ``found`` = its unit's counted posts
  matching all its selectors (meeting, section, category, tag) plus those
  naming it in ``tasks:``, each post once; done when found ≥ count, else
  overdue when due < as-of, else in_progress when found > 0, else not_started;
* a task without a count is *evidenced*: ``evidence`` = counted posts naming
  it; done when the plan says ``status = "完成"`` and evidence ≥ 1 (a claim
  without evidence is a warning and not done), else overdue / in_progress /
  not_started as above, by evidence;
* ``evidence`` (both kinds) lists only counted posts naming the task, by source;
* plan rate: done / all tasks (per 一级指标: over the tasks under its 二级指标),
  None without tasks; rates are rounded to 4 places;
* a project is overdue when end < as-of and its status is neither 结项 nor 终止;
  its posts are the non-draft posts naming it dated on or before as-of, any year.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass

from generator.core.errors import Problem
from generator.core.model import Post, SiteModel, Unit
from generator.core.plans import PROJECT_CLOSED, PROJECT_LEVELS, PROJECT_TYPES, Evaluation, Framework, Project, Selectors, Task, UnitPlan
from generator.parse.projects import unproven_claims
from generator.plan.metrics import is_counted

STATUSES = ("done", "overdue", "in_progress", "not_started")
STATUS_TEXT = {"done": "已完成", "overdue": "已逾期", "in_progress": "进行中", "not_started": "未开始"}
STATUS_SYMBOL = {"done": "✓", "overdue": "✗", "in_progress": "…", "not_started": "○"}
NO_EVIDENCE = "没有公开的证明材料"


def rate_of(done: int, total: int) -> float | None:
    """done / total rounded to 4 places; None when there is nothing to count."""
    return round(done / total, 4) if total else None


@dataclass(frozen=True)
class TaskResult:
    task: Task
    status: str  # done | overdue | in_progress | not_started
    found: int | None  # measured: counted posts matching or naming it; None when evidenced
    evidence: tuple[str, ...]  # sources of the counted posts naming it, sorted
    unproven: bool = False  # 完成 claimed without evidence (warned, not done)

    @property
    def count(self) -> int | None:
        return self.task.count


@dataclass(frozen=True)
class IndicatorResult:
    code: str  # 一级指标
    name: str
    tasks: int
    done: int

    @property
    def rate(self) -> float | None:
        return rate_of(self.done, self.tasks)


@dataclass(frozen=True)
class UnitGoals:
    """One unit in one year: its plan (None when it has none), the tasks' results, 评议 and 述职."""

    unit: str  # slug
    name: str
    plan: UnitPlan | None
    tasks: tuple[TaskResult, ...]  # plan order
    by_indicator: tuple[IndicatorResult, ...]  # every 一级指标 of the framework, framework order
    evaluation: Evaluation | None
    report: str | None  # source of the unit's 述职 post of the year (the newest counted one)

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.status == "done")

    @property
    def rate(self) -> float | None:
        return rate_of(self.done, len(self.tasks))

    @property
    def overdue(self) -> tuple[TaskResult, ...]:
        return tuple(t for t in self.tasks if t.status == "overdue")


@dataclass(frozen=True)
class YearGoals:
    year: int
    framework: Framework
    units: tuple[UnitGoals, ...]  # every unit of the site, site order

    def unit(self, slug: str) -> UnitGoals | None:
        return next((u for u in self.units if u.unit == slug), None)

    @property
    def tasks(self) -> int:
        """Every unit's tasks together (the school's overall plan rate is done / tasks)."""
        return sum(len(u.tasks) for u in self.units)

    @property
    def done(self) -> int:
        return sum(u.done for u in self.units)

    @property
    def rate(self) -> float | None:
        return rate_of(self.done, self.tasks)


@dataclass(frozen=True)
class ProjectResult:
    project: Project
    overdue: bool
    posts: tuple[str, ...]  # sources of the posts naming it (not drafts, on or before as-of), newest first


@dataclass(frozen=True)
class Totals:
    """Projects counted: all, by type, by level, and the funding (元)."""

    count: int
    by_type: tuple[tuple[str, int], ...]  # PROJECT_TYPES order, types present only
    by_level: tuple[tuple[str, int], ...]  # PROJECT_LEVELS order, levels present only
    funding: int


@dataclass(frozen=True)
class GoalsMetrics:
    as_of: dt.date
    years: tuple[YearGoals, ...]  # every year with a framework, ascending
    projects: tuple[ProjectResult, ...]  # by id
    totals: Totals  # every project, 终止 ones too
    by_start_year: tuple[tuple[int, Totals], ...]  # year of ``start`` → totals, ascending
    by_type: tuple[tuple[str, Totals], ...]  # type → totals (its by_level), PROJECT_TYPES order

    def year(self, year: int) -> YearGoals | None:
        return next((y for y in self.years if y.year == year), None)

    def project(self, project_id: str) -> ProjectResult | None:
        return next((p for p in self.projects if p.project.id == project_id), None)


# -- text shared by the pages and ``stats --plans`` ----------------------------------


def wan_text(yuan: int) -> str:
    """元 → 万元 as the seed writes it: 123000 → "12.3", 20000 → "2", 12345 → "1.23"."""
    return f"{yuan / 10000:.2f}".rstrip("0").rstrip(".")


def totals_text(t: Totals, what: str = "项目") -> str:
    """"共立项特色阵地 58 个，其中重点项目 9 个、一般项目 39 个，经费 12.3 万元" (``what``: 项目 or a type)."""
    levels = dict(t.by_level)
    return f"共立项{what} {t.count} 个，其中重点项目 {levels.get('重点', 0)} 个、一般项目 {levels.get('一般', 0)} 个，经费 {wan_text(t.funding)} 万元"


# -- computing ------------------------------------------------------------------


def matches(p: Post, s: Selectors) -> bool:
    """Whether a post matches every selector given (a task without selectors matches nothing)."""
    if s.empty:
        return False
    return (
        (s.meeting is None or s.meeting in p.meetings)
        and (s.section is None or p.section == s.section)
        and (s.category is None or p.category == s.category)
        and (s.tag is None or s.tag in p.tags)
    )


def task_status(done: bool, due: dt.date, progress: int, as_of: dt.date) -> str:
    if done:
        return "done"
    if due < as_of:
        return "overdue"
    return "in_progress" if progress > 0 else "not_started"


def task_result(task: Task, counted: list[Post], as_of: dt.date) -> TaskResult:
    """One task against its unit's counted posts of the plan's year."""
    naming = [p for p in counted if task.id in p.tasks]
    evidence = tuple(sorted(p.source for p in naming))
    if task.count is not None:
        found = len({p.source for p in naming} | {p.source for p in counted if matches(p, task.selectors)})
        return TaskResult(task, task_status(found >= task.count, task.due, found, as_of), found, evidence)
    unproven = task.claimed and not evidence
    return TaskResult(task, task_status(task.claimed and bool(evidence), task.due, len(evidence), as_of), None, evidence, unproven)


def unit_goals(fw: Framework, unit: Unit, plan: UnitPlan | None, counted: list[Post], model: SiteModel) -> UnitGoals:
    tasks = tuple(task_result(t, counted, model.as_of) for t in plan.tasks) if plan else ()
    by_top: dict[str, list[TaskResult]] = {i.code: [] for i in fw.top}
    for r in tasks:
        by_top.setdefault(r.task.indicator.split(".", 1)[0], []).append(r)
    by_indicator = tuple(IndicatorResult(i.code, i.name, len(by_top[i.code]), sum(1 for r in by_top[i.code] if r.status == "done")) for i in fw.top)
    reports = [p for p in counted if p.report == "述职"]
    report = max(reports, key=lambda p: (p.date, p.source)).source if reports else None
    return UnitGoals(unit.slug, unit.name, plan, tasks, by_indicator, model.plans.evaluation(unit.slug, fw.year), report)


def year_goals(model: SiteModel, fw: Framework, by_unit: dict[str, list[Post]]) -> YearGoals:
    units = []
    for u in model.units:
        counted = [p for p in by_unit.get(u.slug, ()) if is_counted(p, fw.year, model.as_of)]
        units.append(unit_goals(fw, u, model.plans.plan(u.slug, fw.year), counted, model))
    return YearGoals(fw.year, fw, tuple(units))


def totals(projects: list[Project]) -> Totals:
    by_type = tuple((t, n) for t in PROJECT_TYPES if (n := sum(1 for p in projects if p.type == t)))
    by_level = tuple((lv, n) for lv in PROJECT_LEVELS if (n := sum(1 for p in projects if p.level == lv)))
    return Totals(len(projects), by_type, by_level, sum(p.funding for p in projects))


def project_results(model: SiteModel) -> tuple[ProjectResult, ...]:
    naming: dict[str, list[Post]] = {}
    for p in model.posts:  # newest first already
        if p.project is not None and not p.draft and p.day <= model.as_of:
            naming.setdefault(p.project, []).append(p)
    return tuple(
        ProjectResult(pr, pr.end < model.as_of and pr.status not in PROJECT_CLOSED, tuple(p.source for p in naming.get(pr.id, ())))
        for pr in model.plans.projects
    )


# The figures of the last model asked about: the plans family and the comparison's plan-rate
# column both ask in one build (0.4 s at 10,000 posts). Weak: a finished build's model is not kept.
_last: tuple[weakref.ref[SiteModel], GoalsMetrics] | None = None


def compute(model: SiteModel) -> GoalsMetrics:
    """The 目标管理 figures of a site model (its ``plans``, ``posts`` and ``as_of``): see the module docstring."""
    global _last
    if _last is not None and _last[0]() is model:
        return _last[1]
    gm = _compute(model)
    _last = (weakref.ref(model), gm)
    return gm


def _compute(model: SiteModel) -> GoalsMetrics:
    by_unit: dict[str, list[Post]] = {}
    for p in model.posts:
        by_unit.setdefault(p.unit, []).append(p)
    years = tuple(year_goals(model, fw, by_unit) for fw in model.plans.frameworks)
    projects = list(model.plans.projects)
    starts = sorted({p.start.year for p in projects})
    return GoalsMetrics(
        model.as_of,
        years,
        project_results(model),
        totals(projects),
        tuple((y, totals([p for p in projects if p.start.year == y])) for y in starts),
        tuple((t, totals([p for p in projects if p.type == t])) for t in PROJECT_TYPES if any(p.type == t for p in projects)),
    )


def claim_warnings(gm: GoalsMetrics) -> list[Problem]:
    """A warning for every task claimed 完成 without public evidence ("没有公开的证明材料")."""
    claims = [(u.plan.source, r.task.claim_line, r.task.id) for y in gm.years for u in y.units if u.plan for r in u.tasks if r.unproven]
    return unproven_claims(claims)
