"""Issue 19: `units import` / `units export` — ids stable across re-imports, every mistake at its
sheet row, branches left out only removed with --prune; `check` refuses a unit name or branch id twice."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from generator.commands.units_io import UnitsError, plan_import

HEADER = "单位名称,单位类型,支部名称,支部类型,单位编号,支部编号,党小组,成立日期"
SHEET = [
    "机械工程学院党委,教学单位,机械工程学院第一教工党支部,教职工,jixie,jx-jg1,是,",
    "机械工程学院党委,教学单位,机械工程学院第二教工党支部,教职工,jixie,,是,2026-04-01",
    "机械工程学院党委,教学单位,机械工程学院本科生党支部,学生,jixie,,否,",
    "外国语学院党委,教学单位,外国语学院教工党支部,教职工,,,,2026年9月1日",
    "外国语学院党委,教学单位,外国语学院研究生党支部,学生,,,,",
]


def csv_file(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join([header, *rows]).encode(encoding))
    return path


def imported(site: Path, sheet: Path, prune: bool = False) -> list[str]:
    plan = plan_import(site, sheet, prune=prune, shown="表.csv")
    plan.apply()
    return plan.report


def unit(site: Path, slug: str) -> dict:
    return tomllib.loads((site / "content" / slug / "_unit.toml").read_text("utf-8"))


def branches(site: Path, slug: str) -> dict[str, str]:
    return {b["id"]: b["name"] for b in unit(site, slug)["branches"]}


def problems(tmp_path: Path, rows: list[str], header: str = HEADER) -> list[str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    with pytest.raises(UnitsError) as caught:
        plan_import(site, csv_file(tmp_path / "表.csv", rows, header), shown="表.csv")
    assert not (site / "content").exists()  # nothing written
    return [p.format() for p in caught.value.problems]


def test_import_writes_one_unit_file_each_with_pinyin_ids_and_founding_dates(tmp_path: Path) -> None:
    site = tmp_path / "site"
    report = imported(site, csv_file(tmp_path / "表.csv", SHEET))
    assert report[-1] == "导入完成：2 个单位、5 个支部；新增单位 2 个、支部 5 个，改名 0 个，删除支部 0 个，写入 2 个单位文件。"
    assert branches(site, "jixie") == {"jx-jg1": "机械工程学院第一教工党支部", "jxgc-2jg": "机械工程学院第二教工党支部", "jxgc-bks": "机械工程学院本科生党支部"}
    assert branches(site, "waiguoyu") == {"wgy-jg": "外国语学院教工党支部", "wgy-yjs": "外国语学院研究生党支部"}
    jixie = unit(site, "jixie")
    assert (jixie["name"], jixie["kind"], jixie["order"]) == ("机械工程学院党委", "教学单位", 10)
    assert [b["groups"] for b in jixie["branches"]] == [True, True, False]
    assert jixie["branches"][1]["since"] == dt.date(2026, 4, 1) and "since" not in jixie["branches"][0]
    assert unit(site, "waiguoyu")["branches"][0]["since"] == dt.date(2026, 9, 1)
    text = (site / "content/jixie/_unit.toml").read_text("utf-8")
    assert '[[branches]]\nid = "jxgc-2jg"\nname = "机械工程学院第二教工党支部"\nkind = "教职工"\ngroups = true\nsince = 2026-04-01\n' in text


def test_a_founding_date_imported_checks(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", SHEET))
    proc = run_cli("check", str(site))
    assert proc.returncode == 0, proc.stderr


def test_reimport_keeps_ids_renames_and_lists_a_missing_branch_until_prune(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", [r.replace(",2026-04-01", ",") for r in SHEET]))
    # hand edits the sheet does not carry are kept
    path = site / "content/waiguoyu/_unit.toml"
    path.write_text(path.read_text("utf-8").replace('order = 20', 'order = 20\neditors = ["waiyu@example.edu.cn"]'), encoding="utf-8")
    renamed = [
        "机械工程学院党委,教学单位,机械工程学院第一教工党支部（智能制造）,教职工,jixie,jx-jg1,是,",  # renamed, 编号 given
        "外国语学院党委,教学单位,外国语学院新设党支部,学生,,,,",  # added first: the others keep their ids
        "外国语学院党委,教学单位,外国语学院教工党支部,教职工,,,,",
        "外国语学院党委,教学单位,外国语学院研究生党支部,学生,,,,",
        "机械工程学院党委,教学单位,机械工程学院本科生党支部,学生,jixie,,否,",
    ]  # 第二教工党支部 left out
    report = imported(site, csv_file(tmp_path / "表2.csv", renamed))
    assert "支部改名：“机械工程学院第一教工党支部” → “机械工程学院第一教工党支部（智能制造）”（jx-jg1，单位 机械工程学院党委）。" in report
    assert "支部“机械工程学院第二教工党支部”（jxgc-2jg，单位 机械工程学院党委，content/jixie/_unit.toml）不在表中：已保留；确认撤销后加 --prune 再导入即删除。" in report
    assert report[-1].endswith("新增单位 0 个、支部 1 个，改名 1 个，删除支部 0 个，写入 2 个单位文件。")
    assert branches(site, "jixie") == {"jx-jg1": "机械工程学院第一教工党支部（智能制造）", "jxgc-bks": "机械工程学院本科生党支部", "jxgc-2jg": "机械工程学院第二教工党支部"}
    assert list(branches(site, "waiguoyu")) == ["wgy-xs", "wgy-jg", "wgy-yjs"]
    assert unit(site, "waiguoyu")["editors"] == ["waiyu@example.edu.cn"]
    # the same sheet again changes nothing; with --prune the missing branch goes
    assert imported(site, csv_file(tmp_path / "表2.csv", renamed))[-1].endswith("写入 0 个单位文件。")
    report = imported(site, csv_file(tmp_path / "表2.csv", renamed), prune=True)
    assert any("jxgc-2jg" in line and "已删除（--prune）" in line for line in report)
    assert "jxgc-2jg" not in branches(site, "jixie")
    # a unit renamed with its 单位编号 keeps its folder; a unit left out is only listed
    report = imported(site, csv_file(tmp_path / "表3.csv", ["机械与智能制造学院党委,教学单位,机械工程学院本科生党支部,学生,jixie,,否,"]), prune=True)
    assert "单位改名：“机械工程学院党委” → “机械与智能制造学院党委”（content/jixie）。" in report
    assert "单位“外国语学院党委”（content/waiguoyu）不在表中：未改动；不再需要时请手动删除这个文件夹。" in report
    assert branches(site, "jixie") == {"jxgc-bks": "机械工程学院本科生党支部"} and (site / "content/waiguoyu/_unit.toml").is_file()


def test_every_sheet_mistake_is_named_at_its_row(tmp_path: Path) -> None:
    rows = [
        "机械工程学院党委,教学单位,机械工程学院第一教工党支部,教职工,jixie,jx-jg1,是,",
        "机械工程学院党委,教学单位,机械工程学院第二教工党支部,教职工,jx2,,是,",  # same unit name, other 编号
        "外国语学院党委,教学单位,外国语学院研究生党支部,学生,,jx-jg1,,",  # 支部编号 twice
        "外国语学院党委,教学单位,外国语学院教工党支部,教职工,,,,",
        "外国语学院党委,教学单位,外国语学院教工党支部,教职工,,,,",  # the same branch twice in a unit
        "马克思主义学院党委,学院,马克思主义学院教工党支部,教职工,,,,",  # unknown unit type
        "化学学院党委,教学单位,化学学院教工党支部,职工,,,,",  # unknown branch type
        ",,无主党支部,教职工,,,,",  # a branch without a unit
        "物理学院党委,教学单位,物理学院教工党支部,教职工,,,有时,",
        "物理学院党委,教学单位,物理学院学生党支部,学生,,,,去年",
        "数学学院党委,教学单位,数学学院教工党支部,教职工,Shuxue,,,",
    ]
    assert problems(tmp_path, rows) == [
        "表.csv:3: 错误：单位名称“机械工程学院党委”与第 2 行重复，但单位编号不同（jixie、jx2）：同名的单位只能有一个，同一单位的各行要写相同的单位编号。",
        "表.csv:4: 错误：支部编号“jx-jg1”与第 2 行重复了：全校每个支部的编号必须唯一。",
        "表.csv:6: 错误：支部“外国语学院教工党支部”在单位“外国语学院党委”中重复了（第 5 行）：同一单位内每个支部只写一行。",
        "表.csv:7: 错误：单位类型“学院”无效，可选：教学单位、科研单位、机关、直属单位、附属单位、离退休、二级党组织。",
        "表.csv:8: 错误：支部“化学学院教工党支部”的支部类型“职工”无效，可选：教职工、学生、离退休。",
        "表.csv:9: 错误：支部“无主党支部”没有填写单位名称：每个支部都要写明所属单位（单位名称）。",
        "表.csv:10: 错误：党小组应当填“是”或“否”（是否设有党小组），现在是“有时”。",
        "表.csv:11: 错误：成立日期“去年”无法识别，例如 2026-04-01 或 2026年4月1日。",
        "表.csv:12: 错误：单位编号：单位文件夹名“Shuxue”含有不允许的字符 “S”（U+0053）。单位文件夹名用于网址，只能使用小写英文字母 a-z、数字 0-9、连字符“-”和下划线“_”，并以字母或数字开头，例如 jixie、waiyu、jisuanji-2。请把文件夹改名，例如改为“shuxue”（网址会随之改变）。",
    ]


def test_a_sheet_without_the_columns_or_in_another_format(tmp_path: Path) -> None:
    assert problems(tmp_path, ["机关党委,机关"], header="单位,类型") == [
        "表.csv:1: 错误：表格第 1 行应当是列名，缺少：单位名称、单位类型、支部名称、支部类型。必需的列：单位名称、单位类型、支部名称、支部类型；可选的列：单位编号、支部编号、党小组、成立日期（顺序不限）。"
    ]
    # a title row above the header: rows still counted as Excel shows them
    titled = problems(tmp_path, [HEADER, "机关党委,机关,机关党支部,职工,,,,"], header="某某大学党支部名单（2026年）")
    assert titled == ["表.csv:3: 错误：支部“机关党支部”的支部类型“职工”无效，可选：教职工、学生、离退休。"]
    (tmp_path / "表.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnitsError) as caught:
        plan_import(tmp_path, tmp_path / "表.xls", shown="表.xls")
    assert "另存为 .xlsx" in caught.value.problems[0].message


def test_a_given_branch_id_taken_by_a_unit_left_out_of_the_sheet(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", SHEET))
    rows = ["化学学院党委,教学单位,化学学院教工党支部,教职工,,wgy-jg,,"]
    with pytest.raises(UnitsError) as caught:
        plan_import(site, csv_file(tmp_path / "表2.csv", rows), shown="表2.csv")
    assert [p.format() for p in caught.value.problems] == [
        "表2.csv:2: 错误：支部编号“wgy-jg”在content/waiguoyu/_unit.toml和第 2 行都用到了：全校每个支部的编号必须唯一（表中没有的支部仍留在原来的单位文件中，加 --prune 才删除）。"
    ]


def test_export_then_import_changes_nothing_and_the_cli_names_rows(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", SHEET))
    out = tmp_path / "导出.xlsx"
    proc = run_cli("units", "export", str(out), "--site", str(site))
    assert proc.returncode == 0 and "已导出 5 行" in proc.stdout, proc.stderr
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("单位编号", "单位名称", "单位类型", "支部编号", "支部名称", "支部类型", "党小组", "成立日期")
    assert rows[1] == ("jixie", "机械工程学院党委", "教学单位", "jx-jg1", "机械工程学院第一教工党支部", "教职工", "是", None)
    assert rows[2][3] == "jxgc-2jg" and rows[2][7] == dt.datetime(2026, 4, 1)  # 成立日期 as an Excel date
    before = {p: p.read_bytes() for p in site.rglob("_unit.toml")}
    proc = run_cli("units", "import", str(out), "--site", str(site))
    assert proc.returncode == 0 and "写入 0 个单位文件" in proc.stdout, proc.stderr
    assert {p: p.read_bytes() for p in site.rglob("_unit.toml")} == before
    elsewhere = run_cli("units", "import", str(out), cwd=tmp_path)  # not a site: nothing written there
    assert elsewhere.returncode == 2 and "不是站点文件夹" in elsewhere.stderr and not (tmp_path / "content").exists()
    bad = csv_file(tmp_path / "错.csv", ["机关党委,机关,机关党支部,职工,,,,"], encoding="gbk")
    proc = run_cli("units", "import", str(bad), "--site", str(site))
    assert proc.returncode == 1 and f"{bad}:2: 错误：支部“机关党支部”的支部类型“职工”无效" in proc.stderr and "未导入" in proc.stderr


def test_check_refuses_a_unit_name_or_branch_id_used_twice(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", [r.replace(",2026-04-01", ",").replace(",2026年9月1日", ",") for r in SHEET]))
    (site / "content/zz").mkdir()
    (site / "content/zz/_unit.toml").write_text(
        'name = "机械工程学院党委"\nkind = "教学单位"\n\n[[branches]]\nid = "zz-1"\nname = "一支部"\nkind = "教职工"\n\n[[branches]]\nid = "wgy-jg"\nname = "二支部"\nkind = "教职工"\n',
        encoding="utf-8",
    )
    proc = run_cli("check", str(site))
    assert proc.returncode == 1
    assert "content/zz/_unit.toml:1: 错误：单位名称“机械工程学院党委”与 content/jixie/_unit.toml 重复了：全站每个单位的名称必须唯一，请改名或合并这两个单位。" in proc.stderr
    assert "content/zz/_unit.toml:10: 错误：支部 id “wgy-jg” 与 content/waiguoyu/_unit.toml 中的支部重复了：全站每个支部的 id 必须唯一（它用于网址和对标数据），请改用别的 id。" in proc.stderr


def test_two_units_on_one_folder_and_a_branch_moved_between_units(tmp_path: Path) -> None:
    site = tmp_path / "site"
    imported(site, csv_file(tmp_path / "表.csv", SHEET))
    # 外国语学院 (folder waiguoyu by its name) and a new unit given the 编号 waiguoyu
    rows = ["外国语学院党委,教学单位,外国语学院教工党支部,教职工,,,,", "翻译学院党委,教学单位,翻译学院教工党支部,教职工,waiguoyu,,,"]
    with pytest.raises(UnitsError) as caught:
        plan_import(site, csv_file(tmp_path / "表2.csv", rows), shown="表2.csv")
    assert [p.format() for p in caught.value.problems] == [
        "表2.csv:3: 错误：单位“翻译学院党委”与第 2 行的单位“外国语学院党委”对应同一个文件夹 content/waiguoyu：请给其中一个填写别的单位编号。"
    ]
    # a branch given to another unit by its 编号: an error while its old unit keeps it, a move with --prune
    moved = [r for r in SHEET if "外国语学院教工" not in r] + ["机械工程学院党委,教学单位,外国语学院教工党支部,教职工,jixie,wgy-jg,,"]
    with pytest.raises(UnitsError) as caught:
        plan_import(site, csv_file(tmp_path / "表3.csv", moved), shown="表3.csv")
    assert [p.format() for p in caught.value.problems] == [
        "表3.csv:6: 错误：支部编号“wgy-jg”在第 6 行和content/waiguoyu/_unit.toml都用到了：全校每个支部的编号必须唯一（表中没有的支部仍留在原来的单位文件中，加 --prune 才删除）。"
    ]
    imported(site, csv_file(tmp_path / "表3.csv", moved), prune=True)
    assert "wgy-jg" in branches(site, "jixie") and "wgy-jg" not in branches(site, "waiguoyu")
