"""目标管理 (issue 18): every figure of data/plans.json for a fixture site built once.

The site has two framework years (2026 with three 规定动作, 2025 with none),
three units (a teaching unit with a full plan, an office with a short one, one
without a plan), five projects and 评议 results with and without a BOM. Plan
figures depend on post dates and the as-of date, not on git: no repository.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from conftest import post_text, write_site

AS_OF = dt.date(2026, 6, 30)

FRAMEWORK_2026 = textwrap.dedent(
    """\
    goal = "全面提升党建工作质量"
    [[indicators]]
    code = "1"
    name = "政治建设"
    [[indicators]]
    code = "1.1"
    name = "理论学习中心组学习"
    [[indicators]]
    code = "1.2"
    name = "年度述职"
    [[indicators]]
    code = "2"
    name = "组织建设"
    [[indicators]]
    code = "2.1"
    name = "三会一课"
    [[indicators]]
    code = "2.2"
    name = "主题党日"
    [[indicators]]
    code = "3"
    name = "特色创建"
    [[indicators]]
    code = "3.1"
    name = "特色阵地"
    [[indicators]]
    code = "4"
    name = "作风建设"
    [[indicators]]
    code = "4.1"
    name = "廉政教育"
    [[required]]
    id = "Y01"
    indicator = "1.1"
    title = "全年中心组学习不少于3次"
    kinds = ["教学单位", "机关"]
    count = 3
    meeting = "中心组学习"
    due = 2026-12-31
    [[required]]
    id = "Y02"
    indicator = "2.2"
    title = "上半年开展主题党日不少于2次"
    kinds = ["教学单位"]
    count = 2
    meeting = "主题党日"
    section = "支部生活"
    due = 2026-06-30
    [[required]]
    id = "Y03"
    indicator = "1.2"
    title = "书记年度述职"
    due = 2026-12-31
    """
)

FRAMEWORK_2025 = 'goal = "2025"\n[[indicators]]\ncode = "1"\nname = "政治建设"\n[[indicators]]\ncode = "1.1"\nname = "学习"\n'

PLAN_JX = textwrap.dedent(
    """\
    goal = "机械学院年度目标"
    [[tasks]]
    id = "T01"
    required = "Y01"
    [[tasks]]
    id = "T02"
    required = "Y02"
    count = 1
    tag = "红色教育"
    [[tasks]]
    id = "T03"
    indicator = "2.1"
    kind = "自选"
    title = "一季度组织生活不少于4次"
    count = 4
    category = "组织生活"
    due = 2026-03-31
    [[tasks]]
    id = "T04"
    indicator = "3.1"
    kind = "自选"
    title = "建成党员活动室"
    due = 2026-12-31
    status = "完成"
    [[tasks]]
    id = "T05"
    indicator = "3.1"
    kind = "自选"
    title = "编印支部工作手册"
    due = 2026-12-31
    status = "完成"
    [[tasks]]
    id = "T06"
    required = "Y03"
    title = "书记向全院师生述职"
    [[tasks]]
    id = "T07"
    indicator = "2.1"
    kind = "自选"
    title = "五月前完成支部换届"
    due = 2026-05-01
    [[tasks]]
    id = "T08"
    indicator = "2.1"
    kind = "自选"
    title = "党员志愿服务"
    count = 2
    tag = "志愿服务"
    due = 2026-12-31
    """
)

PLAN_WY = textwrap.dedent(
    """\
    goal = "机关年度目标"
    [[tasks]]
    id = "W1"
    required = "Y01"
    count = 1
    [[tasks]]
    id = "W2"
    required = "Y03"
    """
)

WY_UNIT = 'name = "外语学院党委"\nkind = "机关"\norder = 20\n[[branches]]\nid = "wy-1"\nname = "外语学院教工党支部"\nkind = "教职工"\n'
SX_UNIT = 'name = "数学学院党委"\nkind = "教学单位"\norder = 30\n[[branches]]\nid = "sx-1"\nname = "数学学院教工党支部"\nkind = "教职工"\n'

PROJECTS_JX = textwrap.dedent(
    """\
    [[projects]]
    id = "P1"
    name = "红色工匠工作室"
    type = "特色阵地"
    level = "重点"
    branches = ["jx-jg1", "机械工程学院本科生党支部"]
    funding = 20000
    start = 2026-01-01
    end = 2026-12-31
    status = "立项"
    [[projects]]
    id = "P2"
    name = "高校党建研究"
    type = "研究课题"
    level = "一般"
    funding = 5000
    start = 2025-09-01
    end = 2026-06-30
    status = "中期"
    [[projects]]
    id = "P3"
    name = "学生党员先锋岗"
    type = "特色阵地"
    level = "一般"
    branches = ["jx-xs1"]
    funding = 3000
    start = 2025-03-01
    end = 2025-12-31
    status = "结项"
    [[projects]]
    id = "P4"
    name = "支部书记工作法研究"
    type = "研究课题"
    level = "重点"
    funding = 8000
    start = 2025-03-01
    end = 2026-01-31
    status = "终止"
    """
)

PROJECTS_WY = textwrap.dedent(
    """\
    [[projects]]
    id = "P5"
    name = "外语志愿服务队"
    type = "特色阵地"
    level = "一般"
    branches = ["wy-1"]
    funding = 2000
    start = 2026-01-01
    end = 2026-03-31
    status = "立项"
    """
)


def _posts() -> dict[str, str]:
    p = post_text
    return {
        # T01 (Y01 inherited: 3 中心组学习): A names it and matches (counted once), B matches
        "content/jx/2026/a.md": p("中心组学习一", "2026-02-10", "党建动态", meeting="中心组学习", tasks="[T01]"),
        "content/jx/2026/b.md": p("中心组学习二", "2026-04-10", "党建动态", meeting="中心组学习"),
        "content/jx/2025/old.md": p("去年的中心组学习", "2025-11-10", "党建动态", meeting="中心组学习", project="P2"),
        # T02 (Y02 overridden: count 1, tag added to the inherited meeting and section)
        "content/jx/2026/c.md": p("主题党日红色教育", "2026-05-20", "支部生活", meeting="主题党日", branch="jx-jg1", tags="[红色教育]", project="P1"),
        "content/jx/2026/d.md": p("主题党日", "2026-05-21", "支部生活", meeting="主题党日", branch="jx-jg1"),
        "content/jx/2026/e.md": p("主题党日（草稿）", "2026-05-22", "支部生活", meeting="主题党日", branch="jx-jg1", tags="[红色教育]", draft="true", project="P1"),
        "content/jx/2026/f.md": p("七月主题党日", "2026-07-05", "支部生活", meeting="主题党日", branch="jx-jg1", tags="[红色教育]", project="P1", tasks="[T04]"),
        # T03 (组织生活, due 03-31): one
        "content/jx/2026/g.md": p("组织生活会", "2026-01-15", "支部生活", category="组织生活", branch="jx-xs1"),
        # T04: evidence; T06: evidence (and the 述职 report)
        "content/jx/2026/h.md": p("党员活动室建成", "2026-03-01", "党建动态", tasks="[T04]", project="P1"),
        "content/jx/2026/i.md": p("书记述职报告", "2026-06-01", "党建动态", tasks="[T06]", report="述职"),
        "content/wy/2026/w.md": p("外语学院党委会", "2026-03-01", "党建动态", meeting="党委会"),
    }


FILES: dict[str, str | bytes] = {
    "content/_plans/2026.toml": FRAMEWORK_2026,
    "content/_plans/2025.toml": FRAMEWORK_2025,
    "content/_plans/2026-评议.csv": "\ufeff单位,线上参评人数,线上满意率,线下参评人数,线下满意率\r\njx,120,95.2%,80,90\r\n外语学院党委,50,88,40,92.5%\r\n".encode(),
    "content/_plans/2025-评议.csv": "单位,线上参评人数,线上满意率,线下参评人数,线下满意率\n数学学院党委,30,100,20,0\n".encode(),
    "content/jx/_plans/2026.toml": PLAN_JX,
    "content/jx/_plans/notes.md": "---\ntitle: 不是文章\n---\n",
    "content/wy/_unit.toml": WY_UNIT,
    "content/wy/_plans/2026.toml": PLAN_WY,
    "content/sx/_unit.toml": SX_UNIT,
    "content/jx/_projects.toml": PROJECTS_JX,
    "content/wy/_projects.toml": PROJECTS_WY,
    **_posts(),
}

CONFIG = '[plans]\nevaluation_url = "https://survey.example.edu.cn/?u={unit}"\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return write_site(tmp_path_factory.mktemp("plans") / "site", dict(FILES), config=CONFIG)


@pytest.fixture(scope="module")
def loaded(site: Path):
    from generator.build.builder import Builder, BuildOptions

    return Builder(BuildOptions(site, site / "build", as_of=AS_OF, jobs=1)).load()


@pytest.fixture(scope="module")
def data(loaded) -> dict:
    from generator.plan.goals import compute
    from generator.plan.goals_output import data_file, dumps

    assert loaded.model is not None, [p.format() for p in loaded.problems]
    return json.loads(dumps(data_file(compute(loaded.model))))


def _task(found, count, status, evidence=(), indicator="2.1", kind="自选") -> dict:
    return {"indicator": indicator, "kind": kind, "status": status, "found": found, "count": count, "evidence": [f"content/jx/2026/{e}.md" for e in evidence]}


def test_no_errors_and_the_unproven_claim(loaded, site: Path) -> None:
    from generator.plan.goals import claim_warnings, compute

    assert not [p.format() for p in loaded.problems if p.is_error]
    gm = compute(loaded.model)
    assert (gm.year(2026).done, gm.year(2026).tasks, gm.year(2026).rate) == (2, 10, 0.2)  # the school's overall rate
    warnings = [p.format() for p in claim_warnings(gm)]
    lines = PLAN_JX.splitlines()
    line = lines.index('status = "完成"', lines.index('id = "T05"')) + 1  # the claim's own line
    assert warnings == [
        f"content/jx/_plans/2026.toml:{line}: 警告：任务 T05 标为“完成”，但没有公开的证明材料：请发布证明它完成的文章，并在文章中写 tasks: [T05]。在此之前不计为完成。"
    ]
    # the _plans folders hold no posts, content/_plans is no unit
    assert "content/jx/_plans/notes.md" not in {p.source for p in loaded.model.posts}
    assert [u.slug for u in loaded.model.units] == ["jx", "wy", "sx"]


def test_measured_and_evidenced_tasks_in_every_state(data: dict) -> None:
    jx = data["years"]["2026"]["units"]["jx"]
    assert jx["tasks"] == {
        # inherited from Y01: count 3, 中心组学习; A both matches and names it: counted once
        "T01": _task(2, 3, "in_progress", ["a"], indicator="1.1", kind="规定"),
        # Y02 overridden: count 1, tag 红色教育 with the inherited meeting and section; d lacks the tag,
        # e is a draft, f is after the as-of date
        "T02": _task(1, 1, "done", indicator="2.2", kind="规定"),
        "T03": _task(1, 4, "overdue"),
        "T04": _task(None, None, "done", ["h"], indicator="3.1"),  # f names it but is after the as-of date
        "T05": _task(None, None, "not_started", indicator="3.1"),  # 完成 claimed, no evidence
        "T06": _task(None, None, "in_progress", ["i"], indicator="1.2", kind="规定"),
        "T07": _task(None, None, "overdue"),
        "T08": _task(0, 2, "not_started"),
    }
    assert jx["rate"] == 0.25
    assert jx["by_indicator"] == {
        "1": {"tasks": 2, "done": 0, "rate": 0.0},
        "2": {"tasks": 4, "done": 1, "rate": 0.25},
        "3": {"tasks": 2, "done": 1, "rate": 0.5},
        "4": {"tasks": 0, "done": 0, "rate": None},
    }
    assert jx["report"] == "content/jx/2026/i.md" and jx["plan"] is True and jx["name"] == "机械工程学院党委"


def test_units_without_a_task_or_plan(data: dict) -> None:
    units = data["years"]["2026"]["units"]
    assert sorted(units) == ["jx", "sx", "wy"]
    wy = units["wy"]  # an office: Y02 (教学单位 only) is not required of it
    assert wy["tasks"] == {
        "W1": {"indicator": "1.1", "kind": "规定", "status": "not_started", "found": 0, "count": 1, "evidence": []},
        "W2": {"indicator": "1.2", "kind": "规定", "status": "not_started", "found": None, "count": None, "evidence": []},
    }
    assert wy["rate"] == 0.0
    sx = units["sx"]
    assert sx["rate"] is None and sx["tasks"] == {} and sx["plan"] is False and sx["evaluation"] is None
    assert all(v == {"tasks": 0, "done": 0, "rate": None} for v in sx["by_indicator"].values()) and sorted(sx["by_indicator"]) == ["1", "2", "3", "4"]
    assert data["years"]["2025"]["units"]["jx"]["by_indicator"] == {"1": {"tasks": 0, "done": 0, "rate": None}}


def test_evaluation_by_slug_and_name_with_and_without_bom(data: dict) -> None:
    y26 = data["years"]["2026"]["units"]
    assert y26["jx"]["evaluation"] == {"online": {"n": 120, "rate": 0.952}, "offline": {"n": 80, "rate": 0.9}, "diff": 5.2}
    assert y26["wy"]["evaluation"] == {"online": {"n": 50, "rate": 0.88}, "offline": {"n": 40, "rate": 0.925}, "diff": -4.5}
    assert data["years"]["2025"]["units"]["sx"]["evaluation"] == {"online": {"n": 30, "rate": 1.0}, "offline": {"n": 20, "rate": 0.0}, "diff": 100.0}


def test_projects_and_totals(data: dict) -> None:
    def proj(unit, ptype, level, funding, status, overdue, posts, name, branches, start, end):
        return {"unit": unit, "type": ptype, "level": level, "funding": funding, "status": status, "overdue": overdue, "posts": posts, "name": name, "branches": branches, "start": start, "end": end}

    assert data["projects"] == {
        # joint (two branches, one named by its name); c and h name it, e is a draft, f after the as-of date
        "P1": proj("jx", "特色阵地", "重点", 20000, "立项", False, 2, "红色工匠工作室", ["jx-jg1", "jx-xs1"], "2026-01-01", "2026-12-31"),
        "P2": proj("jx", "研究课题", "一般", 5000, "中期", False, 1, "高校党建研究", [], "2025-09-01", "2026-06-30"),  # ends on the as-of date
        "P3": proj("jx", "特色阵地", "一般", 3000, "结项", False, 0, "学生党员先锋岗", ["jx-xs1"], "2025-03-01", "2025-12-31"),
        "P4": proj("jx", "研究课题", "重点", 8000, "终止", False, 0, "支部书记工作法研究", [], "2025-03-01", "2026-01-31"),
        "P5": proj("wy", "特色阵地", "一般", 2000, "立项", True, 0, "外语志愿服务队", ["wy-1"], "2026-01-01", "2026-03-31"),
    }
    totals = data["project_totals"]
    assert {k: totals[k] for k in ("count", "by_type", "by_level", "funding")} == {
        "count": 5,
        "by_type": {"特色阵地": 3, "研究课题": 2},
        "by_level": {"重点": 2, "一般": 3},
        "funding": 38000,
    }
    assert totals["by_year"] == {
        "2025": {"count": 3, "by_type": {"特色阵地": 1, "研究课题": 2}, "by_level": {"重点": 1, "一般": 2}, "funding": 16000},
        "2026": {"count": 2, "by_type": {"特色阵地": 2}, "by_level": {"重点": 1, "一般": 1}, "funding": 22000},
    }
    assert data["as_of"] == "2026-06-30"


def test_the_model_carries_the_inputs(loaded) -> None:
    plans = loaded.model.plans
    assert plans.evaluation_url == "https://survey.example.edu.cn/?u={unit}"
    t01 = plans.plan("jx", 2026).task("T01")
    assert (t01.title, t01.due, t01.count, t01.selectors.meeting) == ("全年中心组学习不少于3次", dt.date(2026, 12, 31), 3, "study-group")
    t02 = plans.plan("jx", 2026).task("T02")
    assert (t02.count, t02.selectors.meeting, t02.selectors.section, t02.selectors.tag, t02.due) == (1, "theme-day", "branch-life", "红色教育", dt.date(2026, 6, 30))
    post = next(p for p in loaded.model.posts if p.source == "content/jx/2026/i.md")
    assert (post.tasks, post.project, post.report) == (("T06",), None, "述职")


# -- the build: data/plans.json, incremental builds, stats --plans ------------------------


def _expected(site: Path) -> bytes:
    """data/plans.json as a fresh load of the site computes it."""
    from generator.build.builder import Builder, BuildOptions
    from generator.plan.goals import compute
    from generator.plan.goals_output import data_file, dumps

    model = Builder(BuildOptions(site, site / "unused", as_of=AS_OF, jobs=1)).load().model
    assert model is not None
    return dumps(data_file(compute(model))).encode()


def _edit(site: Path, rel: str, old: str, new: str) -> None:
    text = (site / rel).read_text("utf-8")
    assert old in text, (rel, old)
    (site / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


def test_built_data_file_and_incremental_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.build.builder import Builder, BuildOptions
    from generator.plan import goals_output

    made: list[int] = []  # the plans family planned again (its key changed)
    original = goals_output.plans_outputs
    monkeypatch.setattr(goals_output, "plans_outputs", lambda *a: made.append(1) or original(*a))
    site = write_site(tmp_path / "site", dict(FILES), config=CONFIG)
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems if p.is_error]
    assert any("没有公开的证明材料" in p.message for p in result.problems)
    assert (out / "data/plans.json").read_bytes() == _expected(site)
    # the comparison gains the plan rate: a column of its year page, an extra of data/compare.json
    page = (out / "compare/2026/index.html").read_text("utf-8")
    assert '<span class="nw">计划</span><span class="nw">完成率</span>' in page
    assert '<td class="num c-plan" data-sort="0.250000">25.0%</td>' in page and '<td class="num c-plan" data-sort="">—</td>' in page
    compare = json.loads((out / "data/compare.json").read_text("utf-8"))["years"]["2026"]["units"]
    assert {k: v["plan_rate"] for k, v in compare.items()} == {"jx": 0.25, "wy": 0.0, "sx": None}

    def rebuilt(expect_planned: bool) -> dict:
        before = (out / "data/plans.json").read_bytes()
        made.clear()
        result = builder.build()
        assert result.ok, [p.format() for p in result.problems if p.is_error]
        after = (out / "data/plans.json").read_bytes()
        assert after == _expected(site)
        assert bool(made) is expect_planned
        if not expect_planned:
            assert after == before
        return json.loads(after)

    _edit(site, "content/jx/2026/b.md", "正文。", "另一段正文。")  # a body: nothing of the figures
    rebuilt(False)
    _edit(site, "content/jx/2026/b.md", "meeting: 中心组学习", "meeting: 中心组学习\ntasks: [T08]")  # a post naming a task
    assert rebuilt(True)["years"]["2026"]["units"]["jx"]["tasks"]["T08"]["found"] == 1
    _edit(site, "content/jx/_plans/2026.toml", "count = 2\ntag", "count = 1\ntag")  # the plan
    assert rebuilt(True)["years"]["2026"]["units"]["jx"]["tasks"]["T08"]["status"] == "done"
    assert '<td class="num c-plan" data-sort="0.375000">37.5%</td>' in (out / "compare/2026/index.html").read_text("utf-8")
    _edit(site, "content/_plans/2026-评议.csv", "120,95.2%", "121,95.2%")  # the 评议
    assert rebuilt(True)["years"]["2026"]["units"]["jx"]["evaluation"]["online"]["n"] == 121
    _edit(site, "content/wy/_projects.toml", "funding = 2000", "funding = 3000")  # a project
    assert rebuilt(True)["project_totals"]["funding"] == 39000
    _edit(site, "content/_plans/2026.toml", "count = 3", "count = 2")  # the framework (inherited by T01)
    assert rebuilt(True)["years"]["2026"]["units"]["jx"]["tasks"]["T01"]["status"] == "done"
    (site / "content/wy/_projects.toml").unlink()  # a file removed
    assert sorted(rebuilt(True)["projects"]) == ["P1", "P2", "P3", "P4"]


def test_stats_plans_prints_the_same_figures(site: Path, data: dict, loaded) -> None:
    from conftest import run_cli

    proc = run_cli("stats", str(site), "--plans", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed["years"] == {"2026": data["years"]["2026"]} and printed["projects"] == data["projects"]
    assert "没有公开的证明材料" in proc.stderr
    from generator.commands.plan_stats import plans_table
    from generator.plan.goals import compute

    gm = compute(loaded.model)
    table = plans_table(gm.year(2026), gm)  # what `stats --plans` prints (table format)
    assert "机械工程学院党委        2/8     25.0          0.0         25.0         50.0            —     2  95.2（120人）  90.0（80人）        +5.2" in table
    assert "  机械工程学院党委 T03 一季度组织生活不少于4次（期限 2026-03-31，已完成 1/4）" in table
    assert "立项项目：共立项项目 5 个，其中重点项目 2 个、一般项目 3 个，经费 3.8 万元。" in table
    assert "逾期未结项：P5 外语志愿服务队（2026-03-31 到期）。" in table


def test_stats_plans_usage_errors(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generator.commands.stats import run_stats
    from generator.core.exits import EXIT_USAGE

    assert run_stats(site, 2030, AS_OF, "table", plans=True) == EXIT_USAGE
    assert "liangshai stats: 没有 2030 年的年度工作框架（content/_plans/2030.toml），可选年份：2025、2026。" in capsys.readouterr().err
    assert run_stats(site, 2026, AS_OF, "csv", plans=True) == EXIT_USAGE
    assert "--plans 只支持 --format table 或 json（现在是 csv）" in capsys.readouterr().err
