"""The pages of 目标管理 (issue 18) on the demo build: each unit's plan and printable annual summary,
the school's matrix, the project list and a project's page — what they show against ``data/plans.json``
(the figures are tested in test_plans.py), their links, and the annual summary printed to PDF on A4 in
Chromium with no table row cut across two pages and every continued table repeating its head.

The HTML validator and axe check these pages with the other page kinds (test_site_quality.py).
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from pathlib import Path

import pytest

from generator.plan.goalpages import totals_text, wan
from generator.plan.goals import STATUS_SYMBOL, STATUS_TEXT, Totals


def _text(page: str) -> str:
    """The visible text of a page's <main>, whitespace collapsed."""
    main = re.search(r"<main.*?</main>", page, re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main.group(0) if main else page)))


def _links(page: str) -> list[str]:
    return re.findall(r'href="([^"#]+)"', page)


def _resolves(out: Path, page_rel: str, href: str) -> bool:
    from urllib.parse import unquote

    target = (out / page_rel).parent / unquote(href)
    return target.resolve().is_file()


@pytest.fixture(scope="module")
def plans(demo_build: Path) -> dict:
    return json.loads((demo_build / "data" / "plans.json").read_text("utf-8"))


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# -- formatting ------------------------------------------------------------------------


def test_totals_are_written_in_the_seeds_style() -> None:
    t = Totals(58, (("特色阵地", 58),), (("重点", 9), ("一般", 39)), 123000)
    assert totals_text(t, "特色阵地") == "共立项特色阵地 58 个，其中重点项目 9 个、一般项目 39 个，经费 12.3 万元"
    assert totals_text(Totals(0, (), (), 0)) == "共立项 0 个，经费 0 万元"
    assert (wan(20000), wan(8000), wan(185000)) == ("2", "0.8", "18.5")


# -- the demo's pages ---------------------------------------------------------------------


def test_plan_page_shows_every_task_by_indicator_with_status_progress_and_evidence(demo_build: Path, plans: dict) -> None:
    seen_statuses: set[str] = set()
    for year, yd in plans["years"].items():
        for slug, ud in yd["units"].items():
            rel = f"{slug}/plan/{year}/index.html"
            page = (demo_build / rel).read_text("utf-8")
            text = _text(page)
            assert f"完成率 {_pct(ud['rate'])}" in text, rel
            for tid, t in ud["tasks"].items():
                row = re.search(rf'<tr id="task-{re.escape(tid)}">(.*?)</tr>', page, re.S)
                assert row, f"{rel}: task {tid} not shown"
                cells = _text(row.group(1))
                # status as text and symbol (not colour alone), progress as found / count
                assert f"{STATUS_SYMBOL[t['status']]} {STATUS_TEXT[t['status']]}" in cells, (rel, tid, cells)
                assert ("规定动作" if t["kind"] == "规定" else "自选动作") in cells
                if t["count"] is not None:
                    assert f"{t['found']} / {t['count']}" in cells
                # every evidence post linked, and the link resolves
                hrefs = [h for h in _links(row.group(1))]
                assert len(hrefs) == len(t["evidence"]), (rel, tid)
                for src in t["evidence"]:
                    post_dir = "/".join(Path(src).with_suffix("").parts[1:])
                    post_dir = post_dir.removesuffix("/index").split("/", 1)
                    assert any(h.endswith(f"{post_dir[0]}/{post_dir[1].split('/')[-1]}/index.html") for h in hrefs), (rel, tid, src)
                assert all(_resolves(demo_build, rel, h) for h in hrefs)
                seen_statuses.add(t["status"])
            # grouped by 一级指标, each with its done / tasks
            for code, ind in ud["by_indicator"].items():
                if ind["tasks"]:
                    assert re.search(rf'id="h-ind-{code}">{code}　.*?已完成 {ind["done"]} / {ind["tasks"]} 项（{re.escape(_pct(ind["rate"]))}）', page), (rel, code)
    assert seen_statuses == {"done", "overdue", "in_progress", "not_started"}, "the demo has tasks in every state"


def test_plan_page_links_the_report_and_shows_the_evaluation(demo_build: Path, plans: dict, demo_model) -> None:
    names = {u.slug: u.name for u in demo_model.units}
    for slug, ud in plans["years"]["2025"]["units"].items():
        rel = f"{slug}/plan/2025/index.html"
        page = (demo_build / rel).read_text("utf-8")
        report = ud["report"]
        assert report, f"the demo has a 述职报告 for {slug}"
        post = next(p for p in demo_model.posts if p.source == report)
        assert f'href="../../../{slug}/{post.slug}/index.html">{html.escape(post.title, quote=False)}</a>' in page.replace("&#34;", '"')
        e = ud["evaluation"]
        text = _text(page)
        assert f"{names[slug]}2025年度述职评议结果" in text
        diff = f"{e['diff']:+.1f}"
        assert f"{e['online']['n']} {_pct(e['online']['rate'])} {e['offline']['n']} {_pct(e['offline']['rate'])} {diff}" in text
        # the demo's site.toml sets [plans] evaluation_url
        assert f'<a href="https://pingyi.example.edu.cn/shuzhi?unit={slug}">在线评议</a>' in page
    assert "2026年度述职报告尚未公开" in _text((demo_build / "jixie/plan/2026/index.html").read_text("utf-8"))


def test_evaluation_url_puts_an_online_link_on_the_plan_page(demo_model) -> None:
    from generator.plan.goalpages import goal_pages
    from generator.plan.goals import compute
    from generator.plan.pages import Planner

    model = dataclasses.replace(demo_model, plans=dataclasses.replace(demo_model.plans, evaluation_url="https://pj.example.edu.cn/shuzhi?dw={unit}"))
    pages = {p.path: p for p in goal_pages(compute(model), model, Planner(model, {}))}
    assert pages["waiyu/plan/2025/index.html"].context["evaluation_url"] == "https://pj.example.edu.cn/shuzhi?dw=waiyu"


def test_unit_and_post_pages_link_the_plan_and_the_project(demo_build: Path, demo_model) -> None:
    unit = (demo_build / "jixie" / "index.html").read_text("utf-8")
    for year in (2025, 2026):
        assert f'href="../jixie/plan/{year}/index.html">年度工作计划</a>' in unit
        assert f'href="../jixie/report/{year}/index.html">年度工作总结</a>' in unit
    named = [p for p in demo_model.posts if p.project]
    assert named
    for p in named:
        page = (demo_build / p.unit / p.slug / "index.html").read_text("utf-8")
        project = demo_model.plans.project(p.project)
        assert f'<dt>立项项目</dt><dd><a href="../../projects/{p.project}/index.html">{html.escape(project.name, quote=False)}</a>' in page.replace("&#34;", '"'), p.source
    home = (demo_build / "index.html").read_text("utf-8")
    assert 'href="plans/2026/index.html">目标</a>' in home and 'href="projects/index.html">项目</a>' in home


def test_school_page_matrix_overdue_tasks_and_evaluations(demo_build: Path, plans: dict, demo_model) -> None:
    names = {u.slug: u.name for u in demo_model.units}
    for year, yd in plans["years"].items():
        page = (demo_build / f"plans/{year}/index.html").read_text("utf-8")
        rows = re.findall(r"<tr>\s*<th scope=\"row\"><a href=\"[^\"]+\">([^<]+)</a>.*?</tr>", page.split('id="h-s-matrix"')[1].split("</table>")[0], re.S)
        assert sorted(rows) == sorted(names[s] for s in yd["units"]), "a row for every unit"
        matrix = _text(page.split('id="h-s-matrix"')[1].split("</table>")[0])
        tasks = sum(len(ud["tasks"]) for ud in yd["units"].values())
        done = sum(1 for ud in yd["units"].values() for t in ud["tasks"].values() if t["status"] == "done")
        assert f"计划任务共 {tasks} 项，已完成 {done} 项，总完成率 {_pct(done / tasks)}" in matrix, "the overall plan rate"
        overdue = _text(page.split('id="h-s-overdue"')[1].split("</section>")[0])
        for slug, ud in yd["units"].items():
            cells = " ".join(f"{_pct(i['rate'])}" + (f" {i['done']} / {i['tasks']}" if i["tasks"] else "") for i in ud["by_indicator"].values())
            assert f"{names[slug]} {cells} {_pct(ud['rate'])}" in matrix, (year, slug)
            for tid, t in ud["tasks"].items():
                if t["status"] == "overdue":
                    assert f"{names[slug]} {tid} ✗ 已逾期" in overdue, (year, slug, tid)
        evaluations = _text(page.split('id="h-s-eval"')[1].split("</section>")[0])
        for slug, ud in yd["units"].items():
            e = ud["evaluation"]
            if e:
                assert f"{names[slug]} {e['online']['n']} {_pct(e['online']['rate'])} {e['offline']['n']} {_pct(e['offline']['rate'])} {e['diff']:+.1f}" in evaluations
    assert "2026年度述职评议结果尚未公布" in _text((demo_build / "plans/2026/index.html").read_text("utf-8"))


def test_projects_page_totals_every_project_and_project_pages(demo_build: Path, plans: dict, demo_model) -> None:
    page = (demo_build / "projects" / "index.html").read_text("utf-8")
    text = _text(page)
    t = plans["project_totals"]
    levels = "、".join(f"{lv}项目 {t['by_level'][lv]} 个" for lv in ("重点", "一般") if lv in t["by_level"])
    assert f"共立项 {t['count']} 个，其中{levels}，经费 {wan(t['funding'])} 万元。" in text
    assert "共立项特色阵地 " in text and "共立项研究课题 " in text
    for pid, p in plans["projects"].items():
        row = re.search(rf'<tr>\s*<th scope="row"><a href="\.\./projects/{re.escape(pid)}/index.html">(.*?)</tr>', page, re.S)
        assert row, pid
        cells = _text(row.group(0))
        assert p["name"] in cells and p["level"] in cells and p["status"] in cells and wan(p["funding"]) in cells
        assert ("逾期未结项" in cells) == p["overdue"], pid
        one = (demo_build / "projects" / pid / "index.html").read_text("utf-8")
        posts = re.findall(r'class="post-title" href="([^"]+)"', one)
        assert len(posts) == p["posts"], pid
        dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', one.split('class="post-list"')[-1]) if posts else []
        assert dates == sorted(dates, reverse=True), f"{pid}: posts newest first"
        assert all(_resolves(demo_build, f"projects/{pid}/index.html", h) for h in posts)
    assert any(p["overdue"] for p in plans["projects"].values()), "the demo has an overdue project"
    assert {p["status"] for p in plans["projects"].values()} == {"立项", "中期", "结项", "终止"}
    joint = [pr for pr in demo_model.plans.projects if len(pr.branches) > 1]
    assert joint and "（联合立项）" in text


def test_annual_summary_shows_the_comparisons_coverage_and_lag(dated_demo) -> None:
    """In the demo committed day by day (scripts/make_demo.py), every unit's summary shows its lag: the same
    figures as the comparison's data file."""
    _, out = dated_demo
    compare = json.loads((out / "data/compare.json").read_text("utf-8"))
    plans = json.loads((out / "data/plans.json").read_text("utf-8"))
    for year in plans["years"]:
        for slug, u in compare["years"][year]["units"].items():
            text = _text((out / f"{slug}/report/{year}/index.html").read_text("utf-8"))
            cad, lag = u["cadence"], u["lag_days"]
            assert f"（已公开 {cad['met']} / 应公开 {cad['due']}，未公开 {len(u['missed'])} 次）" in text, (year, slug)
            assert f"中位数 {lag['median']:g} 天，P90 {lag['p90']} 天（{lag['count']} 条记录）" in text, (year, slug)


def test_annual_summary_follows_the_git_history_in_incremental_builds(tmp_path: Path) -> None:
    """Committing a post that was built uncommitted changes no post field, only the history: the summary's
    lag counts it in the next (incremental) build all the same."""
    from conftest import commit_all, git, git_init, write_site
    from test_plans import AS_OF, CONFIG, FILES

    from generator.build.builder import Builder, BuildOptions

    site = write_site(tmp_path / "site", dict(FILES), config=CONFIG)
    git_init(site)
    b = site / "content/jx/2026/b.md"
    kept = b.read_bytes()
    b.unlink()
    commit_all(site, "全部，除了 b.md", "2026-06-01T20:00:00+08:00")
    b.write_bytes(kept)  # in the working tree, not committed: no lag yet
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))

    def lag_count() -> int:
        result = builder.build()
        assert result.ok, [p.format() for p in result.problems if p.is_error]
        found = re.search(r"中位数 [\d.]+ 天，P90 \d+ 天（(\d+) 条记录）", _text((out / "jx/report/2026/index.html").read_text("utf-8")))
        assert found, "no lag on the summary"
        return int(found.group(1))

    before = lag_count()
    git(site, "add", "content/jx/2026/b.md")
    git(site, "commit", "-q", "-m", "b.md", date="2026-06-02T20:00:00+08:00")
    assert lag_count() == before + 1


# -- printing -------------------------------------------------------------------------------

ROWS_JS = """() => [...document.querySelectorAll('main table')].map(t => ({
  head: t.tHead ? t.tHead.innerText : '',
  rows: [...t.tBodies].flatMap(b => [...b.rows]).map(r => [...r.cells].map(c => c.innerText))
}))"""

# Off, the theme's print rules let rows break across pages and print a table's head once.
RULES_OFF = "@media print { tr, tr * { break-inside: auto !important; page-break-inside: auto !important } thead { display: table-row-group !important } }"


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _print_check(page, scale: float) -> tuple[list[str], list[tuple[int, list[int], bool]]]:
    """Print to A4 → (rows found whole on no page, [(table, pages it spans, its head on each of them)]).

    A row cut by a page break has the start of its text on one page and the rest on the next,
    so its text (cell by cell, as Chromium draws it) is on no page whole."""
    import pypdf

    pdf = page.pdf(format="A4", scale=scale)
    pages = [_squash(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    cut: list[str] = []
    spans = []
    for i, t in enumerate(page.evaluate(ROWS_JS)):
        on = set()
        for cells in t["rows"]:
            row = "".join(_squash(c) for c in cells)
            hits = [n for n, text in enumerate(pages) if row in text]
            if hits:
                on.add(hits[0])
            else:
                cut.append(row)
        if len(on) > 1:
            spans.append((i, sorted(on), all(_squash(t["head"]) in pages[n] for n in on)))
    return cut, spans


def test_annual_summary_prints_on_a4_without_cut_rows(demo_build: Path, page) -> None:
    continued = 0
    for rel in ("waiyu/report/2025/index.html", "jixie/report/2026/index.html"):
        page.goto((demo_build / rel).as_uri())
        for scale in (1.0, 1.3):  # the larger scale breaks the tables across pages
            cut, spans = _print_check(page, scale)
            assert not cut, f"{rel} at {scale}: rows cut by a page break: {cut[:3]}"
            assert all(head for _, _, head in spans), f"{rel} at {scale}: a continued table without its head: {spans}"
            continued += len(spans)
    assert continued, "no table was continued on a second page: the check saw nothing"
    # the check bites: without the print rules a continued table loses its head (and rows may be cut)
    page.add_style_tag(content=RULES_OFF)
    cut, spans = _print_check(page, 1.3)
    assert cut or not all(head for _, _, head in spans)
