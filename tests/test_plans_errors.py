"""目标管理 (issue 18): every mistake in the plan, project and 评议 files — message and line, all at once.

String-level (the parse functions on bytes) where possible; one small site read
by the builder shows that a post naming a missing task or project is reported
at its own line, together with the files' mistakes.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from conftest import UNIT_TOML, post_text, write_site

from generator.core.errors import sort_problems
from generator.core.settings import SiteConfig

FRAMEWORK = textwrap.dedent(
    """\
    goal = "目标"
    [[indicators]]
    code = "1"
    name = "政治建设"
    [[indicators]]
    code = "1.1"
    name = "中心组学习"
    [[indicators]]
    code = "1.2"
    name = "党委会"
    [[required]]
    id = "Y01"
    indicator = "1.1"
    title = "中心组学习不少于10次"
    kinds = ["教学单位"]
    count = 10
    meeting = "中心组学习"
    due = 2026-12-31
    [[required]]
    id = "Y02"
    indicator = "1.2"
    title = "机关作风建设"
    kinds = ["机关"]
    due = 2026-12-31
    """
)

WY_UNIT = 'name = "外语学院党委"\nkind = "机关"\norder = 20\n[[branches]]\nid = "wy-1"\nname = "外语学院教工党支部"\nkind = "教职工"\n'


def _units() -> dict:
    from generator.parse.post import parse_unit

    config = SiteConfig()
    jx = parse_unit(UNIT_TOML.encode(), "content/jx/_unit.toml", "jx", config)[0]
    wy = parse_unit(WY_UNIT.encode(), "content/wy/_unit.toml", "wy", config)[0]
    return {"jx": jx, "wy": wy}


def _framework():
    from generator.parse.plans import parse_framework

    fw, problems = parse_framework(FRAMEWORK.encode(), "content/_plans/2026.toml", 2026, SiteConfig(), ("教学单位", "机关"))
    assert fw is not None and not problems
    return fw


def _plan(text: str) -> list[str]:
    from generator.parse.plans import parse_unit_plan

    _, problems = parse_unit_plan(textwrap.dedent(text).encode(), "content/jx/_plans/2026.toml", _units()["jx"], _framework(), SiteConfig())
    return [p.format() for p in sort_problems(problems)]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line)


def test_task_indicator_and_duplicate_and_missing_required() -> None:
    text = """\
    goal = "计划"
    [[tasks]]
    id = "T01"
    indicator = "1.3"
    kind = "自选"
    title = "一项任务"
    due = 2026-12-31
    [[tasks]]
    id = "T02"
    indicator = "1.1"
    kind = "自选"
    title = "另一项"
    due = 2026-12-31
    [[tasks]]
    id = "T02"
    indicator = "1.2"
    kind = "自选"
    title = "重复的编号"
    due = 2026-12-31
    """
    second = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if line == 'id = "T02"']
    assert _plan(text) == [
        f"content/jx/_plans/2026.toml:1: 错误：计划缺少规定动作 Y01“中心组学习不少于10次”（content/_plans/2026.toml 第 {_line(FRAMEWORK, 'Y01')} 行，教学单位类单位都要列入）。"
        '请加一个任务：[[tasks]] id = "…"，required = "Y01"（标题、期限和数量目标可省略，沿用规定动作的）。',
        f"content/jx/_plans/2026.toml:{_line(text, '1.3')}: 错误：任务 T01 的指标 indicator“1.3”不是本年度框架中的二级指标，是不是“1.2”？可选：1.1、1.2。",
        f"content/jx/_plans/2026.toml:{second[1]}: 错误：任务编号“T02”重复了（第 {second[0]} 行已经用过），同一单位同一年的任务 id 要不同。",
    ]


def test_task_values_all_reported_at_once() -> None:
    text = """\
    [[tasks]]
    id = "T01"
    required = "Y01"
    kind = "自选"
    coutn = 3
    [[tasks]]
    id = "T02"
    required = "Y09"
    [[tasks]]
    id = "T03"
    indicator = "1.1"
    kind = "规定"
    title = "缺期限"
    meeting = "中心组"
    status = "已完成"
    count = 0
    [[tasks]]
    id = "T04"
    indicator = "1.2"
    title = "没有 kind"
    due = 2026-12-31
    """
    assert _plan(text) == [
        f"content/jx/_plans/2026.toml:{_line(text, '自选')}: 错误：任务 T01 完成的是规定动作 Y01，kind 应当是“规定”（或删去 kind 这一行）。",
        f"content/jx/_plans/2026.toml:{_line(text, 'coutn')}: 错误：任务 T01 [[tasks]] 中没有“coutn”这一项，是不是“count”？"
        "可用的项：category、count、due、id、indicator、kind、meeting、required、section、status、tag、title。",
        f"content/jx/_plans/2026.toml:{_line(text, 'Y09')}: 错误：任务 T02 的 required“Y09”不是 2026 年的规定动作，是不是“Y02”？可选：Y01、Y02。",
        f"content/jx/_plans/2026.toml:{_line(text, 'T03') - 1}: 错误：任务 T03 缺少完成期限 due（日期，不加引号），例如 due = 2026-12-31。",
        f"content/jx/_plans/2026.toml:{_line(text, '已完成')}: 错误：任务 T03 的 status 只能写“完成”（已完成时填写，需有公开的文章作证明），现在是“已完成”。",
        f"content/jx/_plans/2026.toml:{_line(text, 'count = 0')}: 错误：任务 T03 的 count 应当是正整数，例如 count = 10，现在是 0。",
        f"content/jx/_plans/2026.toml:{_line(text, 'T04') - 1}: 错误：任务 T04 缺少 kind（可选：规定、自选），例如 kind = \"规定\"。",
    ]


def test_framework_mistakes() -> None:
    from generator.parse.plans import parse_framework

    text = textwrap.dedent(
        """\
        [[indicators]]
        code = "1"
        name = "政治建设"
        [[indicators]]
        code = "2.1"
        name = "没有一级"
        [[indicators]]
        code = "1"
        name = "重复"
        [[required]]
        id = "Y01"
        indicator = "1.5"
        title = "x"
        [[required]]
        id = "Y02"
        indicator = "2.1"
        title = "y"
        meeting = "党员会"
        kinds = ["教学院"]
        """
    )
    _, problems = parse_framework(text.encode(), "content/_plans/2026.toml", 2026, SiteConfig(), ("教学单位", "机关"))
    lines = text.splitlines()
    at = lambda needle, start=0: next(i for i, line in enumerate(lines, 1) if needle in line and i > start)  # noqa: E731
    dup = at('code = "1"', 3)
    assert [p.format() for p in sort_problems(problems)] == [
        f"content/_plans/2026.toml:{at('2.1')}: 错误：二级指标“2.1”所属的一级指标“2”不存在：请先写 [[indicators]] code = \"2\"。",
        f"content/_plans/2026.toml:{dup}: 错误：指标编号“1”重复了（第 2 行已经用过），每个指标的 code 要不同。",
        f"content/_plans/2026.toml:{at('1.5')}: 错误：规定动作 Y01 的指标 indicator“1.5”不是本年度框架中的二级指标。可选：2.1。",
        f"content/_plans/2026.toml:{at('党员会')}: 错误：规定动作 Y02 的会议 meeting“党员会”不存在，是不是“支部党员大会”？可选：支部党员大会、支部委员会、党小组会、党课、主题党日、组织生活会、党委会、党政联席会、中心组学习。",
        f"content/_plans/2026.toml:{at('教学院')}: 警告：规定动作 Y02 的 kinds 中“教学院”没有对应的单位，是不是“教学单位”？现有的单位类型：教学单位、机关。",
    ]


def _projects(text: str, slug: str = "jx") -> list[str]:
    from generator.parse.projects import parse_projects

    units = _units()
    _, problems = parse_projects(textwrap.dedent(text).encode(), f"content/{slug}/_projects.toml", units[slug], units)
    return [p.format() for p in sort_problems(problems)]


PROJECT = """\
[[projects]]
id = "P1"
name = "工作室"
type = "特色阵地"
level = "重点"
branches = ["{branch}"]
funding = 1000
start = 2026-01-01
end = 2026-12-31
status = "{status}"
"""


def test_project_of_another_units_branch_and_bad_values() -> None:
    text = PROJECT.format(branch="wy-1", status="立项") + PROJECT.format(branch="jx-jg2", status="完成").replace('"P1"', '"P2"').replace("end = 2026-12-31", "end = 2025-12-31")
    lines = text.splitlines()
    b1, b2, end, status = (lines.index(x) + 1 for x in ('branches = ["wy-1"]', 'branches = ["jx-jg2"]', "end = 2025-12-31", 'status = "完成"'))
    assert _projects(text) == [
        f"content/jx/_projects.toml:{b1}: 错误：项目 P1 的支部“wy-1”属于外语学院党委，不是机械工程学院党委的支部。"
        "项目写在立项单位自己的 _projects.toml 中，branches 只能列本单位的支部（联合立项的几个支部须同属一个单位）。",
        f"content/jx/_projects.toml:{b2}: 错误：项目 P2 的支部“jx-jg2”不是机械工程学院党委的支部，是不是“jx-jg1”？可选：jx-jg1、jx-xs1。",
        f"content/jx/_projects.toml:{end}: 错误：项目 P2 的结束日期 end（2025-12-31）早于开始日期 start（2026-01-01）。",
        f"content/jx/_projects.toml:{status}: 错误：项目 P2 的 status“完成”无效。可选：立项、中期、结项、终止。",
    ]


def test_duplicate_project_ids_site_wide() -> None:
    from generator.parse.plans import parse_plan_inputs

    one = PROJECT.format(branch="jx-jg1", status="立项")
    files = {"content/jx/_projects.toml": (one + one).encode(), "content/wy/_projects.toml": PROJECT.format(branch="wy-1", status="结项").encode()}
    inputs, problems = parse_plan_inputs(files, SiteConfig(), _units())
    assert [p.format() for p in sort_problems(problems)] == [
        "content/jx/_projects.toml:12: 错误：项目编号“P1”重复了（第 2 行已经用过），项目 id 在全校要唯一。",
        "content/wy/_projects.toml:2: 错误：项目编号“P1”重复了（content/jx/_projects.toml 第 2 行已经用过），项目 id 在全校要唯一。",
    ]
    assert [(p.id, p.unit) for p in inputs.projects] == [("P1", "jx")]


def _evaluation(text: str) -> list[str]:
    from generator.parse.projects import parse_evaluation

    _, problems = parse_evaluation(text.encode(), "content/_plans/2026-评议.csv", 2026, _units(), {2026: object()})
    return [p.format() for p in sort_problems(problems)]


def test_evaluation_rows() -> None:
    head = "单位,线上参评人数,线上满意率,线下参评人数,线下满意率\n"
    rows = "机械学院党委,10,90,10,90\n\njx,10,101%,ten,-3\nwy,5,90,5,90\nwy,5,90,5,90\n,1,1,1,1\n"
    assert _evaluation(head + rows) == [
        "content/_plans/2026-评议.csv:2: 错误：第 2 行：单位“机械学院党委”不存在，是不是“机械工程学院党委”？单位一栏写单位全称（如“外语学院党委”）或单位文件夹名。",
        "content/_plans/2026-评议.csv:4: 错误：第 4 行：线上满意率“101%”超出了 0–100% 的范围。满意率按百分数填写，例如 95.2 或 95.2%。",
        "content/_plans/2026-评议.csv:4: 错误：第 4 行：线下参评人数应当是不小于 0 的整数（如 120），现在是“ten”。",
        "content/_plans/2026-评议.csv:4: 错误：第 4 行：线下满意率应当是百分数（如 95.2 或 95.2%），现在是“-3”。",
        "content/_plans/2026-评议.csv:6: 错误：第 6 行：外语学院党委的评议结果重复了（第 5 行已经有），每个单位只写一行。",
        "content/_plans/2026-评议.csv:7: 错误：第 7 行：单位一栏是空的。单位一栏写单位全称（如“外语学院党委”）或单位文件夹名。",
    ]
    assert _evaluation("单位,线上参评人数,线上满意率\njx,1,1\n") == [
        "content/_plans/2026-评议.csv:1: 错误：第 1 行（表头）缺少“线下参评人数”“线下满意率”：表头应当是 单位,线上参评人数,线上满意率,线下参评人数,线下满意率。"
    ]
    assert _evaluation("\ufeff" + head + "jx,１２,100.0％,0,0\n") == []  # full-width digits and ％ as written in Chinese
    assert _evaluation(head + "jx,10,0.952,10,90\n") == [
        "content/_plans/2026-评议.csv:2: 警告：第 2 行：线上满意率“0.952”按百分数读作 0.952%。如果是小数形式（0.952 = 95.2%），请写成 95.2 或 95.2%。"
    ]


def test_toml_syntax_error_is_located() -> None:
    assert _plan('goal = "x"\n[[tasks]]\nid = T01\n') == [
        "content/jx/_plans/2026.toml:3: 错误：TOML 语法错误：值的写法不对：文字要加英文双引号，例如 name = \"机械工程学院党委\"。请检查引号、等号（=）和方括号是否成对。（原始信息：Invalid value (at line 3, column 6)）"
    ]


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> list[str]:
    from generator.build.builder import Builder, BuildOptions

    site = write_site(
        tmp_path_factory.mktemp("plans-broken") / "site",
        {
            "content/_plans/2026.toml": FRAMEWORK,
            "content/wy/_unit.toml": WY_UNIT,
            "content/wy/_plans/2026.toml": '[[tasks]]\nid = "W1"\nrequired = "Y02"\n',
            "content/wy/_plans/2025.toml": 'goal = "没有框架"\n',
            "content/jx/_plans/2026.toml": '[[tasks]]\nid = "T01"\nrequired = "Y01"\n',
            "content/jx/2026/a.md": post_text("会议", "2026-03-01", "党建动态", tasks="[T01, T1]", project="P9"),
            "content/jx/2026/b.md": post_text("报告", "2026-03-02", "党建动态", 报告="总结"),
            "content/jx/2025/c.md": post_text("去年", "2025-03-02", "党建动态", 任务="\n  - T01"),
        },
    )
    loaded = Builder(BuildOptions(site, site / "build", as_of=dt.date(2026, 6, 30), jobs=1)).load()
    return [p.format() for p in loaded.problems if p.is_error]


def test_posts_naming_what_does_not_exist(broken: list[str]) -> None:
    assert broken == [
        "content/jx/2025/c.md:5: 错误：本单位没有 2025 年的工作计划 content/jx/_plans/2025.toml（或它有错误），tasks 中的任务无从对应。",
        "content/jx/2026/a.md:5: 错误：任务“T1”不在本单位 2026 年的工作计划（content/jx/_plans/2026.toml）中，是不是“T01”？可选：T01。",
        "content/jx/2026/a.md:6: 错误：项目“P9”不存在。项目写在各单位的 _projects.toml 中，这里填它的 id。",
        "content/jx/2026/b.md:5: 错误：报告 report 只能是述职（年终述职报告写“report: 述职”），现在是“总结”。",
        "content/wy/_plans/2025.toml:1: 错误：没有 2025 年的工作框架 content/_plans/2025.toml（或它有错误），无法检查这份计划的指标和规定动作。",
    ]


def test_field_line_finds_list_items() -> None:
    from generator.parse.projects import field_line

    text = "---\ntitle: x\n任务:\n  - T01\n  - T02\ndate: 2026-01-01\n---\nT02 正文\n"
    assert field_line(text, ("tasks", "任务"), "T02") == 5
    assert field_line(text, ("tasks", "任务")) == 3
    assert field_line(text, ("project", "项目")) == 1


def test_underscore_folders_are_never_units(tmp_path: Path) -> None:
    """An underscore folder under content/ is never a unit (no 'missing _unit.toml' error)."""
    from generator.load.sources import discover

    site = write_site(tmp_path, {"content/_shared/readme.txt": "x", "content/_plans/2026.toml": FRAMEWORK, "content/_plans/x.md": "---\n---\n"})
    found = discover(site)
    assert found.units == ("jx",) and not found.problems
    assert found.plans == ("content/_plans/2026.toml", "content/_plans/x.md")
    assert not any(p.startswith("content/_") for p in found.posts)


def test_readme_examples_read_without_problems() -> None:
    """README「目标管理」: the framework, a plan against it and the projects, copied as shown, work."""
    import re

    from conftest import REPO

    from generator.parse.plans import parse_framework, parse_unit_plan
    from generator.parse.projects import parse_projects

    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("## 目标管理") :]
    framework, plan, projects = (b for b in re.findall(r"^```toml\n(.*?)^```$", section, re.M | re.S)[:3])
    fw, problems = parse_framework(framework.encode(), "content/_plans/2026.toml", 2026, SiteConfig(), ("教学单位", "机关"))
    assert fw is not None and not problems, problems
    fw = type(fw)(fw.year, fw.source, fw.goal, (*fw.indicators, *(type(fw.indicators[0])(c, "x") for c in ("3", "3.2"))), fw.required)
    unit_plan, problems = parse_unit_plan(plan.encode(), "content/jx/_plans/2026.toml", _units()["jx"], fw, SiteConfig())
    assert unit_plan is not None and not problems, problems
    assert unit_plan.tasks[0].count == 12 and unit_plan.tasks[0].title == "全年中心组学习不少于10次"
    units = _units()
    jx = type(units["jx"])("jx", "机械工程学院党委", "教学单位", 10, (*units["jx"].branches, type(units["jx"].branches[0])("jx-jg2", "第二教工党支部", "教职工")), "content/jx/_unit.toml")
    found, problems = parse_projects(projects.encode(), "content/jx/_projects.toml", jx, {**units, "jx": jx})
    assert [p.id for p in found] == ["TS2026-01"] and not problems, problems


def test_post_fields_and_their_aliases() -> None:
    from generator.parse.post import parse_post

    units = _units()
    raw = post_text("会议", "2026-03-01", "党建动态", 任务="T01、T02，T03", 项目="P1", 报告="述职").encode()
    post, problems = parse_post(raw, "content/jx/2026/a.md", units["jx"], SiteConfig(), {})
    assert post is not None and not problems, problems
    assert (post.tasks, post.project, post.report) == (("T01", "T02", "T03"), "P1", "述职")
    post, _ = parse_post(post_text("会议", "2026-03-01", "党建动态").encode(), "content/jx/2026/b.md", units["jx"], SiteConfig(), {})
    assert post is not None and (post.tasks, post.project, post.report) == ((), None, None)
