"""Core: the frozen types of 目标管理 (issue 18) — the school's yearly framework, the units'
plans, the 立项 projects and the 述职评议 results, as read from their files.

Types only. The load stage finds and reads the files (`load.plans`), the parse
stage checks them and makes these values (`parse.plans`), the site model carries
them (`SiteModel.plans`), and the plan stage computes the figures
(`plan.goals.compute`). Every value keeps the file and line it came from, so a
later check (a post naming a task that does not exist) can still point at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EVALUATION_SUFFIX = "-评议.csv"  # content/_plans/<year>-评议.csv

TASK_KINDS = ("规定", "自选")
PROJECT_TYPES = ("特色阵地", "研究课题")
PROJECT_LEVELS = ("重点", "一般")
PROJECT_STATUSES = ("立项", "中期", "结项", "终止")
PROJECT_CLOSED = frozenset({"结项", "终止"})  # never overdue
DONE_CLAIM = "完成"  # a task's self-reported ``status``
REPORT_KINDS = ("述职",)  # a post's ``report``


@dataclass(frozen=True)
class Selectors:
    """What a measured task counts: posts matching every selector given (None: any).

    ``meeting`` and ``section`` are keys (the files may name them by name or key)."""

    meeting: str | None = None
    section: str | None = None
    category: str | None = None
    tag: str | None = None

    @property
    def empty(self) -> bool:
        return self.meeting is None and self.section is None and self.category is None and self.tag is None


@dataclass(frozen=True)
class Indicator:
    code: str  # "1" (一级指标) or "1.1" (二级指标)
    name: str
    line: int = 0

    @property
    def top(self) -> str:
        """The 一级指标 code this one is under (itself for a 一级指标)."""
        return self.code.split(".", 1)[0]

    @property
    def is_top(self) -> bool:
        return "." not in self.code


@dataclass(frozen=True)
class Required:
    """A 规定动作 of the framework."""

    id: str
    indicator: str  # 二级指标 code
    title: str
    kinds: tuple[str, ...]  # unit kinds it applies to; () = every unit
    count: int | None
    selectors: Selectors
    due: dt.date | None
    line: int = 0

    def applies_to(self, unit_kind: str) -> bool:
        return not self.kinds or unit_kind in self.kinds


@dataclass(frozen=True)
class Framework:
    """``content/_plans/<year>.toml``."""

    year: int
    source: str
    goal: str
    indicators: tuple[Indicator, ...]  # file order, 一级 and 二级 together
    required: tuple[Required, ...]

    @property
    def top(self) -> tuple[Indicator, ...]:
        """The 一级指标, in file order."""
        return tuple(i for i in self.indicators if i.is_top)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


@dataclass(frozen=True)
class Task:
    """One task of a unit's plan, with what it inherits from its 规定动作 already applied."""

    id: str
    indicator: str  # 二级指标 code
    kind: str  # 规定 | 自选
    title: str
    due: dt.date
    required: str | None  # the 规定动作 it fulfils
    count: int | None  # None: an evidenced task
    selectors: Selectors
    claimed: bool  # status = "完成" in the plan
    line: int = 0  # of its id
    claim_line: int = 0  # of its status = "完成" (the warning when no post proves it)

    @property
    def measured(self) -> bool:
        return self.count is not None


@dataclass(frozen=True)
class UnitPlan:
    """``content/<unit>/_plans/<year>.toml``."""

    unit: str  # slug
    year: int
    source: str
    goal: str
    tasks: tuple[Task, ...]  # file order

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


@dataclass(frozen=True)
class Project:
    """One ``[[projects]]`` of ``content/<unit>/_projects.toml``."""

    id: str
    unit: str  # slug of the unit whose file lists it
    name: str
    type: str  # 特色阵地 | 研究课题
    level: str  # 重点 | 一般
    branches: tuple[str, ...]  # branch ids of the unit; () = the unit itself; several = 联合立项
    funding: int  # 元
    start: dt.date
    end: dt.date
    status: str  # 立项 | 中期 | 结项 | 终止
    source: str
    line: int = 0


@dataclass(frozen=True)
class Rating:
    """One side (线上 or 线下) of a unit's 评议."""

    n: int
    rate: float  # fraction 0–1, rounded to 4 places


@dataclass(frozen=True)
class Evaluation:
    """One row of ``content/_plans/<year>-评议.csv``."""

    unit: str  # slug
    year: int
    online: Rating
    offline: Rating
    source: str
    line: int = 0

    @property
    def diff(self) -> float:
        """线上满意率 − 线下满意率, in percentage points (2 places)."""
        return round(self.online.rate * 100 - self.offline.rate * 100, 2)


@dataclass(frozen=True)
class PlanInputs:
    """Everything of 目标管理 a site holds (empty for a site without any of its files)."""

    frameworks: tuple[Framework, ...] = ()  # by year
    plans: tuple[UnitPlan, ...] = ()  # by unit, then year
    projects: tuple[Project, ...] = ()  # by id
    evaluations: tuple[Evaluation, ...] = ()  # by year, then unit
    evaluation_url: str = ""  # site.toml [plans] evaluation_url ("{unit}" → slug); "" = no link

    def framework(self, year: int) -> Framework | None:
        return next((f for f in self.frameworks if f.year == year), None)

    def plan(self, unit: str, year: int) -> UnitPlan | None:
        return next((p for p in self.plans if p.unit == unit and p.year == year), None)

    def project(self, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)

    def evaluation(self, unit: str, year: int) -> Evaluation | None:
        return next((e for e in self.evaluations if e.unit == unit and e.year == year), None)

    @property
    def outline(self) -> tuple[object, ...]:
        """What pages other than the plan pages may show of these inputs (the builder's global
        key): which plans exist, and each project's id, name and unit (a post links its project)."""
        return (
            tuple(f.year for f in self.frameworks),
            tuple((p.unit, p.year) for p in self.plans),
            tuple((p.id, p.name, p.unit) for p in self.projects),
            self.evaluation_url,
        )
