"""Plan stage: the 目标管理 outputs (issue 18) — ``data/plans.json`` and the pages, from one `GoalsMetrics`.

`plans_outputs` computes the figures once (`plan.goals.compute`) and hands them
to the data file (`data_file`, the issue's fixed schema, keys sorted) and to the
pages (`plan.goalpages`), so they cannot disagree; ``liangshai stats --plans``
prints the same values. A site with no 目标管理 file has none of these outputs.
"""

from __future__ import annotations

import json
from typing import Any

from generator.core import urls
from generator.core.model import SiteModel
from generator.core.plans import Evaluation
from generator.plan.goals import GoalsMetrics, ProjectResult, Totals, UnitGoals, compute
from generator.plan.pages import FileSpec, PageSpec, Planner


def evaluation_data(e: Evaluation | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"online": {"n": e.online.n, "rate": e.online.rate}, "offline": {"n": e.offline.n, "rate": e.offline.rate}, "diff": e.diff}


def unit_data(u: UnitGoals) -> dict[str, Any]:
    return {
        "rate": u.rate,
        "by_indicator": {i.code: {"tasks": i.tasks, "done": i.done, "rate": i.rate} for i in u.by_indicator},
        "tasks": {
            r.task.id: {"indicator": r.task.indicator, "kind": r.task.kind, "status": r.status, "found": r.found, "count": r.count, "evidence": list(r.evidence)}
            for r in u.tasks
        },
        "evaluation": evaluation_data(u.evaluation),
        # extras (not part of the fixed interface, may grow)
        "name": u.name,
        "plan": u.plan is not None,
        "report": u.report,
    }


def project_data(r: ProjectResult) -> dict[str, Any]:
    p = r.project
    return {
        "unit": p.unit,
        "type": p.type,
        "level": p.level,
        "funding": p.funding,
        "status": p.status,
        "overdue": r.overdue,
        "posts": len(r.posts),
        # extras
        "name": p.name,
        "branches": list(p.branches),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
    }


def totals_data(t: Totals) -> dict[str, Any]:
    return {"count": t.count, "by_type": dict(t.by_type), "by_level": dict(t.by_level), "funding": t.funding}


def data_file(gm: GoalsMetrics) -> dict[str, Any]:
    return {
        "as_of": gm.as_of.isoformat(),
        "years": {str(y.year): {"units": {u.unit: unit_data(u) for u in y.units}} for y in gm.years},
        "projects": {r.project.id: project_data(r) for r in gm.projects},
        "project_totals": {**totals_data(gm.totals), "by_year": {str(y): totals_data(t) for y, t in gm.by_start_year}},  # by_year: an extra
    }


def dumps(data: Any) -> str:
    # keys sorted: every map of the schema (units, tasks, indicators, projects) in a fixed order
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def has_plans(model: SiteModel) -> bool:
    return bool(model.plans.frameworks or model.plans.projects)


def plans_outputs(model: SiteModel, planner: Planner) -> tuple[GoalsMetrics, list[PageSpec], list[FileSpec]]:
    """The figures, the 目标管理 pages and ``data/plans.json`` (nothing for a site without 目标管理 files)."""
    from generator.plan.goalpages import goal_pages

    gm = compute(model)
    if not has_plans(model):
        return gm, [], []
    return gm, goal_pages(gm, model, planner), [FileSpec(urls.PLANS_DATA, "站点", data=dumps(data_file(gm)).encode("utf-8"))]


__all__ = ["data_file", "dumps", "has_plans", "plans_outputs"]
