"""Commands: the spreadsheet of units and branches that ``liangshai units import`` reads.

An ``.xlsx`` (its first sheet, read with openpyxl) or a ``.csv`` in UTF-8 (with or
without BOM) or GBK, as Excel on Chinese Windows saves it. The first row names
the columns (any order, other columns ignored; a title row or two above it is
skipped); every later row is one branch of
a unit, or a unit alone when the branch cells are empty. Each row becomes a
`SheetRow` with its sheet row number (as Excel counts them), so every problem
names ``FILE:ROW``. No checks across rows here: `units_io` makes the units.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import Kind, Problem, error

REQUIRED = ("单位名称", "单位类型", "支部名称", "支部类型")
OPTIONAL = ("单位编号", "支部编号", "党小组", "成立日期")
COLUMNS = ("单位编号", "单位名称", "单位类型", "支部编号", "支部名称", "支部类型", "党小组", "成立日期")  # the order export writes

_HEADER_SEARCH = 5  # rows looked at for the header
_YES = {"是", "有", "true", "yes", "y", "1", "√"}
_NO = {"否", "无", "没有", "false", "no", "n", "0", "×"}
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


class UnitsError(Exception):
    """The sheet (or the site's unit files) cannot be imported: every problem, located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class SheetRow:
    """One row as written (texts stripped; ``since`` still as the cell held it)."""

    row: int
    unit: str
    unit_kind: str
    unit_id: str
    branch: str
    branch_kind: str
    branch_id: str
    groups: str
    since: object


def _text(cell: object) -> str:
    """A cell as text: numbers without a trailing ``.0`` (an id typed as 101), spaces trimmed."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()  # str.strip() takes the full-width space too; names keep their own characters


def _csv_rows(raw: bytes) -> list[list[object]]:
    """UTF-8 (BOM or not) first; otherwise GB18030, which reads every GBK file Excel writes."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _xlsx_rows(path: Path) -> list[list[object]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def read_rows(path: Path, shown: str) -> list[list[object]]:
    """The sheet's rows, raw; a file that cannot be read is a `UnitsError` at its line 1."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UnitsError([error(shown, 1, "只能导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv）；.xls 请先在 Excel 中另存为 .xlsx。", Kind.CONFIG)])
    try:
        return _csv_rows(path.read_bytes()) if suffix == ".csv" else _xlsx_rows(path)
    except OSError as exc:
        raise UnitsError([error(shown, 1, f"无法读取文件：{exc.strerror or exc}。", Kind.CONFIG)]) from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise UnitsError([error(shown, 1, f"无法作为 Excel 工作簿读取（{type(exc).__name__}）：请在 Excel 中打开后另存为 .xlsx 再导入。", Kind.CONFIG)]) from None


def sheet_rows(path: Path, shown: str) -> list[SheetRow]:
    """Every non-empty row under the header of ``path`` (``shown``: its name in messages)."""
    rows = read_rows(path, shown)
    # the header is the first row naming 单位名称: a sheet may start with a title row or two
    top = next((i for i, r in enumerate(rows[:_HEADER_SEARCH]) if "单位名称" in (_text(c) for c in r)), 0)
    header = [_text(c) for c in rows[top]] if rows else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnitsError(
            [
                error(
                    shown, top + 1,
                    f"表格第 {top + 1} 行应当是列名，缺少：{'、'.join(missing)}。必需的列：{'、'.join(REQUIRED)}；可选的列：{'、'.join(OPTIONAL)}（顺序不限）。",
                    Kind.CONFIG,
                )
            ]
        )
    at = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    out: list[SheetRow] = []
    for number, cells in enumerate(rows[top + 1 :], top + 2):
        def cell(name: str, cells: list[object] = cells) -> object:
            i = at.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        texts = {name: _text(cell(name)) for name in at if name != "成立日期"}
        since = cell("成立日期")
        if not any(texts.values()) and _text(since) == "":
            continue  # an empty row between groups
        out.append(
            SheetRow(number, texts["单位名称"], texts["单位类型"], texts.get("单位编号", ""), texts["支部名称"], texts["支部类型"], texts.get("支部编号", ""), texts.get("党小组", ""), since)
        )
    return out


def yes_no(text: str) -> bool | None:
    """是/否 (and the usual other spellings) → True/False; "" → None; anything else raises ValueError."""
    word = text.strip().lower()
    if not word:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(text)


def sheet_date(cell: object) -> dt.date | None:
    """A 成立日期 cell: an Excel date, or text such as 2026-04-01, 2026/4/1, 2026年4月1日; empty → None.
    Anything else raises ValueError."""
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = _text(cell)
    if not text:
        return None
    m = _DATE_RE.match(unicodedata.normalize("NFKC", text))
    if m is None:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
