"""Commands: ``liangshai units import`` and ``units export`` — units and branches from a spreadsheet.

Import reads the sheet (`units_sheet`), checks it as a whole (every problem named
``FILE:ROW``, nothing written while there is one), gives every unit and branch
its id, and writes one ``content/<unit>/_unit.toml`` per unit. Ids are stable:
the 单位编号 / 支部编号 when given (so a row renamed keeps its id), otherwise the id
the site's existing ``_unit.toml`` has for that name, otherwise made from the
name in pinyin (`units_ids`). What the sheet does not say is kept from the
existing file (``editors``, ``exempt``, ``until`` …). A branch missing from the
sheet is listed, and only removed with ``--prune``; a unit missing from it is
only listed (its folder holds posts). Export writes the units back as a sheet.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.commands.site_toml import toml_value
from generator.commands.units_ids import IdMaker
from generator.commands.units_sheet import COLUMNS, SheetRow, UnitsError, sheet_date, sheet_rows, yes_no
from generator.core.errors import Kind, Problem, choices_text, error
from generator.core.model import UNIT_FILE
from generator.load.sources import CONTENT, unit_name_problem
from generator.parse.unit import BRANCH_KINDS

# The unit types a sheet may name, besides those the site's unit files already use.
UNIT_KINDS = ("教学单位", "科研单位", "机关", "直属单位", "附属单位", "离退休", "二级党组织")

_UNIT_ORDER = ("name", "kind", "order", "editors")
_BRANCH_ORDER = ("id", "name", "kind", "groups", "exempt", "since", "until", "exempt_months")


@dataclass
class SheetBranch:
    row: SheetRow
    id: str = ""
    groups: bool | None = None
    since: dt.date | None = None


@dataclass
class SheetUnit:
    name: str
    row: int  # first row
    kind: str = ""
    id: str = ""
    failed: bool = False  # a problem of the unit's own was reported: no follow-on ones
    branches: list[SheetBranch] = field(default_factory=list)


@dataclass(frozen=True)
class Existing:
    """A unit file already in content/: its folder, path and data as written."""

    slug: str
    path: Path
    data: dict[str, Any]


def read_existing(site: Path) -> dict[str, Existing]:
    """slug → the unit file under content/ (a file that is not valid TOML is a `UnitsError`)."""
    out: dict[str, Existing] = {}
    problems: list[Problem] = []
    root = site / CONTENT
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        path = folder / UNIT_FILE
        if not path.is_file():
            continue
        try:
            out[folder.name] = Existing(folder.name, path, tomllib.loads(path.read_bytes().decode("utf-8-sig")))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(error(f"{CONTENT}/{folder.name}/{UNIT_FILE}", 1, f"无法读取现有的单位文件（{exc}）：请先改正它（liangshai check）再导入。", Kind.CONFIG))
    if problems:
        raise UnitsError(problems)
    return out


class _SheetReader:
    """The rows → `SheetUnit` s in sheet order, every problem at its row."""

    def __init__(self, shown: str, kinds: tuple[str, ...]) -> None:
        self.shown = shown
        self.kinds = kinds
        self.units: dict[str, SheetUnit] = {}
        self.unit_ids: dict[str, tuple[str, int]] = {}  # 单位编号 -> (unit name, row)
        self.branch_ids: dict[str, int] = {}  # 支部编号 -> row
        self.problems: list[Problem] = []

    def bad(self, row: int, message: str) -> None:
        self.problems.append(error(self.shown, row, message, Kind.CONFIG))

    def read(self, rows: list[SheetRow]) -> list[SheetUnit]:
        for r in rows:
            if not r.unit:
                self.bad(r.row, f"支部“{r.branch}”没有填写单位名称：每个支部都要写明所属单位（单位名称）。" if r.branch else "这一行没有填写单位名称。")
                continue
            unit = self._unit(r)
            if unit is None:
                self.units[r.unit].failed = True
            elif r.branch:
                self._branch(unit, r)
        for unit in self.units.values():
            if not unit.kind and not unit.failed:
                self.bad(unit.row, f"单位“{unit.name}”没有填写单位类型，可选：{choices_text(self.kinds)}。")
        return list(self.units.values())

    def _unit(self, r: SheetRow) -> SheetUnit | None:
        unit = self.units.get(r.unit)
        if unit is None:
            unit = self.units[r.unit] = SheetUnit(r.unit, r.row)
        if r.unit_id and r.unit_id != unit.id:
            if unit.id:
                self.bad(r.row, f"单位名称“{r.unit}”与第 {unit.row} 行重复，但单位编号不同（{unit.id}、{r.unit_id}）：同名的单位只能有一个，同一单位的各行要写相同的单位编号。")
                return None
            other = self.unit_ids.get(r.unit_id)
            if other is not None and other[0] != r.unit:
                self.bad(r.row, f"单位编号“{r.unit_id}”与第 {other[1]} 行的单位“{other[0]}”重复了：每个单位的编号必须唯一。")
                return None
            if (why := unit_name_problem(r.unit_id)) is not None:
                self.bad(r.row, f"单位编号：{why}。")
                return None
            unit.id = r.unit_id
            self.unit_ids[r.unit_id] = (r.unit, r.row)
        if unit.kind and unit.kind not in self.kinds:
            return None  # its type is already reported
        if r.unit_kind and r.unit_kind != unit.kind:
            if unit.kind:
                self.bad(r.row, f"单位名称“{r.unit}”与第 {unit.row} 行重复，但单位类型不同（{unit.kind}、{r.unit_kind}）：同名的单位只能有一个。")
                return None
            unit.kind = r.unit_kind  # an invalid one too: said once, at its first row
            if r.unit_kind not in self.kinds:
                self.bad(r.row, f"单位类型“{r.unit_kind}”无效，可选：{choices_text(self.kinds)}。")
                return None
        return unit

    def _branch(self, unit: SheetUnit, r: SheetRow) -> None:
        same = next((b for b in unit.branches if b.row.branch == r.branch), None)
        if same is not None:
            self.bad(r.row, f"支部“{r.branch}”在单位“{unit.name}”中重复了（第 {same.row.row} 行）：同一单位内每个支部只写一行。")
            return
        if r.branch_kind not in BRANCH_KINDS:
            self.bad(r.row, f"支部“{r.branch}”的支部类型“{r.branch_kind}”无效，可选：{choices_text(BRANCH_KINDS)}。")
            return
        if r.branch_id:
            if r.branch_id in self.branch_ids:
                self.bad(r.row, f"支部编号“{r.branch_id}”与第 {self.branch_ids[r.branch_id]} 行重复了：全校每个支部的编号必须唯一。")
                return
            if not IdMaker.valid_branch_id(r.branch_id):
                self.bad(r.row, f"支部编号“{r.branch_id}”应当由字母、数字、- 组成，例如 jx-jg1；它用于网址。")
                return
            self.branch_ids[r.branch_id] = r.row
        branch = SheetBranch(r, r.branch_id)
        try:
            branch.groups = yes_no(r.groups)
        except ValueError:
            self.bad(r.row, f"党小组应当填“是”或“否”（是否设有党小组），现在是“{r.groups}”。")
            return
        try:
            branch.since = sheet_date(r.since)
        except ValueError:
            self.bad(r.row, f"成立日期“{r.since}”无法识别，例如 2026-04-01 或 2026年4月1日。")
            return
        unit.branches.append(branch)


@dataclass
class ImportPlan:
    """What an import will write: the unit files' texts, and the report lines."""

    files: dict[Path, str] = field(default_factory=dict)  # only the files whose data changes
    report: list[str] = field(default_factory=list)

    def apply(self) -> None:
        for path, text in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def _table_lines(data: dict[str, Any], order: tuple[str, ...]) -> list[str]:
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    return [f"{k} = {toml_value(data[k])}" for k in keys if data[k] is not None]


def unit_toml(data: dict[str, Any]) -> str:
    """A unit's data in the format of content/*/_unit.toml: its keys, then one [[branches]] each."""
    lines = _table_lines({k: v for k, v in data.items() if k != "branches"}, _UNIT_ORDER)
    for branch in data.get("branches", []):
        lines += ["", "[[branches]]", *_table_lines(branch, _BRANCH_ORDER)]
    return "\n".join(lines) + "\n"


class _Planner:
    """The sheet's units merged with the existing unit files into the files to write."""

    def __init__(self, site: Path, existing: dict[str, Existing], prune: bool, shown: str) -> None:
        self.site = site
        self.shown = shown
        self.problems: list[Problem] = []
        self.final_ids: dict[str, tuple[str, int | None]] = {}  # branch id -> where it is (a sheet row or a unit file), its row
        self.existing = existing
        self.prune = prune
        self.ids = IdMaker(existing)
        self.plan = ImportPlan()
        self.counts = {"new_units": 0, "new_branches": 0, "renamed": 0, "removed": 0}

    def run(self, units: list[SheetUnit]) -> ImportPlan:
        self.ids.slugs.update(u.id for u in units if u.id)  # no generated folder name takes a given one
        slugs = [self.ids.unit_slug(u.name, u.id) for u in units]
        first: dict[str, SheetUnit] = {}
        for u, slug in zip(units, slugs, strict=True):
            if (other := first.setdefault(slug, u)) is not u:
                self.problems.append(
                    error(self.shown, u.row, f"单位“{u.name}”与第 {other.row} 行的单位“{other.name}”对应同一个文件夹 {CONTENT}/{slug}：请给其中一个填写别的单位编号。", Kind.CONFIG)
                )
        if self.problems:
            return self.plan
        for u in units:
            for b in u.branches:
                self.ids.reserve_branch(b.id)
        left_out = {slug: ex for slug, ex in self.existing.items() if slug not in slugs}
        for slug, ex in left_out.items():
            for b in ex.data.get("branches", []):
                if isinstance(b, dict):
                    self._claim(str(b.get("id")), f"{CONTENT}/{slug}/{UNIT_FILE}", None)
        for order, (u, slug) in enumerate(zip(units, slugs, strict=True), 1):
            self._unit(u, slug, order * 10)
        for slug, ex in left_out.items():
            self.plan.report.append(f"单位“{ex.data.get('name', slug)}”（{CONTENT}/{slug}）不在表中：未改动；不再需要时请手动删除这个文件夹。")
        c = self.counts
        self.plan.report.append(
            f"导入完成：{len(units)} 个单位、{sum(len(u.branches) for u in units)} 个支部；新增单位 {c['new_units']} 个、支部 {c['new_branches']} 个，"
            f"改名 {c['renamed']} 个，删除支部 {c['removed']} 个，写入 {len(self.plan.files)} 个单位文件。"
        )
        return self.plan

    def _unit(self, u: SheetUnit, slug: str, order: int) -> None:
        old = self.existing.get(slug)
        data: dict[str, Any] = dict(old.data) if old else {}
        if old is None:
            self.counts["new_units"] += 1
        elif data.get("name") != u.name:
            self.counts["renamed"] += 1
            self.plan.report.append(f"单位改名：“{data.get('name')}” → “{u.name}”（{CONTENT}/{slug}）。")
        data.update(name=u.name, kind=u.kind, order=order)
        old_branches = [b for b in data.get("branches", []) if isinstance(b, dict)]
        branches = [self._branch(u, slug, b, old_branches) for b in u.branches]
        kept = {b["id"] for b in branches}
        for b in old_branches:
            if b.get("id") not in kept:
                self._missing(u, slug, b, branches)
        data["branches"] = branches
        if old is None or data != old.data:
            self.plan.files[self.site / CONTENT / slug / UNIT_FILE] = unit_toml(data)

    def _branch(self, u: SheetUnit, slug: str, b: SheetBranch, old_branches: list[dict[str, Any]]) -> dict[str, Any]:
        r = b.row
        bid = b.id or next((str(o.get("id")) for o in old_branches if o.get("name") == r.branch), "") or self.ids.branch_id(u.name, r.branch)
        old = next((o for o in old_branches if o.get("id") == bid), None)
        data: dict[str, Any] = dict(old) if old else {}
        if old is None:
            self.counts["new_branches"] += 1
        elif old.get("name") != r.branch:
            self.counts["renamed"] += 1
            self.plan.report.append(f"支部改名：“{old.get('name')}” → “{r.branch}”（{bid}，单位 {u.name}）。")
        self._claim(bid, f"第 {r.row} 行", r.row)
        data.update(id=bid, name=r.branch, kind=r.branch_kind)
        data["groups"] = b.groups if b.groups is not None else data.get("groups", True)
        if b.since is not None:
            data["since"] = b.since
        return data

    def _claim(self, bid: str, where: str, row: int | None) -> None:
        """One id, one branch, across the sheet and the units it leaves out (reported at a sheet row when there is one)."""
        first, first_row = self.final_ids.setdefault(bid, (where, row))
        if first != where:
            self.problems.append(error(self.shown, row or first_row or 1, f"支部编号“{bid}”在{first}和{where}都用到了：全校每个支部的编号必须唯一（表中没有的支部仍留在原来的单位文件中，加 --prune 才删除）。", Kind.CONFIG))

    def _missing(self, u: SheetUnit, slug: str, b: dict[str, Any], branches: list[dict[str, Any]]) -> None:
        what = f"支部“{b.get('name')}”（{b.get('id')}，单位 {u.name}，{CONTENT}/{slug}/{UNIT_FILE}）不在表中"
        if self.prune:
            self.counts["removed"] += 1
            self.plan.report.append(f"{what}：已删除（--prune）。引用它的文章需要改正，liangshai check 会列出。")
        else:
            branches.append(b)
            self._claim(str(b.get("id")), f"{CONTENT}/{slug}/{UNIT_FILE}", None)
            self.plan.report.append(f"{what}：已保留；确认撤销后加 --prune 再导入即删除。")


def plan_import(site: Path, sheet: Path, *, prune: bool = False, shown: str | None = None) -> ImportPlan:
    """Read and check ``sheet`` against the site's unit files; raises `UnitsError` with every problem."""
    existing = read_existing(site)
    kinds = tuple(dict.fromkeys([*UNIT_KINDS, *(str(e.data["kind"]) for e in existing.values() if isinstance(e.data.get("kind"), str))]))
    reader = _SheetReader(shown or str(sheet), kinds)
    units = reader.read(sheet_rows(sheet, reader.shown))
    if reader.problems:
        raise UnitsError(reader.problems)
    planner = _Planner(site, existing, prune, reader.shown)
    plan = planner.run(units)
    if planner.problems:
        raise UnitsError(planner.problems)
    return plan


def export_units(site: Path, out: Path) -> int:
    """Write every unit and branch of the site as a sheet ``import`` reads back; returns the rows written."""
    import openpyxl

    from generator.load.config import load_config
    from generator.parse.post import parse_unit

    config = load_config(site)
    problems: list[Problem] = []
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "单位和支部"
    sheet.append(list(COLUMNS))
    units = []
    for slug, ex in read_existing(site).items():
        rel = f"{CONTENT}/{slug}/{UNIT_FILE}"
        unit, probs = parse_unit(ex.path.read_bytes(), rel, slug, config)
        problems.extend(p for p in probs if p.is_error)
        if unit is not None:
            units.append(unit)
    if problems:
        raise UnitsError(problems)
    rows = 0
    for unit in sorted(units, key=lambda u: (u.order, u.slug)):
        for b in unit.branches or (None,):
            cells: list[object] = [unit.slug, unit.name, unit.kind]
            cells += ["", "", "", "", None] if b is None else [b.id, b.name, b.kind, "是" if b.groups else "否", b.since]
            sheet.append(cells)
            rows += 1
    for letter, width in zip("ABCDEFGH", (12, 28, 12, 16, 36, 10, 8, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return rows

