"""Plan stage: the pages of 目标管理 (issue 18) — each unit's plan and printable annual summary
per year, the school's matrix per year, the project list and a page per project.

`goal_pages` plans them all from the one `GoalsMetrics` (`plan.goals.compute`,
made by `plan.goals_output.plans_outputs`, which also writes ``data/plans.json``
from it, so a page and the data file cannot disagree). The cadence coverage and
lag of the annual summary come from `plan.metrics.year_metrics` (once a year), formatted as the
comparison pages format them (`compare._row`). They are one page family, keyed
in `build.phases.plan_goals` by what they read: the plan inputs, the as-of date,
every post's comparison fields, tags and what it names, and what lists show of the
posts naming a task, a project or a report; and the git history (the summary's lag
reads the first commit dates).
Pure: no disk, no Jinja.
"""

from __future__ import annotations

from typing import Any

from generator.core import urls
from generator.core.model import SiteModel, Unit
from generator.core.plans import PROJECT_LEVELS, Evaluation, Framework
from generator.plan import goals
from generator.plan.goals import STATUS_SYMBOL, STATUS_TEXT, GoalsMetrics, ProjectResult, TaskResult, Totals, UnitGoals, YearGoals
from generator.plan.metrics import UnitMetrics, year_metrics
from generator.plan.pages import PageSpec, Planner, date_text, sort_posts

GOALS_CSS = "goals.css"  # the theme's stylesheet of these pages (screen and A4 print)


def pct(rate: float | None) -> str:
    """0.625 → "62.5%"; None → "—"."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def wan(yuan: int) -> str:
    """Funding in 万元, one decimal at most: 123000 → "12.3", 20000 → "2"."""
    return f"{round(yuan / 10000, 1):g}"


def totals_text(t: Totals, noun: str = "") -> str:
    """ "共立项特色阵地 58 个，其中重点项目 9 个、一般项目 39 个，经费 12.3 万元" (the seed's style)."""
    levels = "、".join(f"{level}项目 {n} 个" for level, n in t.by_level)
    return f"共立项{noun} {t.count} 个" + (f"，其中{levels}" if levels else "") + f"，经费 {wan(t.funding)} 万元"


# -- shared pieces ---------------------------------------------------------------------


def _base(planner: Planner, path: str, title: str, crumbs: list[tuple[str, str | None]]) -> dict[str, Any]:
    ctx = planner.base(path, title, crumbs)
    ctx["goals_css"] = planner.assets.get(GOALS_CSS)
    return ctx


def _post_link(planner: Planner, source: str) -> dict[str, Any]:
    p = planner.posts_by_source[source]
    return {"title": p.title, "url": urls.post(p.unit, p.slug), "date": p.day.isoformat(), "date_text": date_text(p.day)}


def _year_nav(m: SiteModel, current: int, url) -> list[dict[str, Any]]:
    return [{"year": f.year, "url": url(f.year), "current": f.year == current} for f in reversed(m.plans.frameworks)]


def _task_row(planner: Planner, r: TaskResult) -> dict[str, Any]:
    t = r.task
    return {
        "id": t.id,
        "kind": t.kind,
        "required": t.required,
        "title": t.title,
        "status": r.status,
        "status_text": STATUS_TEXT[r.status],
        "symbol": STATUS_SYMBOL[r.status],
        "measured": t.measured,
        "found": r.found,
        "count": t.count,
        "claimed": t.claimed,
        "unproven": r.unproven,
        "due": t.due.isoformat() if t.due else None,
        "due_text": date_text(t.due) if t.due else "—",
        "evidence": [_post_link(planner, s) for s in sorted(r.evidence, key=lambda s: planner.posts_by_source[s].day, reverse=True)],
    }


def _groups(planner: Planner, fw: Framework, ug: UnitGoals) -> list[dict[str, Any]]:
    """The tasks under each 一级 and 二级指标, framework order; a 二级指标 without tasks is left out."""
    by_indicator = {i.code: i for i in ug.by_indicator}
    out = []
    for top in fw.top:
        subs = []
        for sub in fw.indicators:
            if sub.is_top or sub.top != top.code:
                continue
            rows = [_task_row(planner, r) for r in ug.tasks if r.task.indicator == sub.code]
            if rows:
                subs.append({"code": sub.code, "name": sub.name, "tasks": rows})
        ir = by_indicator.get(top.code)
        out.append(
            {
                "code": top.code,
                "name": top.name,
                "tasks": ir.tasks if ir else 0,
                "done": ir.done if ir else 0,
                "rate": pct(ir.rate if ir else None),
                "subs": subs,
            }
        )
    return out


def _status_counts(ug: UnitGoals) -> list[dict[str, Any]]:
    return [{"status": s, "text": STATUS_TEXT[s], "symbol": STATUS_SYMBOL[s], "count": sum(1 for r in ug.tasks if r.status == s)} for s in goals.STATUSES]


def _evaluation(e: Evaluation | None) -> dict[str, Any] | None:
    if e is None:
        return None
    diff = e.diff
    return {
        "online_n": e.online.n,
        "online": pct(e.online.rate),
        "offline_n": e.offline.n,
        "offline": pct(e.offline.rate),
        "diff": f"{diff:+.1f}",
    }


def _year_goals(gm: GoalsMetrics, year: int) -> YearGoals:
    yg = gm.year(year)
    assert yg is not None, year
    return yg


def _unit_goals(gm: GoalsMetrics, planner: Planner, slug: str, year: int) -> tuple[Unit, YearGoals, UnitGoals]:
    yg = _year_goals(gm, year)
    ug = yg.unit(slug)
    assert ug is not None, (slug, year)
    return planner.units[slug], yg, ug


def _unit_head(planner: Planner, u: Unit, yg: YearGoals, ug: UnitGoals) -> dict[str, Any]:
    """What the plan page and the annual summary both show of a unit's year."""
    m = planner.m
    y = yg.year
    url = m.plans.evaluation_url
    return {
        "unit": {"slug": u.slug, "name": u.name, "kind": u.kind, "url": urls.unit(u.slug)},
        "year": y,
        "as_of": m.as_of.isoformat(),
        "as_of_text": date_text(m.as_of),
        "framework_goal": yg.framework.goal,
        "goal": ug.plan.goal if ug.plan else None,
        "has_plan": ug.plan is not None,
        "total": len(ug.tasks),
        "done": ug.done,
        "rate": pct(ug.rate),
        "statuses": _status_counts(ug),
        "report": _post_link(planner, ug.report) if ug.report else None,
        "evaluation": _evaluation(ug.evaluation),
        "evaluation_url": url.replace("{unit}", u.slug) if url else None,
        "plan_url": urls.unit_plan(u.slug, y),
        "report_url": urls.unit_report(u.slug, y),
        "school_url": urls.plans_year(y),
    }


# -- pages ------------------------------------------------------------------------------


def plan_page(gm: GoalsMetrics, planner: Planner, slug: str, year: int) -> PageSpec:
    u, yg, ug = _unit_goals(gm, planner, slug, year)
    path = urls.unit_plan(slug, year)
    ctx = _base(planner, path, f"{u.name} · {year}年度工作计划", [(u.name, urls.unit(slug)), (f"{year}年度计划", None)])
    ctx.update(_unit_head(planner, u, yg, ug))
    ctx["groups"] = _groups(planner, yg.framework, ug)
    ctx["years"] = _year_nav(planner.m, year, lambda y: urls.unit_plan(slug, y))
    return PageSpec(path, "goal_plan.html", ctx, ug.plan.source if ug.plan else u.source)


def report_page(gm: GoalsMetrics, planner: Planner, slug: str, year: int, um: UnitMetrics) -> PageSpec:
    """``um``: the unit's comparison figures of the year (cadence coverage, lag, counts)."""
    from generator.plan.compare import _row  # the comparison page's own formatting of these figures

    u, yg, ug = _unit_goals(gm, planner, slug, year)
    m = planner.m
    path = urls.unit_report(slug, year)
    ctx = _base(planner, path, f"{u.name} · {year}年度工作总结", [(u.name, urls.unit(slug)), (f"{year}年度工作总结", None)])
    ctx.update(_unit_head(planner, u, yg, ug))
    ctx["indicators"] = [{"code": i.code, "name": i.name, "tasks": i.tasks, "done": i.done, "rate": pct(i.rate)} for i in ug.by_indicator]
    ctx["open_tasks"] = [_task_row(planner, r) for r in ug.tasks if r.status != "done"]
    row = _row(um, year, m.config)
    ctx["cadence"] = {k: row[k] for k in ("due", "met", "rate_text", "band", "band_text", "missed", "lag", "posts", "per_branch", "last_post")}
    ctx["history_reason"] = m.history.reason
    ctx["compare_url"] = urls.compare_unit(year, slug)
    ctx["categories"] = [{"name": c, "count": n} for c, n in um.by_category] + ([{"name": "未分类", "count": um.uncategorized}] if um.uncategorized else [])
    ctx["meetings"] = [{"name": planner.meeting_names[k], "count": n} for k, n in um.by_meeting if n]
    results = [r for r in gm.projects if r.project.unit == slug]
    ctx["projects"] = [_project_row(planner, r) for r in results]
    ctx["years"] = _year_nav(m, year, lambda y: urls.unit_report(slug, y))
    return PageSpec(path, "goal_report.html", ctx, u.source)


def school_page(gm: GoalsMetrics, planner: Planner, year: int) -> PageSpec:
    yg = _year_goals(gm, year)
    path = urls.plans_year(year)
    ctx = _base(planner, path, f"{year}年度目标管理", [("目标管理", None), (f"{year}年", None)])
    ctx["year"] = year
    ctx["as_of"] = planner.m.as_of.isoformat()
    ctx["as_of_text"] = date_text(planner.m.as_of)
    ctx["goal"] = yg.framework.goal
    ctx["overall"] = {"tasks": yg.tasks, "done": yg.done, "rate": pct(yg.rate)}
    ctx["indicators"] = [{"code": i.code, "name": i.name} for i in yg.framework.top]
    ctx["required"] = [{"id": r.id, "indicator": r.indicator, "title": r.title, "kinds": "、".join(r.kinds) or "全部单位"} for r in yg.framework.required]
    ctx["rows"] = [_school_row(ug, year) for ug in yg.units]
    ctx["overdue"] = [
        {
            "unit": ug.name,
            "plan_url": urls.unit_plan(ug.unit, year),
            "id": r.task.id,
            "title": r.task.title,
            "kind": r.task.kind,
            "due_text": date_text(r.task.due) if r.task.due else "—",
        }
        for ug in yg.units
        for r in ug.overdue
    ]
    ctx["evaluations"] = [{"unit": ug.name, "url": urls.unit_plan(ug.unit, year), **(_evaluation(ug.evaluation) or {})} for ug in yg.units if ug.evaluation]
    ctx["years"] = _year_nav(planner.m, year, urls.plans_year)
    ctx["projects_url"] = urls.PROJECTS if planner.m.plans.projects else None
    return PageSpec(path, "goal_school.html", ctx, yg.framework.source)


def _school_row(ug: UnitGoals, year: int) -> dict[str, Any]:
    return {
        "name": ug.name,
        "url": urls.unit_plan(ug.unit, year),
        "has_plan": ug.plan is not None,
        "cells": [{"rate": pct(i.rate), "done": i.done, "tasks": i.tasks} for i in ug.by_indicator],
        "done": ug.done,
        "total": len(ug.tasks),
        "rate": pct(ug.rate),
        "overdue": len(ug.overdue),
    }


def _project_row(planner: Planner, r: ProjectResult) -> dict[str, Any]:
    p = r.project
    unit = planner.units[p.unit]
    branches = [b.name for b in unit.branches if b.id in p.branches]
    return {
        "id": p.id,
        "name": p.name,
        "url": urls.project(p.id),
        "type": p.type,
        "level": p.level,
        "unit": unit.name,
        "unit_url": urls.unit(unit.slug),
        "branches": branches,
        "joint": len(p.branches) > 1,
        "funding": wan(p.funding),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "term": f"{date_text(p.start)}—{date_text(p.end)}",
        "status": p.status,
        "overdue": r.overdue,
        "posts": len(r.posts),
        "latest": [_post_link(planner, s) for s in r.posts],  # every post, newest first
    }


def projects_page(gm: GoalsMetrics, planner: Planner) -> PageSpec:
    path = urls.PROJECTS
    ctx = _base(planner, path, "立项项目", [("立项项目", None)])
    ctx["as_of"] = gm.as_of.isoformat()
    ctx["as_of_text"] = date_text(gm.as_of)
    ctx["total"] = totals_text(gm.totals)
    ctx["by_type"] = [{"type": t, "text": totals_text(tt, t)} for t, tt in gm.by_type]
    ctx["by_year"] = [
        {
            "year": y,
            "count": tt.count,
            "types": "、".join(f"{t} {n} 个" for t, n in tt.by_type),
            "levels": "、".join(f"{lv} {n} 个" for lv, n in tt.by_level),
            "funding": wan(tt.funding),
        }
        for y, tt in gm.by_start_year
    ]
    ctx["groups"] = [{"type": t, "projects": [_project_row(planner, r) for r in gm.projects if r.project.type == t]} for t, _ in gm.by_type]
    ctx["overdue"] = sum(1 for r in gm.projects if r.overdue)
    ctx["levels"] = list(PROJECT_LEVELS)
    return PageSpec(path, "goal_projects.html", ctx, "站点")


def project_page(gm: GoalsMetrics, planner: Planner, project_id: str) -> PageSpec:
    r = gm.project(project_id)
    assert r is not None, project_id
    path = urls.project(project_id)
    row = _project_row(planner, r)
    ctx = _base(planner, path, r.project.name, [("立项项目", urls.PROJECTS), (r.project.name, None)])
    ctx["project"] = row
    ctx["as_of_text"] = date_text(planner.m.as_of)
    posts = sort_posts([planner.posts_by_source[s] for s in r.posts])
    ctx["posts"] = [planner.summaries[p.source].as_dict() for p in posts]  # plain data: the family pickles (FixedPages)
    return PageSpec(path, "goal_project.html", ctx, r.project.source)


def goal_pages(gm: GoalsMetrics, model: SiteModel, planner: Planner) -> list[PageSpec]:
    """Every 目标管理 page with its whole template context: for each framework year the school's page and each
    unit's plan and annual summary (a unit without a plan says so), then the project list and each project's page."""
    out: list[PageSpec] = []
    for yg in gm.years:
        out.append(school_page(gm, planner, yg.year))
        cadence = {um.unit: um for um in year_metrics(model, yg.year).units}  # one pass over the posts, not one a unit
        for u in model.units:
            out.append(plan_page(gm, planner, u.slug, yg.year))
            out.append(report_page(gm, planner, u.slug, yg.year, cadence[u.slug]))
    if gm.projects:
        out.append(projects_page(gm, planner))
        out.extend(project_page(gm, planner, r.project.id) for r in gm.projects)
    return out


def site_links(m: SiteModel) -> dict[str, str | None]:
    """The navigation's links: the newest framework's school page and the project list (None without them).

    On every page, so they read only what the builder's global key holds (`PlanInputs.outline`), not the as-of date."""
    years = [f.year for f in m.plans.frameworks]
    return {"plans": urls.plans_year(max(years)) if years else None, "projects": urls.PROJECTS if m.plans.projects else None}


__all__ = ["GOALS_CSS", "goal_pages", "site_links", "totals_text", "wan"]
