"""Entry: ``liangshai stats --plans`` — the 目标管理 figures (issue 18) in the terminal.

The same `GoalsMetrics` the plan pages and ``data/plans.json`` are made from
(`plan.goals.compute`, `plan.goals_output.data_file`): per unit the plan rate,
each 一级指标's rate, the overdue tasks, the 评议; then the projects' totals.
"""

from __future__ import annotations

import json

from generator.plan.compare import pct_text
from generator.plan.goals import STATUS_TEXT, GoalsMetrics, UnitGoals, YearGoals, totals_text
from generator.plan.goals_output import data_file


def _rate(rate: float | None) -> str:
    return pct_text(rate) or "—"


def _evaluation_cells(u: UnitGoals) -> list[str]:
    e = u.evaluation
    if e is None:
        return ["—", "—", "—"]
    return [f"{pct_text(e.online.rate)}（{e.online.n}人）", f"{pct_text(e.offline.rate)}（{e.offline.n}人）", f"{e.diff:+.1f}"]


def plans_table(yg: YearGoals, gm: GoalsMetrics) -> str:
    """The year's units × 一级指标 (rates in %), overdue tasks named, then the projects."""
    from generator.commands.stats import aligned

    tops = yg.framework.top
    lines = [f"{yg.year}年目标管理（数据截至 {gm.as_of.isoformat()}；完成率 = 已完成任务 / 计划任务）"]
    if yg.framework.goal:
        lines.append(f"年度总体目标：{yg.framework.goal}")
    head = ["单位", "完成/任务", "完成率%", *(f"{i.code} {i.name}%" for i in tops), "逾期", "线上满意率", "线下满意率", "差(百分点)"]
    rows = [head]
    for u in yg.units:
        done = f"{u.done}/{len(u.tasks)}" if u.plan else "无计划"
        rows.append([u.name, done, _rate(u.rate), *(_rate(i.rate) for i in u.by_indicator), str(len(u.overdue)), *_evaluation_cells(u)])
    lines += aligned(rows, left=())
    overdue = [(u, r) for u in yg.units for r in u.overdue]
    lines.append("")
    lines.append(f"逾期任务：{len(overdue)} 项" + ("。" if not overdue else "："))
    lines += [f"  {u.name} {r.task.id} {r.task.title}（期限 {r.task.due.isoformat()}{_progress(r.found, r.count)}）" for u, r in overdue]
    lines.append("")
    lines.append(f"立项项目：{totals_text(gm.totals)}。")
    lines += [f"  {t}：{totals_text(tt, t)}。" for t, tt in gm.by_type]
    late = [p for p in gm.projects if p.overdue]
    if late:
        lines.append(f"逾期未结项：{'、'.join(f'{p.project.id} {p.project.name}（{p.project.end.isoformat()} 到期）' for p in late)}。")
    return "\n".join(lines) + "\n"


def _progress(found: int | None, count: int | None) -> str:
    return "" if count is None else f"，已完成 {found}/{count}"


def plans_json(gm: GoalsMetrics, year: int) -> str:
    """``data/plans.json`` of one year (indented for a terminal)."""
    data = data_file(gm)
    data["years"] = {str(year): data["years"][str(year)]}
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


__all__ = ["STATUS_TEXT", "plans_json", "plans_table"]
