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
from dataclasses import dataclass

from generator.core.model import SiteModel
from generator.core.plans import Evaluation, Framework, Project, Task, UnitPlan

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


def compute(model: SiteModel) -> GoalsMetrics:
    """The 目标管理 figures of a site model (its ``plans``, ``posts`` and ``as_of``): see the module docstring."""
    raise NotImplementedError
