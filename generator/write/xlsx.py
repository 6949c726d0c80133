"""Write stage helper: a small, fast .xlsx writer for the comparison workbooks (`workbook`).

Why not openpyxl (which the tool still uses to *read* spreadsheets): it builds
a Python object per cell and writes through an XML library, about 60 µs a
cell. The yearly workbooks of a full-compliance site hold ~340,000 cells
(mostly 支部对标 and 未公开 rows), so every new post or meeting edit spent
seconds making them again (issue 23). What the workbooks need is a narrow
subset of SpreadsheetML (ECMA-376 part 1) that is cheap to write as text:

- text as inline strings (``t="inlineStr"``), numbers as ``<v>``, empty cells left out;
- three cell styles: the default, the header (bold, wrapped, centred
  vertically) and the percentage format ``0.0%``;
- per sheet: column widths, the header row frozen (a pane split at ``A2``)
  and an autofilter over the data.

Deterministic bytes: fixed entry order, fixed zip timestamps and the
document's created/modified time set by the caller (`Book.save`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

# Characters XML 1.0 does not allow (openpyxl refuses them too); dropped from text cells.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

# Style ids in styles.xml's cellXfs (below).
PLAIN, HEADER, PERCENT = 0, 1, 2

_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=4096)  # names and labels repeat on thousands of rows
def _text(value: str) -> str:
    return _ILLEGAL.sub("", value).translate(_ESCAPES)


def _cell(ref: str, value: object, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""  # empty (a styled column keeps its format, as openpyxl did)
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a header row and data rows (None or "" = an empty cell).

    ``percent``: the 0-based columns shown as percentages; ``widths``: each
    column's width in characters."""

    title: str
    head: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float]
    percent: frozenset[int] = frozenset()

    def filter_range(self, absolute: bool = False) -> str:
        """The autofilter's cells: the header and every data row."""
        last, end = column_letter(len(self.head)), len(self.rows) + 1
        return f"$A$1:${last}${end}" if absolute else f"A1:{last}{end}"

    def xml(self) -> str:
        letters = [column_letter(i) for i in range(1, len(self.head) + 1)]
        styles = [PERCENT if i in self.percent else PLAIN for i in range(len(self.head))]
        parts = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
            '<sheetFormatPr defaultRowHeight="15"/><cols>',
            *(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(self.widths, start=1)),
            '</cols><sheetData><row r="1">',
            *(_cell(f"{letter}1", h, HEADER) for letter, h in zip(letters, self.head, strict=False)),
            "</row>",
        ]
        for r, row in enumerate(self.rows, start=2):
            cells = "".join(_cell(f"{letters[i]}{r}", v, styles[i]) for i, v in enumerate(row))
            parts.append(f'<row r="{r}">{cells}</row>')
        parts.append("</sheetData>")
        if self.rows:
            parts.append(f'<autoFilter ref="{self.filter_range()}"/>')
        parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>')
        return "".join(parts)


@dataclass(frozen=True)
class Book:
    """A workbook of `Sheet`s with its document properties."""

    sheets: Sequence[Sheet]
    title: str
    creator: str

    def _parts(self, stamp: dt.datetime) -> list[tuple[str, str]]:
        iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        n = len(self.sheets)
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        return [
            (
                "[Content_Types].xml",
                head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                f"{sheet_types}"
                '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                "</Types>",
            ),
            (
                "_rels/.rels",
                head + f'<Relationships xmlns="{_PKG_REL}">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>",
            ),
            (
                "docProps/app.xml",
                head
                + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>liangshai</Application></Properties>',
            ),
            (
                "docProps/core.xml",
                head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f"<dc:title>{_text(self.title)}</dc:title><dc:creator>{_text(self.creator)}</dc:creator>"
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{iso}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso}</dcterms:modified></cp:coreProperties>',
            ),
            (
                "xl/workbook.xml",
                head
                + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews><sheets>'
                + "".join(f'<sheet name="{_text(s.title)}" sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, start=1))
                + "</sheets>"
                + self._filter_names()
                + "</workbook>",
            ),
            (
                "xl/_rels/workbook.xml.rels",
                head
                + f'<Relationships xmlns="{_PKG_REL}">'
                + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
                + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
            ),
            ("xl/styles.xml", _STYLES),
            *((f"xl/worksheets/sheet{i}.xml", s.xml()) for i, s in enumerate(self.sheets, start=1)),
        ]

    def _filter_names(self) -> str:
        """Excel keeps each autofilter's range as a hidden defined name too (as openpyxl wrote it)."""
        names = []
        for i, sheet in enumerate(self.sheets):
            if sheet.rows:
                quoted = "'" + _text(sheet.title).replace("'", "''") + "'"
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{quoted}!{sheet.filter_range(True)}</definedName>')
        return f"<definedNames>{''.join(names)}</definedNames>" if names else ""

    def save(self, stamp: dt.datetime) -> bytes:
        """The .xlsx bytes; ``stamp`` is the document's time and every zip entry's (fixed: same input, same bytes)."""
        when = stamp.timetuple()[:6] if stamp.year >= 1980 else (1980, 1, 1, 0, 0, 0)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in self._parts(stamp):
                entry = zipfile.ZipInfo(name, date_time=when)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                # level 6: the zip module's default; 1 would be faster but larger downloads
                zf.writestr(entry, text.encode("utf-8"))
        return out.getvalue()


__all__ = ["Book", "Sheet", "column_letter"]
