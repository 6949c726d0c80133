"""Parse stage: the school's yearly framework and the units' plans (issue 18) → frozen values.

``content/_plans/<year>.toml`` becomes a `Framework`, ``content/<unit>/_plans/<year>.toml``
a `UnitPlan` whose tasks already carry what they inherit from their 规定动作.
Every mistake is a located Chinese problem (file, line of the key, what would
be right, "did you mean"), all of a file in one run. `parse_plan_inputs` reads
every 目标管理 file of a site (with `parse.projects` for projects and 评议).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from generator.core.errors import Problem, did_you_mean, error, warning
from generator.core.model import PLANS_DIR, PROJECTS_FILE, Unit
from generator.core.plans import (
    DONE_CLAIM,
    EVALUATION_SUFFIX,
    TASK_KINDS,
    Framework,
    Indicator,
    PlanInputs,
    Required,
    Selectors,
    Task,
    UnitPlan,
)
from generator.core.settings import SiteConfig
from generator.parse.projects import parse_evaluation, parse_projects
from generator.parse.tables import Entry, make_selectors, read_toml

_CODE_RE = re.compile(r"[0-9]+(\.[0-9]+)?")
_YEAR_RE = re.compile(r"(\d{4})")
_FRAMEWORK_KEYS = ("goal", "indicators", "required")
_INDICATOR_KEYS = ("code", "name")
_REQUIRED_KEYS = ("id", "indicator", "title", "kinds", "count", "meeting", "section", "category", "tag", "due")
_PLAN_KEYS = ("goal", "tasks")
_TASK_KEYS = ("id", "indicator", "kind", "title", "due", "required", "count", "meeting", "section", "category", "tag", "status")


def _goal(top: Entry) -> str:
    return top.text("goal", "年度总体目标……") or ""


# -- the framework ------------------------------------------------------------


def parse_framework(raw: bytes, rel: str, year: int, config: SiteConfig, unit_kinds: tuple[str, ...]) -> tuple[Framework | None, list[Problem]]:
    """``content/_plans/<year>.toml``: goal, 一级/二级指标 and 规定动作."""
    problems: list[Problem] = []
    read = read_toml(raw, rel, problems)
    if read is None:
        return None, problems
    top = Entry(rel, read[0], read[1], problems, label="")
    top.known(_FRAMEWORK_KEYS)
    goal = _goal(top)
    indicators = _indicators(top)
    codes = {i.code for i in indicators if not i.is_top}
    required: list[Required] = []
    for entry in top.entries("required", lambda i, t: f"规定动作 {t.get('id', f'（第 {i + 1} 个）')} "):
        r = _required(entry, codes, config, unit_kinds)
        if r is None:
            continue
        first = next((x for x in required if x.id == r.id), None)
        if first is not None:
            entry.bad("id", f"规定动作编号“{r.id}”重复了（第 {first.line} 行已经用过），每个规定动作的 id 要不同。")
            continue
        required.append(r)
    if any(p.is_error for p in problems):
        return None, problems
    return Framework(year, rel, goal, tuple(indicators), tuple(required)), problems


def _indicators(top: Entry) -> list[Indicator]:
    out: list[Indicator] = []
    entries = top.entries("indicators", lambda i, t: f"指标 {t.get('code', f'（第 {i + 1} 个）')} ")
    read: list[tuple[Entry, Indicator]] = []
    for entry in entries:
        entry.known(_INDICATOR_KEYS)
        code, name = entry.text("code", "1.1", required=True), entry.text("name", "理论学习中心组学习", required=True)
        if code is None or name is None:
            continue
        if not _CODE_RE.fullmatch(code):
            entry.bad("code", f"指标编号 code“{code}”的写法不对：一级指标写“1”，二级指标写“1.1”（一级编号.序号）。")
            continue
        first = next((i for i in out if i.code == code), None)
        if first is not None:
            entry.bad("code", f"指标编号“{code}”重复了（第 {first.line} 行已经用过），每个指标的 code 要不同。")
            continue
        out.append(Indicator(code, name, entry.line("code")))
        read.append((entry, out[-1]))
    tops = {i.code for i in out if i.is_top}
    for entry, ind in read:
        if not ind.is_top and ind.top not in tops:
            entry.bad("code", f"二级指标“{ind.code}”所属的一级指标“{ind.top}”不存在：请先写 [[indicators]] code = \"{ind.top}\"。")
    if not out and not top.has("indicators"):
        top.bad(None, "年度框架没有指标：请用 [[indicators]] 写出一级指标（code = \"1\"）和二级指标（code = \"1.1\"）。")
    return out


def _indicator_problem(word: str, codes: set[str], label: str) -> str:
    """The message for a task or 规定动作 naming an indicator that is not a 二级指标."""
    choices = sorted(codes, key=_code_order)
    return f"{label}的指标 indicator“{word}”不是本年度框架中的二级指标{did_you_mean(word, choices, end='。')}可选：{'、'.join(choices) or '（无）'}。"


def _code_order(code: str) -> tuple[int, ...]:
    return tuple(int(x) for x in code.split("."))


def _required(entry: Entry, codes: set[str], config: SiteConfig, unit_kinds: tuple[str, ...]) -> Required | None:
    entry.known(_REQUIRED_KEYS)
    rid = entry.text("id", "Y01", required=True)
    indicator = entry.text("indicator", "1.1", required=True)
    title = entry.text("title", "全年中心组学习不少于10次", required=True)
    kinds = entry.texts("kinds", '["教学单位", "机关"]')
    count = entry.number("count", 1, 10)
    selectors = entry.selectors(config)
    due = entry.date("due")
    if indicator is not None and indicator not in codes:
        entry.bad("indicator", _indicator_problem(indicator, codes, entry.label))
        return None
    for kind in kinds or ():
        if unit_kinds and kind not in unit_kinds:
            entry.problems.append(warning(entry.rel, entry.line("kinds"), f"{entry.label}的 kinds 中“{kind}”没有对应的单位{did_you_mean(kind, unit_kinds, end='。')}现有的单位类型：{'、'.join(unit_kinds)}。"))
    if rid is None or indicator is None or title is None or kinds is None:
        return None
    return Required(rid, indicator, title, kinds, count, make_selectors(selectors), due, entry.line("id"))


# -- a unit's plan ------------------------------------------------------------


def _selectors(req: Required | None, given: dict[str, str]) -> Selectors:
    """Each selector is inherited on its own: a task adding a tag keeps its 规定动作's meeting."""
    inherited = {k: v for k in ("meeting", "section", "category", "tag") if req is not None and (v := getattr(req.selectors, k)) is not None}
    return make_selectors({**inherited, **given})


class _TaskReader:
    """The tasks of one unit plan: each read with its inheritance, ids kept unique."""

    def __init__(self, framework: Framework, config: SiteConfig) -> None:
        self.framework = framework
        self.config = config
        self.codes = {i.code for i in framework.indicators if not i.is_top}
        self.required = {r.id: r for r in framework.required}
        self.tasks: list[Task] = []

    def read(self, entry: Entry) -> None:
        entry.known(_TASK_KEYS)
        tid = entry.text("id", "T01", required=True)
        rid = entry.text("required", "Y01")
        req = self.required.get(rid) if rid else None
        if rid is not None and req is None:
            ids = sorted(self.required)
            entry.bad("required", f"{entry.label}的 required“{rid}”不是 {self.framework.year} 年的规定动作{did_you_mean(rid, ids, end='。')}可选：{'、'.join(ids) or '（无）'}。")
            entry.selectors(self.config)
            return  # what it would inherit is unknown: no "missing" errors besides
        values = self._values(entry, req)
        given = entry.selectors(self.config)
        count = entry.number("count", 1, 10) if entry.has("count") else (req.count if req else None)
        if tid is None or None in values.values() or (entry.has("count") and count is None):
            return
        first = next((t for t in self.tasks if t.id == tid), None)
        if first is not None:
            entry.bad("id", f"任务编号“{tid}”重复了（第 {first.line} 行已经用过），同一单位同一年的任务 id 要不同。")
            return
        self.tasks.append(
            Task(tid, values["indicator"], values["kind"], values["title"], values["due"], rid, count, _selectors(req, given), values["status"] == DONE_CLAIM, entry.line("id"), entry.line("status"))
        )
        if values["status"] == DONE_CLAIM and count is not None:
            entry.problems.append(warning(entry.rel, entry.line("status"), f"{entry.label}有数量目标 count，完成情况按公开的文章数计算，status = \"完成\" 不起作用，可以删去。"))

    def _indicator(self, entry: Entry, req: Required | None) -> str | None:
        indicator = entry.text("indicator", "1.1") if entry.has("indicator") or req is None else req.indicator
        if indicator is None and not entry.has("indicator"):
            entry.bad(None, f"{entry.label}缺少 indicator（所属二级指标的编号），例如 indicator = \"1.1\"。")
        elif indicator is not None and indicator not in self.codes:
            entry.bad("indicator", _indicator_problem(indicator, self.codes, entry.label))
            return None
        return indicator

    def _kind(self, entry: Entry, req: Required | None) -> str | None:
        kind = entry.choice("kind", TASK_KINDS, required=req is None) or ("规定" if req is not None and not entry.has("kind") else None)
        if kind == "自选" and req is not None:
            entry.bad("kind", f"{entry.label}完成的是规定动作 {req.id}，kind 应当是“规定”（或删去 kind 这一行）。")
            return None
        return kind

    def _values(self, entry: Entry, req: Required | None) -> dict[str, Any]:
        """indicator, kind, title, due and status: given, else inherited from the 规定动作 (None: unusable)."""
        indicator = self._indicator(entry, req)
        kind = self._kind(entry, req)
        title = entry.text("title", "全年中心组学习不少于10次", required=req is None) if entry.has("title") or req is None else req.title
        due = entry.date("due") if entry.has("due") else (req.due if req else None)
        if due is None and not entry.has("due"):
            entry.bad(None, f"{entry.label}缺少完成期限 due（日期，不加引号），例如 due = 2026-12-31。")
        status = entry.text("status", DONE_CLAIM)
        if status is not None and status != DONE_CLAIM:
            entry.bad("status", f"{entry.label}的 status 只能写“{DONE_CLAIM}”（已完成时填写，需有公开的文章作证明），现在是“{status}”。")
        return {"indicator": indicator, "kind": kind, "title": title, "due": due, "status": status if status == DONE_CLAIM else ""}


def parse_unit_plan(raw: bytes, rel: str, unit: Unit, framework: Framework, config: SiteConfig) -> tuple[UnitPlan | None, list[Problem]]:
    """``content/<unit>/_plans/<year>.toml``: goal and [[tasks]]; a 规定动作 of the unit's kind left out is an error."""
    problems: list[Problem] = []
    read = read_toml(raw, rel, problems)
    if read is None:
        return None, problems
    top = Entry(rel, read[0], read[1], problems)
    top.known(_PLAN_KEYS)
    goal = _goal(top)
    reader = _TaskReader(framework, config)
    for entry in top.entries("tasks", lambda i, t: f"任务 {t.get('id', f'（第 {i + 1} 个）')} "):
        reader.read(entry)
    planned = {t.required for t in reader.tasks} | {str(t.get("required")) for t in top.data.get("tasks", []) if isinstance(t, dict)}
    for req in framework.required:
        if req.applies_to(unit.kind) and req.id not in planned:
            whom = f"{'、'.join(req.kinds)}类单位" if req.kinds else "每个单位"
            problems.append(
                error(
                    rel,
                    1,
                    f"计划缺少规定动作 {req.id}“{req.title}”（{framework.source} 第 {req.line} 行，{whom}都要列入）。"
                    f"请加一个任务：[[tasks]] id = \"…\"，required = \"{req.id}\"（标题、期限和数量目标可省略，沿用规定动作的）。",
                )
            )
    if any(p.is_error for p in problems):
        return None, problems
    return UnitPlan(unit.slug, framework.year, rel, goal, tuple(reader.tasks)), problems


# -- every file -----------------------------------------------------------------


def _year(name: str, suffix: str) -> int | None:
    m = _YEAR_RE.fullmatch(name[: -len(suffix)]) if name.endswith(suffix) else None
    return int(m.group(1)) if m else None


def parse_plan_inputs(files: Mapping[str, bytes], config: SiteConfig, units: Mapping[str, Unit], evaluation_url: str = "") -> tuple[PlanInputs, list[Problem]]:
    """Every 目标管理 file of a site (``files``: site-relative path → bytes, from `load.plans`) → `PlanInputs`.

    Frameworks first (a unit plan is read against its year's framework), then
    the units' plans, projects and 评议 results. A file with errors contributes nothing."""
    problems: list[Problem] = []
    kinds = tuple(sorted({u.kind for u in units.values()}))
    frameworks: dict[int, Framework] = {}
    school = f"content/{PLANS_DIR}/"
    for rel in sorted(files):
        name = rel.rsplit("/", 1)[1]
        year = _year(name, ".toml")
        if rel.startswith(school) and year is not None:
            fw, probs = parse_framework(files[rel], rel, year, config, kinds)
            problems.extend(probs)
            if fw is not None:
                frameworks[year] = fw
    plans, projects, evaluations = [], [], []
    for rel in sorted(files):
        name = rel.rsplit("/", 1)[1]
        if rel.startswith(school):
            if _year(name, ".toml") is None and (year := _year(name, EVALUATION_SUFFIX)) is not None:
                rows, probs = parse_evaluation(files[rel], rel, year, units, frameworks)
                evaluations.extend(rows)
                problems.extend(probs)
            elif _year(name, ".toml") is None:
                problems.append(warning(rel, 1, f"不认识的文件，已忽略：{school} 中只放年度框架 <年份>.toml（如 2026.toml）和评议结果 <年份>{EVALUATION_SUFFIX}。"))
            continue
        slug = rel.split("/")[1]
        if slug not in units:
            continue  # its unit folder already has an error
        if name == PROJECTS_FILE:
            found, probs = parse_projects(files[rel], rel, units[slug], units)
            projects.extend(found)
            problems.extend(probs)
        else:
            plan, probs = _unit_plan(files[rel], rel, name, units[slug], frameworks, config)
            problems.extend(probs)
            if plan is not None:
                plans.append(plan)
    problems.extend(_duplicate_projects(projects))
    unique = {p.id: p for p in reversed(projects)}  # the first of a duplicated id
    return PlanInputs(tuple(frameworks[y] for y in sorted(frameworks)), tuple(plans), tuple(unique[k] for k in sorted(unique)), tuple(evaluations), evaluation_url), problems


def _unit_plan(raw: bytes, rel: str, name: str, unit: Unit, frameworks: dict[int, Framework], config: SiteConfig) -> tuple[UnitPlan | None, list[Problem]]:
    year = _year(name, ".toml")
    if year is None:
        return None, [warning(rel, 1, f"不认识的文件，已忽略：{PLANS_DIR}/ 中只放年度工作计划 <年份>.toml，例如 2026.toml。")]
    framework = frameworks.get(year)
    if framework is None:
        return None, [error(rel, 1, f"没有 {year} 年的工作框架 content/{PLANS_DIR}/{year}.toml（或它有错误），无法检查这份计划的指标和规定动作。")]
    return parse_unit_plan(raw, rel, unit, framework, config)


def _duplicate_projects(projects: list[Any]) -> list[Problem]:
    seen: dict[str, Any] = {}
    problems = []
    for p in projects:
        first = seen.setdefault(p.id, p)
        if first is not p:
            problems.append(error(p.source, p.line, f"项目编号“{p.id}”重复了（{first.source} 第 {first.line} 行已经用过），项目 id 在全校要唯一。"))
    return problems


__all__ = ["parse_framework", "parse_plan_inputs", "parse_unit_plan"]
