"""Plan stage: the comparison index (对标) pages and downloads.

Turns the numbers of `metrics.compute` into page contexts (plain JSON data:
they are fingerprinted), the per-year CSV and workbook (`workbook`) and ``data/compare.json``. The data
file, the CSV, the pages and ``liangshai stats`` are all made from the same
`CompareMetrics` by the functions below, so they always agree. Pure: no disk,
no Jinja; every number is formatted here with fixed rules so the output is
byte-for-byte deterministic.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from generator.core import urls
from generator.core.model import SiteModel, Unit
from generator.load.config import Meeting, SiteConfig
from generator.plan.metrics import BAND_TEXT, STATE_SYMBOL, STATE_TEXT, CompareMetrics, Slot, UnitMetrics, YearMetrics, compute
from generator.plan.pages import FileSpec, PageSpec, Planner
from generator.write import csvout

EVERY_TEXT = {"month": "每月", "quarter": "每季度", "year": "每年"}
LEVEL_TEXT = {"branch": "每个支部", "unit": "单位"}


# -- number formatting (fixed, locale-free) -----------------------------------


def pct_text(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def num_text(value: float | None) -> str:
    """3.0 → "3", 3.5 → "3.5", None → ""."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def per_branch_text(u: UnitMetrics) -> str:
    v = u.per_branch
    return "" if v is None else f"{v:.1f}"


# -- the data file --------------------------------------------------------------


def unit_data(u: UnitMetrics, unit: Unit, cfg: SiteConfig) -> dict[str, Any]:
    section_names = {s.key: s.name for s in cfg.sections}
    meeting_names = {m.key: m.name for m in cfg.meetings}
    lag = u.lag
    return {
        "name": u.name,
        "posts": u.posts,
        "by_section": {section_names[k]: n for k, n in u.by_section},
        "by_meeting": {meeting_names[k]: n for k, n in u.by_meeting},
        "by_category": dict(u.by_category),
        "cadence": {"due": u.cadence.due, "met": u.cadence.met, "rate": u.cadence.rate},
        "lag_days": None if lag is None else {"count": lag.count, "median": lag.median, "p90": lag.p90},
        "last_post": u.last_post.isoformat() if u.last_post else None,
        "missed": [{"branch": s.branch, "meeting": meeting_names[s.meeting], "period": s.period.key} for s in u.cadence.missed],
        # slots whose period is over but which are not assessed (不考核), by reason: before_since,
        # after_until, before_start ([compare] start), exempt_month (a branch's exempt_months)
        "not_assessed": dict(u.cadence.not_assessed),
        # extras (not part of the fixed interface, may grow)
        "band": u.band,
        "branches": u.branches,
        "by_branch": dict(u.by_branch),
        "unit_level_posts": u.unit_level,
        # posts recording several meetings (主题党日 and 党课): in by_meeting once per meeting
        "posts_with_several_meetings": u.several_meetings,
        "uncategorized": u.uncategorized,
        "posts_per_branch": None if u.per_branch is None else round(u.per_branch, 2),
        "freshness": {
            section_names[f.section]: {"last": f.last.isoformat() if f.last else None, "days": f.days, "stale": f.stale} for f in u.freshness
        },
        "lag_excluded": None
        if lag is None
        else {"negative": len(lag.negative), "before_lag_since": lag.before_since, "uncommitted": lag.uncommitted},
        "monthly": list(u.monthly),
    }


def year_data(ym: YearMetrics, units: dict[str, Unit], cfg: SiteConfig) -> dict[str, Any]:
    return {
        "units": {u.unit: unit_data(u, units[u.unit], cfg) for u in ym.units},
        # extras
        "reference": ym.reference.isoformat(),
        "order": [u.unit for u in ym.units],
    }


def data_file(cm: CompareMetrics, model: SiteModel, rates: dict[int, dict[str, float | None]] | None = None) -> dict[str, Any]:
    """``data/compare.json`` (and ``stats --format json``, which prints the same); ``rates``: `plan_rates`, when known."""
    cfg = model.config
    units = {u.slug: u for u in model.units}
    section_names = {s.key: s.name for s in cfg.sections}
    years = {str(ym.year): year_data(ym, units, cfg) for ym in cm.years}
    for year, by_unit in (plan_rates(model) if rates is None else rates).items():  # an extra: the 目标管理 plan rate
        for slug, rate in by_unit.items():
            if str(year) in years:
                years[str(year)]["units"][slug]["plan_rate"] = rate
    return {
        "as_of": cm.as_of.isoformat(),
        "years": years,
        # extras
        "history": {"available": cm.history_available, "reason": cm.history_reason},
        "lag_since": cm.lag_since.isoformat() if cm.lag_since else None,
        "start": cfg.compare.start.isoformat() if cfg.compare.start else None,
        "thresholds": {"green": cfg.compare.green, "yellow": cfg.compare.yellow, "stale_days": cfg.compare.stale_days},
        # where each meeting's record counts; a post listing it in another section does not
        "meeting_sections": {m.name: [section_names[k] for k in m.sections] for m in cfg.meetings},
    }


def dumps(data: Any) -> str:
    # Compact: json's C encoder only runs without indent, and the file is rebuilt on
    # every build (5.7 MB and ~2 s indented at 10,000 posts; a fraction compact).
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


# -- the CSV ----------------------------------------------------------------------


def csv_rows(ym: YearMetrics, cfg: SiteConfig) -> list[list[str]]:
    head = ["单位", "单位代码", "支部数", "应公开", "已公开", "覆盖率(%)", "等级", "时滞中位数(天)", "时滞P90(天)", "时滞样本数"]
    head += [f"{s.name}距今(天)" for s in cfg.sections]
    head += ["发布总数", "平均每支部"]
    head += [f"栏目:{s.name}" for s in cfg.sections]
    head += [f"会议:{m.name}" for m in cfg.meetings]
    head += [f"分类:{c}" for c in cfg.categories]
    head += ["未分类", "最近发布", "未公开条数"]
    rows = [head]
    for u in ym.units:
        lag = u.lag
        row = [
            u.name,
            u.unit,
            str(u.branches),
            str(u.cadence.due),
            str(u.cadence.met),
            pct_text(u.cadence.rate),
            BAND_TEXT[u.band],
            "" if lag is None else num_text(lag.median),
            "" if lag is None else num_text(lag.p90),
            "" if lag is None else str(lag.count),
        ]
        row += ["" if f.days is None else str(f.days) for f in u.freshness]
        row += [str(u.posts), per_branch_text(u)]
        row += [str(n) for _, n in u.by_section]
        row += [str(n) for _, n in u.by_meeting]
        row += [str(n) for _, n in u.by_category]
        row += [str(u.uncategorized), u.last_post.isoformat() if u.last_post else "", str(len(u.cadence.missed))]
        rows.append(row)
    return rows


def csv_text(ym: YearMetrics, cfg: SiteConfig) -> str:
    # unit names and folder names come from authors: `csvout` keeps them from running as formulas
    return csvout.csv_text(csv_rows(ym, cfg))


def csv_bytes(ym: YearMetrics, cfg: SiteConfig) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese text correctly."""
    return csvout.csv_bytes(csv_rows(ym, cfg))


# -- page contexts ------------------------------------------------------------------


def _meeting_sections_text(cfg: SiteConfig) -> str:
    """"支部党员大会、…在支部生活，党委会、…在党建动态" (grouped, config order)."""
    section_names = {s.key: s.name for s in cfg.sections}
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in cfg.meetings:
        groups.setdefault(m.sections, []).append(m.name)
    return "，".join(f"{'、'.join(names)}在{'或'.join(section_names[k] for k in keys)}" for keys, names in groups.items())


def _row(u: UnitMetrics, year: int, cfg: SiteConfig) -> dict[str, Any]:
    lag = u.lag
    section_names = {s.key: s.name for s in cfg.sections}
    return {
        "slug": u.unit,
        "name": u.name,
        "url": urls.unit(u.unit),
        "detail": urls.compare_unit(year, u.unit),
        "branches": u.branches,
        "due": u.cadence.due,
        "met": u.cadence.met,
        "rate_sort": "" if u.cadence.rate is None else f"{u.cadence.rate:.6f}",
        "rate_text": pct_text(u.cadence.rate),
        "band": u.band,
        "band_text": BAND_TEXT[u.band],
        "missed": len(u.cadence.missed),
        "lag": None
        if lag is None
        else {"count": lag.count, "median": num_text(lag.median), "p90": num_text(lag.p90), "negative": len(lag.negative), "before_since": lag.before_since, "uncommitted": lag.uncommitted},
        "freshness": [
            {"name": section_names[f.section], "days": f.days, "last": f.last.isoformat() if f.last else None, "stale": f.stale} for f in u.freshness
        ],
        "posts": u.posts,
        "per_branch": per_branch_text(u),
        "by_section": [n for _, n in u.by_section],
        "by_category": [n for _, n in u.by_category],
        "uncategorized": u.uncategorized,
        "last_post": u.last_post.isoformat() if u.last_post else None,
    }


def _common(cm: CompareMetrics, ym: YearMetrics, cfg: SiteConfig) -> dict[str, Any]:
    return {
        "year": ym.year,
        "reference": ym.reference.isoformat(),
        "complete": ym.reference.month == 12 and ym.reference.day == 31,
        "thresholds": {"green": num_text(cfg.compare.green * 100), "yellow": num_text(cfg.compare.yellow * 100), "stale_days": cfg.compare.stale_days},
        "history": {"available": cm.history_available, "reason": cm.history_reason},
        "lag_since": cm.lag_since.isoformat() if cm.lag_since else None,
        "start": cfg.compare.start.isoformat() if cfg.compare.start else None,
        "sections": [s.name for s in cfg.sections],
        "categories": list(cfg.categories),
        "downloads": {"csv": urls.compare_csv(ym.year), "xlsx": urls.compare_xlsx(ym.year), "data": urls.COMPARE_DATA},
    }


def plan_rates(model: SiteModel) -> dict[int, dict[str, float | None]]:
    """year → unit → its 目标管理 plan rate (`plan.goals`), for the years with a framework."""
    from generator.plan.goals import compute as compute_goals

    return {y.year: {u.unit: u.rate for u in y.units} for y in compute_goals(model).years} if model.plans.frameworks else {}


def year_page(cm: CompareMetrics, ym: YearMetrics, planner: Planner, path: str, plan: dict[str, float | None] | None = None) -> PageSpec:
    cfg = planner.cfg
    title = f"{ym.year}年对标"
    crumbs: list[tuple[str, str | None]] = [("对标", None)] if path == urls.COMPARE else [("对标", urls.COMPARE), (f"{ym.year}年", None)]
    ctx = planner.base(path, title, crumbs)
    ctx.update(_common(cm, ym, cfg))
    ctx["years"] = [{"year": y.year, "url": urls.compare_year(y.year), "current": y.year == ym.year} for y in reversed(cm.years)]
    ctx["rows"] = [_row(u, ym.year, cfg) for u in ym.units]
    ctx["plan_column"] = plan is not None  # the year has a 目标管理 framework: a plan-rate column
    for row in ctx["rows"]:
        rate = (plan or {}).get(row["slug"])
        row["plan_rate_text"], row["plan_rate_sort"] = pct_text(rate), "" if rate is None else f"{rate:.6f}"
    bands = {"green": 0, "yellow": 0, "red": 0, "none": 0}
    for u in ym.units:
        bands[u.band] += 1
    ctx["bands"] = [{"band": b, "text": BAND_TEXT[b], "count": n} for b, n in bands.items()]
    ctx["uncommitted"] = sum(u.lag.uncommitted for u in ym.units if u.lag is not None)
    ctx["negative"] = sum(len(u.lag.negative) for u in ym.units if u.lag is not None)
    ctx["cadence_meetings"] = [
        {"name": m.name, "every": EVERY_TEXT[m.every], "level": LEVEL_TEXT[m.level]} for m in cfg.meetings if m.every is not None
    ]
    ctx["meeting_sections"] = _meeting_sections_text(cfg)
    return PageSpec(path, "compare.html", ctx, "站点")


def _state_cell(s: Slot, meeting: str, post_urls: dict[str, str]) -> dict[str, Any]:
    """One grid cell: the symbol shown, the words a screen reader hears, and for a met slot
    the link to its first record (by date, then path) with the number of records.

    The grid shows only the symbol (the legend explains it) so twelve months fit a
    desktop row; ``text`` says in words what the colour and symbol say, e.g. what is missing.
    """
    state = s.state
    note = "（周期未结束，暂不计入）" if state == "met" and not s.due else ""
    if state == "met":
        n = len(s.posts)
        text = f"{s.period.label}{meeting}已公开{f' {n} 篇，打开第一篇' if n > 1 else '，打开记录'}{note}"
    elif state == "missed":
        text = f"{s.period.label}{meeting}未公开"
    elif state == "pending":
        text = f"{s.period.label}{meeting}未到期"
    elif state == "excluded":
        note = f"（{s.excluded_text}）"
        text = f"{s.period.label}{meeting}不考核{note}"
    else:
        text = f"{s.period.label}{meeting}免于召开"
    first = s.posts[0] if state == "met" and s.posts else None
    return {
        "state": state,
        "symbol": STATE_SYMBOL[state],
        "text": text,
        "label": f"{s.period.label}：{STATE_TEXT[state]}{f'（{len(s.posts)} 篇）' if state == 'met' and len(s.posts) > 1 else ''}{note}",
        "href": post_urls[first] if first is not None else None,
        "count": len(s.posts) if state == "met" else 0,
    }


def _sparkline(u: UnitMetrics, ym: YearMetrics) -> dict[str, Any]:
    bar, gap, height = 8, 3, 32
    top = max(u.monthly) or 1
    bars = []
    for i, n in enumerate(u.monthly):
        month = i + 1
        future = ym.reference.year == ym.year and month > ym.reference.month
        h = 0 if n == 0 else max(2, round(n / top * (height - 2)))
        bars.append({"month": month, "count": n, "future": future, "x": i * (bar + gap), "y": height - h, "h": h})
    label = "，".join(f"{b['month']}月{b['count']}篇" for b in bars if not b["future"])
    return {"bars": bars, "width": 12 * (bar + gap) - gap, "height": height, "bar": bar, "label": f"{ym.year}年每月公开数：{label}"}


def unit_page(cm: CompareMetrics, ym: YearMetrics, u: UnitMetrics, unit: Unit, planner: Planner, post_urls: dict[str, str]) -> PageSpec:
    """The per-unit detail page; ``post_urls`` maps a post's source to its page (the grid's links)."""
    cfg = planner.cfg
    path = urls.compare_unit(ym.year, u.unit)
    title = f"{u.name} · {ym.year}年对标"
    ctx = planner.base(path, title, [("对标", urls.COMPARE), (f"{ym.year}年", urls.compare_year(ym.year)), (u.name, None)])
    ctx.update(_common(cm, ym, cfg))
    ctx["unit"] = {"slug": unit.slug, "name": unit.name, "kind": unit.kind, "url": urls.unit(unit.slug)}
    ctx["row"] = _row(u, ym.year, cfg)
    ctx["year_url"] = urls.compare_year(ym.year)
    ctx["position"] = next(i for i, x in enumerate(ym.units, 1) if x.unit == u.unit)
    ctx["count"] = len(ym.units)
    ctx["years"] = [{"year": y.year, "url": urls.compare_unit(y.year, u.unit), "current": y.year == ym.year} for y in reversed(cm.years)]
    branch_names = {b.id: b.name for b in unit.branches}
    meeting_names = {m.key: m.name for m in cfg.meetings}
    ctx["missed_words"] = [f"{_owner_name(unit, branch_names, s.branch)} {s.period.label} {meeting_names[s.meeting]} 未公开" for s in u.cadence.missed]
    by_owner: dict[tuple[str, str | None], list[Slot]] = {}  # (meeting, branch) → its slots, in cadence order
    for s in u.cadence.slots:
        by_owner.setdefault((s.meeting, s.branch), []).append(s)
    ctx["grids"] = [_grid(m, EVERY_TEXT[m.every], unit, branch_names, by_owner, post_urls) for m in cfg.meetings if m.every is not None]
    ctx["branch_counts"] = [{"name": branch_names[b], "url": urls.branch(unit.slug, b), "posts": n} for b, n in u.by_branch]
    ctx["unit_level"] = u.unit_level
    ctx["meeting_counts"] = [{"name": meeting_names[k], "posts": n} for k, n in u.by_meeting]
    ctx["category_counts"] = [{"name": c, "posts": n} for c, n in u.by_category]
    ctx["spark"] = _sparkline(u, ym)
    # "不考核" only on pages that have such slots (a site without start/since/until/exempt_months reads as before)
    states = ("met", "missed", "pending", "exempt") + (("excluded",) if any(s.excluded for s in u.cadence.slots) else ())
    ctx["legend"] = [{"state": k, "symbol": STATE_SYMBOL[k], "text": STATE_TEXT[k]} for k in states]
    ctx["has_excluded"] = "excluded" in states
    ctx["negative"] = [] if u.lag is None else [{"source": s.source, "days": s.days} for s in u.lag.negative]
    return PageSpec(path, "compare_unit.html", ctx, unit.source)


def _owner_name(unit: Unit, branch_names: dict[str, str], branch: str | None) -> str:
    """Who holds a slot: the unit itself (``None``) or one of its branches."""
    return unit.name if branch is None else branch_names[branch]


def _grid(m: Meeting, every: str, unit: Unit, branch_names: dict[str, str], by_owner: dict[tuple[str, str | None], list[Slot]], post_urls: dict[str, str]) -> dict[str, Any]:
    """One meeting's grid on a unit's page: a row per owner (the unit or each branch), a cell per period."""
    owners: list[str | None] = [None] if m.level == "unit" else [b.id for b in unit.branches]
    rows = []
    for owner in owners:
        mine = by_owner.get((m.key, owner), [])
        rows.append(
            {
                "name": _owner_name(unit, branch_names, owner),
                "url": urls.branch(unit.slug, owner) if owner else urls.unit(unit.slug),
                "cells": [_state_cell(s, m.name, post_urls) for s in mine],
                "due": sum(1 for s in mine if s.counted_due),
                "met": sum(1 for s in mine if s.counted_met),
            }
        )
    periods = [s.period for s in by_owner.get((m.key, owners[0]), [])] if owners else []
    return {
        "name": m.name,
        "key": m.key,
        "every": every,
        "level": LEVEL_TEXT[m.level],
        "periods": [{"short": p.short, "label": p.label} for p in periods],
        "rows": rows,
        "due": sum(r["due"] for r in rows),
        "met": sum(r["met"] for r in rows),
    }


def compare_outputs(model: SiteModel, planner: Planner, workbooks: bool = True, cm: CompareMetrics | None = None, unit_pages: bool = True) -> tuple[list[PageSpec], list[FileSpec]]:
    """The comparison pages and downloads (``cm``: `metrics.compute` of ``model``, when made already);
    ``workbooks=False`` (``check``, which writes nothing) leaves out the xlsx files, the slowest part of
    a small site's check; ``unit_pages=False``: without the units' pages (the build plans each apart,
    `build.phases.plan_compare_units`)."""
    from generator.write.workbook import workbook_bytes, workbook_key

    cm = compute(model) if cm is None else cm
    cfg = model.config
    units = {u.slug: u for u in model.units}
    # a post's URL is its unit and slug: both are in build._compare_fields, the family key
    post_urls = {p.source: urls.post(p.unit, p.slug) for p in model.posts} if unit_pages else {}
    pages: list[PageSpec] = []
    files: list[FileSpec] = []
    rates = plan_rates(model)
    for ym in cm.years:
        pages.append(year_page(cm, ym, planner, urls.compare_year(ym.year), rates.get(ym.year)))
        if ym.year == cm.as_of.year:
            pages.append(year_page(cm, ym, planner, urls.COMPARE, rates.get(ym.year)))
        for u in ym.units if unit_pages else ():
            pages.append(unit_page(cm, ym, u, units[u.unit], planner, post_urls))
        files.append(FileSpec(urls.compare_csv(ym.year), "站点", data=csv_bytes(ym, cfg)))
        # the 通报 workbook (units, branches, missed slots, counts); deterministic bytes, made
        # only when its year's figures changed (a new post leaves the other years' alone)
        if workbooks:
            files.append(FileSpec(urls.compare_xlsx(ym.year), "站点", make=functools.partial(workbook_bytes, ym, model), key=workbook_key(ym, model)))
    files.append(FileSpec(urls.COMPARE_DATA, "站点", data=dumps(data_file(cm, model, rates)).encode("utf-8")))
    return pages, files


__all__ = ["compare_outputs", "csv_bytes", "csv_rows", "csv_text", "data_file", "dumps", "num_text", "pct_text", "unit_page", "year_data"]
