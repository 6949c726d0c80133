"""The comparison pages (对标) as readers get them: grid cells that link to their records,
words for screen readers, distinct headers, and the layout at 1280 px and 390 px.

The first tests read the built HTML of a small site (fast, string level). The layout
tests load the demo build (repository root, ``--as-of 2026-11-27``) in real headless
Chromium at a desktop (1280 px) and a phone (390 px) width and measure: no page-level
sideways scrolling, header rows not much taller than body rows, the last grid columns
(12月, 已公开 / 应公开) visible or inside a marked scroll box with a sticky first column
and a visible hint, and no header squeezed to one character per line.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import http.server
import re
import threading
import urllib.parse
from pathlib import Path

import pytest
from conftest import free_port, post_text, write_site

from generator.build.builder import Builder, BuildOptions

AS_OF = dt.date(2026, 4, 15)
COMMITTEE = dict(meeting="支部委员会", branch="jx-jg1")

# Branch jx-jg1's 支部委员会: January one record, February none, March three (two on the
# 5th, one on the 20th): the first by date then path is m.md, not a.md (first by path)
# nor z.md (first written).
LINK_SITE: dict[str, str | bytes] = {
    "content/jx/2026/jan.md": post_text("一月支委会", "2026-01-10", **COMMITTEE),
    "content/jx/2026/z.md": post_text("三月支委会（二）", "2026-03-05", **COMMITTEE),
    "content/jx/2026/a.md": post_text("三月支委会（三）", "2026-03-20", **COMMITTEE),
    "content/jx/2026/m.md": post_text("三月支委会（一）", "2026-03-05", **COMMITTEE),
    "content/jx/2026/n.md": post_text("特色阵地项目", "2026-02-01", section="特色阵地", category="特色阵地"),
}


def _build(site: Path, out: Path) -> None:
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]


def _grid_row(page: str, meeting_key: str, branch_name: str) -> list[str]:
    """The ``<td class="slot …">`` cells of one branch's row in one meeting's grid."""
    grid = page.split(f'id="h-g-{meeting_key}"')[1].split("</table>")[0]
    row = grid.split(f">{branch_name}</a>")[1].split("</tr>")[0]
    return re.findall(r'<td class="slot [^"]*"[^>]*>.*?</td>', row)


def _sr(cell: str) -> str:
    return html.unescape(re.search(r'<span class="sr-only">(.*?)</span>', cell).group(1))


@pytest.fixture(scope="module")
def link_build(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("links")
    site = write_site(root / "site", dict(LINK_SITE))
    out = root / "out"
    _build(site, out)
    return site, out


def test_met_cells_link_to_the_first_record_with_the_count(link_build) -> None:
    _, out = link_build
    page = (out / "compare" / "2026" / "jx" / "index.html").read_text("utf-8")
    cells = _grid_row(page, "committee", "机械工程学院第一教工党支部")
    assert len(cells) == 12
    jan, feb, mar, apr = cells[:4]
    # one record: a link to it, no count
    assert re.findall(r'href="([^"]+)"', jan) == ["../../../jx/jan/index.html"] and "slot-n" not in jan
    assert _sr(jan) == "2026年1月支部委员会已公开，打开记录"
    # three records: the first by date, then by path; the count shown next to the ✓
    assert re.findall(r'href="([^"]+)"', mar) == ["../../../jx/m/index.html"]
    assert '<small class="slot-n">3</small>' in mar
    assert _sr(mar) == "2026年3月支部委员会已公开 3 篇，打开第一篇"
    assert 'title="2026年3月：已公开（3 篇）"' in mar
    # every link resolves to the record's page
    for cell, title in ((jan, "一月支委会"), (mar, "三月支委会（一）")):
        href = re.search(r'href="([^"]+)"', cell).group(1)
        target = (out / "compare" / "2026" / "jx" / urllib.parse.unquote(href)).resolve()
        assert target.is_file() and f">{title}</h1>" in target.read_text("utf-8"), (href, title)
    # missed: no link, and what is missing in words (not colour or symbol alone)
    assert "<a " not in feb and "slot-missed" in feb
    assert _sr(feb) == "2026年2月支部委员会未公开"
    assert '<span aria-hidden="true">✗</span>' in feb
    # April is not over: pending, in words too
    assert "<a " not in apr and _sr(apr) == "2026年4月支部委员会未到期"
    # the student branch has no 党小组 (groups = false): exempt, in words
    exempt = _grid_row(page, "group", "机械工程学院本科生党支部")
    assert exempt and all(_sr(c).endswith("党小组会免于召开") for c in exempt)
    # every slot cell carries its words, so a screen reader never meets a bare symbol
    slots = re.findall(r'<td class="slot [^"]*"[^>]*>.*?</td>', page)
    assert len(slots) == page.count('<td class="slot ') > 12 and all('<span class="sr-only">' in c for c in slots)


def test_count_table_headers_are_distinct(link_build) -> None:
    _, out = link_build
    page = (out / "compare" / "2026" / "index.html").read_text("utf-8")
    volume = page.split('id="h-volume"')[1].split("</thead>")[0]
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', volume, re.S)]
    # 特色阵地 is both a column (section) and a category in the default configuration
    assert "特色阵地（栏目）" in heads and "特色阵地（分类）" in heads, heads
    assert len(heads) == len(set(heads)), heads
    # and the numbers under them are the right ones: one post in the column and in the category
    row = page.split('id="h-volume"')[1].split('data-unit="jx"')[1].split("</tr>")[0]
    sections = re.findall(r'class="num c-section"[^>]*>(\d+)<', row)
    categories = re.findall(r'class="num c-category"[^>]*>(\d+)<', row)
    assert sections[heads.index("特色阵地（栏目）") - 4] == "1"
    first_category = next(i for i, h in enumerate(heads) if h.endswith("（分类）"))
    assert categories[heads.index("特色阵地（分类）") - first_category] == "1"


def test_a_date_edit_moves_the_link_incrementally(tmp_path: Path) -> None:
    """The links are part of the comparison pages' inputs: an incremental build that changes
    which record is first re-renders the page, and equals a clean build byte for byte."""
    site = write_site(tmp_path / "site", dict(LINK_SITE))
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    m = site / "content/jx/2026/m.md"
    m.write_text(m.read_text("utf-8").replace("date: 2026-03-05", "date: 2026-03-25"), "utf-8")
    result = builder.build()
    assert result.ok and "compare/2026/jx/index.html" in result.rendered
    page = (out / "compare" / "2026" / "jx" / "index.html").read_text("utf-8")
    mar = _grid_row(page, "committee", "机械工程学院第一教工党支部")[2]
    assert re.findall(r'href="([^"]+)"', mar) == ["../../../jx/z/index.html"]  # z (5th) now precedes a (20th) and m (25th)
    clean = tmp_path / "clean"
    _build(site, clean)
    assert (clean / "compare" / "2026" / "jx" / "index.html").read_text("utf-8") == page


# -- layout in headless Chromium -------------------------------------------------------

# Measures one page: page-level overflow, every table's header and body rows, its scroll box,
# the hint before it, the sticky first column, the last columns, and the lines of each header.
MEASURE = r"""
() => {
  const out = {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: innerWidth, tables: []};
  const lines = (el) => {
    // the text of an element laid out in lines: [[top, characters], …]
    const tops = new Map();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.length; i++) {
        if (!node.data[i].trim()) continue;
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getClientRects()[0];
        if (!r || r.width === 0) continue;
        const top = Math.round(r.top);
        let key = [...tops.keys()].find(t => Math.abs(t - top) < 4);
        if (key === undefined) { key = top; tops.set(key, 0); }
        tops.set(key, tops.get(key) + 1);
      }
    }
    return [...tops.values()];
  };
  for (const table of document.querySelectorAll("main table")) {
    const box = table.closest(".table-scroll");
    const head = table.tHead ? table.tHead.rows[0] : null;
    if (!head) continue;
    const body = [...table.tBodies[0].rows].map(r => r.getBoundingClientRect().height);
    const heads = [...head.cells].filter(c => !c.closest(".sr-only"));
    const last = heads[heads.length - 1];
    const hint = box && box.previousElementSibling && box.previousElementSibling.classList.contains("scroll-hint") ? box.previousElementSibling : null;
    const first = table.tBodies[0].rows[0].cells[0];
    const t = {
      id: (table.closest("section") || {}).getAttribute ? (table.closest("section") ? table.closest("section").getAttribute("aria-labelledby") : "") : "",
      caption: table.caption ? table.caption.textContent.trim().slice(0, 30) : "",
      grid: table.classList.contains("grid"),
      headHeight: head.getBoundingClientRect().height,
      bodyHeights: body,
      headers: heads.map(c => ({text: c.textContent.replace(/[⇅↑↓\s]/g, ""), lines: lines(c), width: c.getBoundingClientRect().width})),
      rowHeaders: [...table.tBodies[0].rows].map(r => ({text: r.cells[0].textContent.trim(), lines: lines(r.cells[0])})),
      lastText: last.textContent.replace(/[⇅↑↓\s]/g, ""),
      lastRight: last.getBoundingClientRect().right,
      tableRight: table.getBoundingClientRect().right,
      box: box ? {
        overflowX: getComputedStyle(box).overflowX,
        scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
        right: box.getBoundingClientRect().right, left: box.getBoundingClientRect().left,
        role: box.getAttribute("role"), tabindex: box.getAttribute("tabindex"), label: box.getAttribute("aria-label") || box.getAttribute("aria-labelledby"),
      } : null,
      hint: hint ? {display: getComputedStyle(hint).display, height: hint.getBoundingClientRect().height, text: hint.textContent.trim()} : null,
      firstPosition: getComputedStyle(first).position,
    };
    out.tables.push(t);
  }
  return out;
}
"""

# After scrolling each scroll box to its end: is the last header inside the box, and does the
# first column still stand at the box's left edge?
SCROLLED = r"""
() => [...document.querySelectorAll("main .table-scroll")].map(box => {
  box.scrollLeft = box.scrollWidth;
  const table = box.querySelector("table");
  const heads = table.tHead.rows[0].cells;
  const last = heads[heads.length - 1].getBoundingClientRect();
  const first = table.tBodies[0].rows[0].cells[0].getBoundingClientRect();
  const b = box.getBoundingClientRect();
  const out = {lastLeft: last.left, lastRight: last.right, firstLeft: first.left, boxLeft: b.left, boxRight: b.right};
  box.scrollLeft = 0;
  return out;
})
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def demo_server(demo_build):
    """The shared demo build (conftest.demo_build, read only) served over HTTP."""
    out = demo_build
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _widest_unit(out: Path) -> str:
    """The per-unit page with the most grid rows (the most branches): the hardest to lay out."""
    pages = sorted((out / "compare" / "2026").glob("*/index.html"))
    assert pages, "示例站点没有 2026 年的单位对标页"
    best = max(pages, key=lambda p: (p.read_text("utf-8").count('<th scope="row" class="owner">'), p.parent.name))
    return best.relative_to(out).as_posix()


def check_layout(m: dict, width: int, where: str) -> list[str]:
    """Everything wrong with one measured page (empty when it is laid out well)."""
    bad: list[str] = []
    if m["scrollWidth"] > m["innerWidth"]:
        bad.append(f"{where}: 页面可横向滚动（scrollWidth {m['scrollWidth']} > {m['innerWidth']}）")
    for t in m["tables"]:
        name = f"{where} 表格“{t['caption'] or t['id']}”"
        body = sorted(t["bodyHeights"])
        typical = body[len(body) // 2]
        # a header row of at most two body rows (or three lines of text when rows are one line)
        if t["headHeight"] > max(2 * typical, 3 * 24):
            bad.append(f"{name}: 表头行高 {t['headHeight']:.0f}px，正文行 {typical:.0f}px")
        if max(body) > 4 * 24:
            bad.append(f"{name}: 正文行高达 {max(body):.0f}px")
        for h in t["headers"] + t["rowHeaders"]:
            chars = len(h["text"].replace(" ", ""))
            if chars >= 2 and len(h["lines"]) > 1 and max(h["lines"]) < 2:
                bad.append(f"{name}: “{h['text']}”被挤成每行一个字（各行字数 {h['lines']}）")
            if len(h["lines"]) > 3:
                bad.append(f"{name}: “{h['text']}”占 {len(h['lines'])} 行")
        box = t["box"]
        overflows = box is not None and box["scrollWidth"] > box["clientWidth"] + 1
        if box is None:
            if t["tableRight"] > m["innerWidth"]:
                bad.append(f"{name}: 表格超出屏幕且不在滚动框内")
            continue
        if not overflows:
            # everything visible: the last column ends inside the box and the screen
            if t["lastRight"] > min(box["right"], m["innerWidth"]) + 1:
                bad.append(f"{name}: 最后一列“{t['lastText']}”在框外（{t['lastRight']:.0f} > {box['right']:.0f}）")
            continue
        # a scroll box, marked as such: scrollable, focusable and named, a visible hint, a sticky first column
        if box["overflowX"] not in ("auto", "scroll"):
            bad.append(f"{name}: 内容超出但框不能滚动（overflow-x: {box['overflowX']}）")
        if box["role"] != "region" or box["tabindex"] != "0" or not box["label"]:
            bad.append(f"{name}: 滚动框没有标记为可聚焦的区域（role={box['role']} tabindex={box['tabindex']}）")
        if not t["hint"] or t["hint"]["display"] == "none" or t["hint"]["height"] < 8:
            bad.append(f"{name}: 可横向滚动但没有可见的提示")
        if t["firstPosition"] != "sticky":
            bad.append(f"{name}: 可横向滚动但第一列不固定（position: {t['firstPosition']}）")
    return bad


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desktop-1280", "phone-390"])
def test_compare_pages_fit_the_screen(demo_server, browser, width: int, height: int) -> None:
    out, base = demo_server
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        unit = _widest_unit(out)
        problems: list[str] = []
        for rel in ("compare/index.html", unit):
            response = page.goto(f"{base}/{urllib.parse.quote(rel)}", wait_until="load")
            assert response is not None and response.status == 200, rel
            m = page.evaluate(MEASURE)
            grids = [t for t in m["tables"] if t["grid"]]
            if rel == unit:
                assert grids, "单位对标页没有按周期的表格"
                months = [t for t in grids if any(h["text"] == "12月" for h in t["headers"])]
                assert months and all(t["lastText"] == "已公开/应公开" for t in grids)
                if width >= 1280:
                    # the whole grid in view on a desktop: no scrolling needed at all
                    for t in grids:
                        if t["box"]["scrollWidth"] > t["box"]["clientWidth"] + 1 or t["tableRight"] > t["box"]["right"] + 1:
                            problems.append(f"{rel} @{width}: 表格“{t['id']}”在 1280px 下仍需横向滚动")
                        if t["hint"]["display"] != "none":
                            problems.append(f"{rel} @{width}: 表格放得下却显示了滚动提示")
            for t in m["tables"]:
                print(f"{rel} @{width}: {t['caption'] or t['id']}: 表头 {t['headHeight']:.0f}px / 正文 {sorted(t['bodyHeights'])[len(t['bodyHeights']) // 2]:.0f}px,"
                      f" 框 {t['box']['clientWidth'] if t['box'] else '-'} / 内容 {t['box']['scrollWidth'] if t['box'] else '-'}")
            problems += check_layout(m, width, f"{rel} @{width}")
            # inside each scroll box, the last column can be reached and the first column stays put
            for i, s in enumerate(page.evaluate(SCROLLED)):
                if s["lastRight"] > s["boxRight"] + 1 or s["lastLeft"] < s["boxLeft"]:
                    problems.append(f"{rel} @{width}: 第 {i + 1} 个滚动框滚到最右仍看不到最后一列")
                if abs(s["firstLeft"] - s["boxLeft"]) > 1:
                    problems.append(f"{rel} @{width}: 第 {i + 1} 个滚动框滚动后第一列没有停在左边（{s['firstLeft']:.0f} ≠ {s['boxLeft']:.0f}）")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_phone_layout_without_script(demo_server, browser) -> None:
    """WeChat and other readers may run no script: the hints then come from the media queries."""
    out, base = demo_server
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        problems: list[str] = []
        for rel in ("compare/index.html", _widest_unit(out)):
            page.goto(f"{base}/{urllib.parse.quote(rel)}", wait_until="load")
            m = page.evaluate(MEASURE)
            # really without script: site.js neither made sort buttons nor measured a hint
            assert m["tables"] and page.evaluate("document.querySelectorAll('button.sort, .scroll-hint.measured').length") == 0
            problems += check_layout(m, 390, f"{rel} @390（无脚本）")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_layout_check_catches_the_old_faults() -> None:
    """The checker really fails: the measurements of the old layout (issue 17) are reported."""
    head = {"text": "时滞中位数", "lines": [1, 1, 1, 1, 1], "width": 14}
    old = {
        "scrollWidth": 520,
        "innerWidth": 390,
        "tables": [
            {"caption": "旧", "id": "", "grid": True, "headHeight": 194, "bodyHeights": [90, 90], "headers": [head], "rowHeaders": [],
             "lastText": "已公开/应公开", "lastRight": 1250, "tableRight": 1250,
             "box": {"overflowX": "visible", "scrollWidth": 1148, "clientWidth": 1068, "right": 1174, "left": 106, "role": None, "tabindex": None, "label": None},
             "hint": None, "firstPosition": "static"},
        ],
    }
    bad = "\n".join(check_layout(old, 390, "旧"))
    for words in ("页面可横向滚动", "表头行高 194px", "每行一个字", "占 5 行", "框不能滚动", "没有标记", "没有可见的提示", "第一列不固定"):
        assert words in bad, (words, bad)
