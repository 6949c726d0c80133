"""Write stage helper: the comparison workbook (``stats --format xlsx``, ``compare/<year>.xlsx``).

One workbook per year for the organisation department's 通报, made from the
same `YearMetrics` as the CSV, the pages and ``data/compare.json``
(`compare.csv_rows` for the units sheet), so all of them agree:

- 单位对标: the comparison row of each unit (the CSV's columns; counts as
  numbers, the coverage as a percentage cell);
- 支部对标: each branch × each meeting with a cadence (unit-level meetings on
  a row of their own): due, met, rate;
- 未公开: the missed slots, one per row;
- 栏目分类: posts by column (栏目) and by category (分类) for each unit.

Every sheet has a frozen header row, an autofilter, column widths that fit
the Chinese text and percentage formats. Text cells go through
`csvout.safe_cell` (author-written names never run as formulas).

Written by `xlsx` (a small SpreadsheetML writer, ~30× faster than openpyxl
on these ~340,000 cells; issue 23). Deterministic bytes: the document's time
and every zip entry's are the year's reference day (`YearMetrics.reference`),
so two builds of the same content give the same file.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from generator.core.model import SiteModel, Unit
from generator.load.config import SiteConfig
from generator.plan.compare import csv_rows
from generator.plan.metrics import YearMetrics
from generator.write.csvout import safe_cell
from generator.write.xlsx import Book, Sheet

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
RATE_HEAD = "覆盖率(%)"  # the CSV's column; a fraction with a percentage format in the workbook
UNIT_LEVEL = "（单位本级）"


@functools.lru_cache(maxsize=4096)  # the sheets repeat a few hundred names and labels thousands of times
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cell(value: Any) -> Any:
    """Numbers stay numbers; text is neutralised like the CSV's cells."""
    if value is None or isinstance(value, (int, float)):
        return value
    return safe_cell(str(value))


def _sheet(title: str, head: Sequence[str], rows: Sequence[Sequence[Any]], percent: Sequence[str] = ()) -> Sheet:
    """One sheet: neutralised text, and each column as wide as its longest cell (East Asian characters count double), within reason."""
    widths = []
    for i, name in enumerate(head):
        texts = [name] + [("100.0%" if name in percent else str(r[i] if r[i] is not None else "")) for r in rows]
        widths.append(min(max(_width(t) for t in texts) + 2, 48))
    return Sheet(
        title,
        [_cell(h) for h in head],
        [[_cell(v) for v in row] for row in rows],
        widths,
        frozenset(i for i, name in enumerate(head) if name in percent),
    )


def _number(text: str) -> Any:
    if text == "":
        return None
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


def workbook_key(ym: YearMetrics, model: SiteModel) -> str:
    """A digest of everything `workbook_bytes` reads: the year's metrics, the units' and branches' names,
    the configuration and the code (a new post leaves the other years' workbooks alone: making one is
    ~0.3 s for a 10,000-post year)."""
    from generator.core.digests import code_digest

    names = [(u.slug, u.name, [(b.id, b.name) for b in u.branches]) for u in model.units]
    # the figures by the digest of their inputs when `metrics.compute` had it (a repr of every slot of
    # every unit was ~0.3 s for the four years at 10,000 posts, made again on every new post)
    figures = ym.digest or ym
    return hashlib.sha256(repr((code_digest(), figures, names, model.config)).encode()).hexdigest()


def workbook_bytes(ym: YearMetrics, model: SiteModel) -> bytes:
    """The year's workbook as the bytes of an .xlsx file (see the module docstring)."""
    cfg = model.config
    units = {u.slug: u for u in model.units}
    sheets = [_units_sheet(ym, cfg), _branches_sheet(ym, units, cfg), _missed_sheet(ym, units, cfg), _counts_sheet(ym, cfg)]
    return Book(sheets, title=f"{ym.year}年对标", creator="liangshai").save(dt.datetime.combine(ym.reference, dt.time()))


def _units_sheet(ym: YearMetrics, cfg: SiteConfig) -> Sheet:
    """单位对标: the CSV's row, typed; the unit's name and code stay text."""
    head, *rows = csv_rows(ym, cfg)
    rate_col = head.index(RATE_HEAD)
    typed = []
    for u, row in zip(ym.units, rows, strict=False):
        cells: list[Any] = [row[0], row[1], *(_number(c) for c in row[2:])]
        cells[rate_col] = u.cadence.rate
        typed.append(cells)
    return _sheet("单位对标", [*head[:rate_col], "覆盖率", *head[rate_col + 1 :]], typed, percent=("覆盖率",))


def _branches_sheet(ym: YearMetrics, units: dict[str, Unit], cfg: SiteConfig) -> Sheet:
    """支部对标: each branch (and the unit itself) × each meeting with a cadence, in unit order."""
    meetings = {m.key: m for m in cfg.meetings}
    keys = {m.key: i for i, m in enumerate(cfg.meetings)}
    branch_rows = []
    for u in ym.units:
        unit = units[u.unit]
        names = {b.id: b.name for b in unit.branches}
        counts: dict[tuple[str | None, str], list[int]] = {}
        for s in u.cadence.slots:
            due_met = counts.setdefault((s.branch, s.meeting), [0, 0])
            due_met[0] += s.counted_due
            due_met[1] += s.counted_met
        order = {b.id: i for i, b in enumerate(unit.branches)}
        for (branch, meeting), (due, met) in sorted(counts.items(), key=lambda kv: (kv[0][0] is None, order.get(kv[0][0] or "", 0), keys[kv[0][1]])):
            branch_rows.append(
                [
                    u.name,
                    u.unit,
                    names.get(branch, branch) if branch else UNIT_LEVEL,
                    branch or "",
                    meetings[meeting].name,
                    due,
                    met,
                    met / due if due else None,
                ]
            )
    return _sheet("支部对标", ["单位", "单位代码", "支部", "支部代码", "会议", "应公开", "已公开", "覆盖率"], branch_rows, percent=("覆盖率",))


def _missed_sheet(ym: YearMetrics, units: dict[str, Unit], cfg: SiteConfig) -> Sheet:
    """未公开: one missed slot per row."""
    meetings = {m.key: m for m in cfg.meetings}
    missed_rows = []
    for u in ym.units:
        names = {b.id: b.name for b in units[u.unit].branches}
        for s in u.cadence.missed:
            missed_rows.append(
                [
                    u.name,
                    u.unit,
                    names.get(s.branch, s.branch) if s.branch else UNIT_LEVEL,
                    s.branch or "",
                    meetings[s.meeting].name,
                    s.period.label,
                    s.period.key,
                ]
            )
    return _sheet("未公开", ["单位", "单位代码", "支部", "支部代码", "会议", "周期", "周期代码"], missed_rows)


def _counts_sheet(ym: YearMetrics, cfg: SiteConfig) -> Sheet:
    """栏目分类: posts by column and by category."""
    section_names = [s.name for s in cfg.sections]
    count_rows = []
    for u in ym.units:
        count_rows.append([u.name, u.unit, u.posts, *(n for _, n in u.by_section), *(n for _, n in u.by_category), u.uncategorized])
    return _sheet(
        "栏目分类", ["单位", "单位代码", "发布总数", *(f"栏目:{n}" for n in section_names), *(f"分类:{c}" for c in cfg.categories), "未分类"], count_rows
    )


__all__ = ["workbook_bytes", "workbook_key"]
