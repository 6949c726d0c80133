"""The comparison index (对标): every number of data/compare.json, from real builds
of sites inside real temporary git repositories whose commits carry chosen dates.

Expected values are worked out by hand in the comments next to them, from the
definitions in issue 3; none is read back from the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import REPO, commit_all, git, git_init, post_text, run_cli, write_site

from generator.build.builder import Builder, BuildOptions
from generator.plan.metrics import lag_warnings, median, p90

# Six meetings, the whole list ([meetings_config] replace = true): monthly / quarterly / yearly at branch level, monthly at unit level,
# and one without a cadence (never a slot, still counted in by_meeting).
MEETINGS = textwrap.dedent(
    """\
    [[meetings]]
    name = "支部委员会"
    key = "committee"
    level = "branch"
    every = "month"
    [[meetings]]
    name = "党小组会"
    key = "group"
    level = "branch"
    every = "month"
    [[meetings]]
    name = "支部党员大会"
    key = "member-meeting"
    level = "branch"
    every = "quarter"
    [[meetings]]
    name = "组织生活会"
    key = "life-meeting"
    level = "branch"
    every = "year"
    [[meetings]]
    name = "党委会"
    key = "unit-committee"
    level = "unit"
    every = "month"
    [[meetings]]
    name = "中心组学习"
    key = "study-group"
    level = "unit"
    [meetings_config]
    replace = true
    """
)

JX_UNIT = textwrap.dedent(
    """\
    name = "机械工程学院党委"
    kind = "教学单位"
    order = 10
    [[branches]]
    id = "b1"
    name = "第一教工党支部"
    kind = "教职工"
    [[branches]]
    id = "b2"
    name = "学生党支部"
    kind = "学生"
    groups = false
    [[branches]]
    id = "b3"
    name = "第二教工党支部"
    kind = "教职工"
    exempt = ["支部党员大会"]
    """
)

WY_UNIT = textwrap.dedent(
    """\
    name = "外国语学院党委"
    kind = "教学单位"
    order = 20
    [[branches]]
    id = "w1"
    name = "外语教工党支部"
    kind = "教职工"
    """
)

ZERO_SECTIONS = {"通知公告": 0, "党建动态": 0, "支部生活": 0, "特色阵地": 0}
ZERO_MEETINGS = {"支部委员会": 0, "党小组会": 0, "支部党员大会": 0, "组织生活会": 0, "党委会": 0, "中心组学习": 0}
ZERO_CATEGORIES = {c: 0 for c in ("理论学习", "推进工作", "组织生活", "队伍建设", "特色阵地", "服务群众", "作风廉政", "计划总结", "通知公示")}


def counts(zero: dict[str, int], **given: int) -> dict[str, int]:
    out = dict(zero)
    for k, v in given.items():
        assert k in out, k
        out[k] = v
    return out


def missed(*items: tuple[str | None, str, str]) -> list[dict]:
    return [{"branch": b, "meeting": m, "period": p} for b, m, p in items]


def site_config(extra: str = "") -> str:
    return MEETINGS + extra


def commit_files(site: Path, files: dict[str, str], date: str, message: str = "更新") -> None:
    write_site(site, files, unit=False)
    commit_all(site, message, date)


def build(site: Path, out: Path, as_of: str, drafts: bool = False):
    result = Builder(BuildOptions(site, out, drafts=drafts, as_of=dt.date.fromisoformat(as_of))).build()
    assert result.ok, [p.format() for p in result.problems]
    data = json.loads((out / "data" / "compare.json").read_text(encoding="utf-8"))
    return result, data


class Cells(HTMLParser):
    """Rows of ``<tr data-unit>``: each a list of (class, data-sort, text) for th/td."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[tuple[str, list[tuple[str, str | None, str]]]]] = []
        self._row: tuple[str, list] | None = None
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and "data-unit" in a:
            self._row = (a["data-unit"], [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [a.get("class") or "", a.get("data-sort"), ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[1].append((self._cell[0], self._cell[1], " ".join(self._cell[2].split())))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data


def page_rows(html: str) -> list[list[tuple[str, list]]]:
    parser = Cells()
    parser.feed(html)
    return [t for t in parser.tables if t]


def cell(row: list, cls: str, n: int = 0) -> tuple[str, str | None, str]:
    hits = [c for c in row if cls in c[0].split()]
    return hits[n]


def assert_csp_clean(html: str) -> None:
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"


# ---------------------------------------------------------------------------
# cadence: monthly, quarterly, yearly; exemptions and groups = false; unit level;
# two meetings in one post; drafts; future posts; boundaries; timezone of post dates


def cadence_site(root: Path) -> Path:
    site = write_site(
        root,
        {
            "content/jx/_unit.toml": JX_UNIT,
            "content/wy/_unit.toml": WY_UNIT,
            # first day of January and of Q1
            "content/jx/2026/p1.md": post_text("一月支委会", "2026-01-01", meeting="支部委员会", branch="b1", category="组织生活"),
            # last day of January; one record, two meetings
            "content/jx/2026/p2.md": post_text("一月支委会暨党小组会", "2026-01-31", meeting=["支部委员会", "党小组会"], branch="b3", category="组织生活"),
            # last day of March and of Q1
            "content/jx/2026/p3.md": post_text("一季度党员大会", "2026-03-31", meeting="支部党员大会", branch="b1", category="理论学习"),
            "content/jx/2026/p4.md": post_text("二月支委会", "2026-02-28", meeting="支部委员会", branch="b1"),
            # April is not over on 2026-04-15: pending, shown as met, not counted
            "content/jx/2026/p5.md": post_text("四月支委会", "2026-04-01", meeting="支部委员会", branch="b1", category="组织生活"),
            # after the as-of date: not counted
            "content/jx/2026/p6.md": post_text("未来的支委会", "2026-04-16", meeting="支部委员会", branch="b2", category="组织生活"),
            # a draft: never counted, even when the site is built with --drafts
            "content/jx/2026/p7.md": post_text("草稿支委会", "2026-03-10", meeting="支部委员会", branch="b2", category="组织生活", draft="true"),
            "content/jx/2026/p8.md": post_text("二月党委会", "2026-02-10", section="党建动态", meeting="党委会", category="推进工作"),
            "content/jx/2026/p9.md": post_text("通知", "2026-03-05", section="通知公告", category="通知公示"),
            # 23:00 on New Year's Eve in Shanghai: 2025
            "content/jx/2025/p10.md": post_text("十二月支委会", "2025-12-31 23:00", meeting="支部委员会", branch="b1", category="组织生活"),
            # 16:30 UTC on 28 February is 00:30 on 1 March in Shanghai: a March meeting
            "content/jx/2026/p11.md": post_text("三月支委会", "2026-02-28T16:30:00Z", meeting="支部委员会", branch="b2", category="组织生活"),
        },
        config=site_config(),
        unit=False,
    )
    git_init(site)
    commit_all(site, "导入", "2026-04-15T10:00:00+08:00")
    return site


def test_cadence_counts_and_every_number(tmp_path: Path) -> None:
    site = cadence_site(tmp_path / "site")
    _result, data = build(site, tmp_path / "out", "2026-04-15")
    assert data["as_of"] == "2026-04-15"
    assert list(data["years"]) == ["2025", "2026"]  # earliest counted post's year .. as-of year

    y26 = data["years"]["2026"]
    assert list(y26["units"]) == ["jx", "wy"]  # default order: coverage first
    jx = y26["units"]["jx"]
    # counted in 2026: p1 p2 p3 p4 p5 p8 p9 p11 (p6 future, p7 draft, p10 is 2025)
    assert jx["name"] == "机械工程学院党委"
    assert jx["posts"] == 8
    assert jx["by_section"] == counts(ZERO_SECTIONS, 支部生活=6, 党建动态=1, 通知公告=1)
    # p2 counts once in posts and once under each of its two meetings
    assert jx["by_meeting"] == counts(ZERO_MEETINGS, 支部委员会=5, 党小组会=1, 支部党员大会=1, 党委会=1)
    assert jx["by_category"] == counts(ZERO_CATEGORIES, 组织生活=4, 理论学习=1, 推进工作=1, 通知公示=1)
    # due on 2026-04-15: Jan..Mar and Q1.
    #   支部委员会 b1 b2 b3 × 3 = 9, met b1 Jan (p1), b1 Feb (p4), b2 Mar (p11), b3 Jan (p2) = 4
    #   党小组会  b1 b3 × 3 = 6 (b2 has no 党小组), met b3 Jan (p2) = 1
    #   支部党员大会 b1 b2 × Q1 = 2 (b3 exempt), met b1 (p3 on 31 March) = 1
    #   组织生活会: the year is not over = 0;  党委会: Jan..Mar = 3, met Feb (p8) = 1
    assert jx["cadence"] == {"due": 20, "met": 7, "rate": 7 / 20}
    # one commit on 2026-04-15: lags of p5 14, p3 15, p11 45, p4 46, p8 64, p2 74, p1 104
    assert jx["lag_days"] == {"count": 7, "median": 46.0, "p90": 104}
    assert jx["last_post"] == "2026-04-01"
    assert jx["missed"] == missed(
        (None, "党委会", "2026-01"),
        (None, "党委会", "2026-03"),
        ("b1", "党小组会", "2026-01"),
        ("b1", "党小组会", "2026-02"),
        ("b1", "支部委员会", "2026-03"),
        ("b1", "党小组会", "2026-03"),
        ("b2", "支部委员会", "2026-01"),
        ("b2", "支部委员会", "2026-02"),
        ("b2", "支部党员大会", "2026-Q1"),
        ("b3", "支部委员会", "2026-02"),
        ("b3", "党小组会", "2026-02"),
        ("b3", "支部委员会", "2026-03"),
        ("b3", "党小组会", "2026-03"),
    )
    assert jx["band"] == "red"
    assert jx["by_branch"] == {"b1": 4, "b2": 1, "b3": 1}
    assert jx["unit_level_posts"] == 2 and jx["uncategorized"] == 1
    assert jx["monthly"] == [2, 2, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert jx["freshness"] == {
        "通知公告": {"last": "2026-03-05", "days": 41, "stale": True},
        "党建动态": {"last": "2026-02-10", "days": 64, "stale": True},
        "支部生活": {"last": "2026-04-01", "days": 14, "stale": False},
        "特色阵地": {"last": None, "days": None, "stale": True},
    }

    wy = y26["units"]["wy"]  # no posts at all: still a row, every slot missed
    assert wy["name"] == "外国语学院党委"
    assert wy["posts"] == 0
    assert wy["by_section"] == ZERO_SECTIONS
    assert wy["by_meeting"] == ZERO_MEETINGS
    assert wy["by_category"] == ZERO_CATEGORIES
    assert wy["cadence"] == {"due": 10, "met": 0, "rate": 0.0}  # 3 + 3 + 1 + 3
    assert wy["lag_days"] == {"count": 0, "median": None, "p90": None}
    assert wy["last_post"] is None
    assert wy["missed"] == missed(
        (None, "党委会", "2026-01"),
        (None, "党委会", "2026-02"),
        (None, "党委会", "2026-03"),
        ("w1", "支部委员会", "2026-01"),
        ("w1", "党小组会", "2026-01"),
        ("w1", "支部委员会", "2026-02"),
        ("w1", "党小组会", "2026-02"),
        ("w1", "支部委员会", "2026-03"),
        ("w1", "党小组会", "2026-03"),
        ("w1", "支部党员大会", "2026-Q1"),
    )

    y25 = data["years"]["2025"]
    jx25 = y25["units"]["jx"]
    assert list(y25["units"]) == ["jx", "wy"]
    assert jx25["posts"] == 1
    assert jx25["by_section"] == counts(ZERO_SECTIONS, 支部生活=1)
    assert jx25["by_meeting"] == counts(ZERO_MEETINGS, 支部委员会=1)
    assert jx25["by_category"] == counts(ZERO_CATEGORIES, 组织生活=1)
    # whole year due: 委员会 3×12 + 小组会 2×12 + 党员大会 2×4 + 组织生活会 3×1 + 党委会 12 = 83
    assert jx25["cadence"] == {"due": 83, "met": 1, "rate": 1 / 83}
    assert jx25["lag_days"] == {"count": 1, "median": 105.0, "p90": 105}  # 2025-12-31 → 2026-04-15
    assert jx25["last_post"] == "2025-12-31"
    assert len(jx25["missed"]) == 82
    assert {"branch": "b1", "meeting": "支部委员会", "period": "2025-12"} not in jx25["missed"]
    assert jx25["missed"][:3] == missed((None, "党委会", "2025-01"), (None, "党委会", "2025-02"), (None, "党委会", "2025-03"))
    assert jx25["missed"][-3:] == missed(("b3", "支部委员会", "2025-12"), ("b3", "党小组会", "2025-12"), ("b3", "组织生活会", "2025"))
    wy25 = y25["units"]["wy"]
    assert wy25["posts"] == 0 and wy25["last_post"] is None
    assert wy25["cadence"] == {"due": 12 + 12 + 4 + 1 + 12, "met": 0, "rate": 0.0}
    assert wy25["lag_days"] == {"count": 0, "median": None, "p90": None}

    # --drafts publishes p7 but the numbers must not change
    _, with_drafts = build(site, tmp_path / "out-drafts", "2026-04-15", drafts=True)
    assert with_drafts == data


def test_cadence_pages_csv_and_stats_agree(tmp_path: Path) -> None:
    site = cadence_site(tmp_path / "site")
    out = tmp_path / "out"
    _result, data = build(site, out, "2026-04-15")
    y26 = data["years"]["2026"]

    index = (out / "compare" / "index.html").read_text(encoding="utf-8")
    assert index.count("<h1") == 1
    assert_csp_clean(index)
    year_page = (out / "compare" / "2026" / "index.html").read_text(encoding="utf-8")
    main, volume = page_rows(year_page)
    assert [r[0] for r in main] == ["jx", "wy"] == [r[0] for r in page_rows(index)[0]]
    jx = dict(main)["jx"]
    assert cell(jx, "c-slots")[2] == "7 / 20"
    assert cell(jx, "c-rate")[1:] == ("0.350000", "35.0%")
    assert cell(jx, "c-band")[2] == "落后"
    assert cell(jx, "c-median")[2] == "46 天" and cell(jx, "c-p90")[2] == "104 天" and cell(jx, "c-count")[2] == "7"
    assert [cell(jx, "c-fresh", i)[2] for i in range(4)] == ["41 天（久未更新）", "64 天（久未更新）", "14 天", "从未发布（久未更新）"]
    assert cell(jx, "c-last")[2] == "2026-04-01"
    jxv = dict(volume)["jx"]
    assert cell(jxv, "c-posts")[2] == "8" and cell(jxv, "c-per-branch")[2] == "2.7"
    assert [cell(jxv, "c-section", i)[2] for i in range(4)] == ["1", "1", "6", "0"]
    # links are relative and resolve inside the output
    for href in re.findall(r'href="([^"#]+)"', year_page):
        assert not href.startswith(("/", "http")), href
        assert (out / "compare" / "2026" / unquote(href)).resolve().exists(), href

    detail = (out / "compare" / "2026" / "jx" / "index.html").read_text(encoding="utf-8")
    assert_csp_clean(detail)
    assert detail.count("<h1") == 1
    assert "第一教工党支部 2026年3月 支部委员会 未公开" in detail
    assert "学生党支部 2026年第一季度 支部党员大会 未公开" in detail
    assert "机械工程学院党委 2026年1月 党委会 未公开" in detail
    assert detail.count("未公开</li>") == len(y26["units"]["jx"]["missed"]) == 13
    # the 支部委员会 grid, row b1: Jan met, Feb met, Mar missed, Apr pending-but-held shows met, May pending
    grid = detail.split('id="h-g-committee"')[1].split("</table>")[0]
    b1 = grid.split("第一教工党支部")[1].split("</tr>")[0]
    states = re.findall(r'class="slot slot-(\w+)"', b1)
    assert states == ["met", "met", "missed", "met"] + ["pending"] * 8
    # the grid shows symbols; each cell says in (visually hidden) words what it means
    assert '✗</span><span class="sr-only">2026年3月支部委员会未公开</span>' in b1
    assert '…</span><span class="sr-only">2026年5月支部委员会未到期</span>' in b1
    # a met cell links to its record, also while the period is still open
    assert '<a href="../../../jx/p5/index.html"><span aria-hidden="true">✓</span><span class="sr-only">2026年4月支部委员会已公开，打开记录（周期未结束，暂不计入）</span></a>' in b1
    grid = detail.split('id="h-g-group"')[1].split("</table>")[0]
    b2 = grid.split("学生党支部")[1].split("</tr>")[0]
    assert re.findall(r'class="slot slot-(\w+)"', b2) == ["exempt"] * 12 and '—</span><span class="sr-only">2026年1月党小组会免于召开</span>' in b2
    assert "<svg class=\"spark\"" in detail and "1月2篇，2月2篇，3月3篇，4月1篇" in detail
    # the unit page links to its detail page
    assert 'href="../compare/2026/jx/index.html"' in (out / "jx" / "index.html").read_text(encoding="utf-8")

    raw = (out / "compare" / "2026.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    head = rows[0]
    by_slug = {r[1]: dict(zip(head, r, strict=False)) for r in rows[1:]}
    assert [r[1] for r in rows[1:]] == ["jx", "wy"]
    assert by_slug["jx"]["应公开"] == "20" and by_slug["jx"]["已公开"] == "7" and by_slug["jx"]["覆盖率(%)"] == "35.0"
    assert by_slug["jx"]["时滞中位数(天)"] == "46" and by_slug["jx"]["时滞P90(天)"] == "104" and by_slug["jx"]["时滞样本数"] == "7"
    assert by_slug["jx"]["会议:支部委员会"] == "5" and by_slug["jx"]["分类:组织生活"] == "4" and by_slug["jx"]["未公开条数"] == "13"
    assert by_slug["wy"]["覆盖率(%)"] == "0.0" and by_slug["wy"]["时滞中位数(天)"] == "" and by_slug["wy"]["最近发布"] == ""

    stats = run_cli("stats", str(site), "--as-of", "2026-04-15", "--format", "json")
    assert stats.returncode == 0, stats.stderr
    sj = json.loads(stats.stdout)
    assert sj["as_of"] == data["as_of"] and sj["years"] == {"2026": y26}
    stats_csv = run_cli("stats", str(site), "--as-of", "2026-04-15", "--format", "csv")
    assert stats_csv.returncode == 0 and stats_csv.stdout.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(stats_csv.stdout.removeprefix("\ufeff")))) == rows
    stats_25 = run_cli("stats", str(site), "--as-of", "2026-04-15", "--year", "2025", "--format", "json")
    assert json.loads(stats_25.stdout)["years"] == {"2025": data["years"]["2025"]}
    table = run_cli("stats", str(site), "--as-of", "2026-04-15")
    assert table.returncode == 0
    line = next(x for x in table.stdout.splitlines() if x.startswith("机械工程学院党委"))
    assert line.split()[1:7] == ["7/20", "35.0", "落后", "46", "104", "7"]
    assert run_cli("stats", str(site), "--as-of", "2026-04-15", "--year", "2031").returncode == 2

    # deterministic: a second clean build gives the same bytes
    again = tmp_path / "again"
    build(site, again, "2026-04-15")
    for rel in ("data/compare.json", "compare/2026.csv", "compare/index.html", "compare/2026/jx/index.html", "compare/2025/wy/index.html"):
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


@pytest.mark.parametrize(
    ("as_of", "cadence", "missed_list"),
    [
        # 31 March not over yet: only Jan and Feb are due, the 31 March posts are in the future
        ("2026-03-30", {"due": 2, "met": 0, "rate": 0.0}, missed(("b1", "支部委员会", "2026-01"), ("b1", "支部委员会", "2026-02"))),
        # the last day of a period counts as the period being over (and as inside it)
        (
            "2026-03-31",
            {"due": 4, "met": 2, "rate": 0.5},
            missed(("b1", "支部委员会", "2026-01"), ("b1", "支部委员会", "2026-02")),
        ),
        # 31 December: the year is over, the yearly 组织生活会 held that day is met
        (
            "2026-12-31",
            {"due": 17, "met": 3, "rate": 3 / 17},
            missed(
                ("b1", "支部委员会", "2026-01"),
                ("b1", "支部委员会", "2026-02"),
                *[("b1", "支部委员会", f"2026-{m:02d}") for m in range(4, 7)],
                ("b1", "支部党员大会", "2026-Q2"),
                *[("b1", "支部委员会", f"2026-{m:02d}") for m in range(7, 10)],
                ("b1", "支部党员大会", "2026-Q3"),
                *[("b1", "支部委员会", f"2026-{m:02d}") for m in range(10, 13)],
                ("b1", "支部党员大会", "2026-Q4"),
            ),
        ),
    ],
)
def test_period_boundaries(tmp_path: Path, as_of: str, cadence: dict, missed_list: list) -> None:
    config = textwrap.dedent(
        """\
        [[meetings]]
        name = "支部委员会"
        key = "committee"
        every = "month"
        [[meetings]]
        name = "支部党员大会"
        key = "member-meeting"
        every = "quarter"
        [[meetings]]
        name = "组织生活会"
        key = "life-meeting"
        every = "year"
        [meetings_config]
        replace = true
        """
    )
    unit = 'name = "单位"\nkind = "教学单位"\norder = 1\n[[branches]]\nid = "b1"\nname = "一支部"\nkind = "教职工"\n'
    site = write_site(
        tmp_path / "site",
        {
            "content/u/_unit.toml": unit,
            "content/u/2026/m.md": post_text("三月支委会", "2026-03-31", meeting="支部委员会", branch="b1"),
            "content/u/2026/q.md": post_text("一季度党员大会", "2026-03-31 18:00", meeting="支部党员大会", branch="b1"),
            "content/u/2026/y.md": post_text("组织生活会", "2026-12-31", meeting="组织生活会", branch="b1"),
        },
        config=config,
        unit=False,
    )
    git_init(site)
    commit_all(site, "导入", "2027-01-05T09:00:00+08:00")  # after every post: lags 280, 280, 5
    _, data = build(site, tmp_path / "out", as_of)
    u = data["years"]["2026"]["units"]["u"]
    assert u["cadence"] == cadence
    assert u["missed"] == missed_list
    counted = {"2026-03-30": 0, "2026-03-31": 2, "2026-12-31": 3}[as_of]
    assert u["posts"] == counted
    assert u["by_meeting"] == {"支部委员会": min(counted, 1), "支部党员大会": min(counted, 2) - min(counted, 1), "组织生活会": max(counted - 2, 0)}
    assert u["last_post"] == {"2026-03-30": None, "2026-03-31": "2026-03-31", "2026-12-31": "2026-12-31"}[as_of]
    assert u["lag_days"] == {
        "2026-03-30": {"count": 0, "median": None, "p90": None},
        "2026-03-31": {"count": 2, "median": 280.0, "p90": 280},
        "2026-12-31": {"count": 3, "median": 280.0, "p90": 280},
    }[as_of]
    assert list(data["years"]) == ["2026"]


# ---------------------------------------------------------------------------
# disclosure lag from git history


LAG_UNIT = 'name = "单位"\nkind = "教学单位"\norder = 1\n[[branches]]\nid = "b1"\nname = "一支部"\nkind = "教职工"\n'
LAG_CONFIG = textwrap.dedent(
    """\
    [[meetings]]
    name = "支部委员会"
    key = "committee"
    every = "month"
    [meetings_config]
    replace = true
    [compare]
    lag_since = 2026-02-01
    """
)


def lag_site(root: Path) -> Path:
    site = root
    site.mkdir(parents=True)
    git_init(site)
    (site / "site.toml").write_text(LAG_CONFIG, encoding="utf-8")
    c = lambda title, date, **kw: post_text(title, date, meeting="支部委员会", branch="b1", **kw)  # noqa: E731
    # migrated in bulk before lag_since: not measured (would be 5 days)
    commit_files(site, {"content/u/_unit.toml": LAG_UNIT, "content/u/2026/m.md": c("一月", "2026-01-10")}, "2026-01-15T10:00:00+08:00")
    # committed 00:10 on 1 February in Shanghai (31 January in UTC): the lag_since day itself is measured, 2 days
    commit_files(site, {"content/u/2026/s.md": c("一月末", "2026-01-30")}, "2026-02-01T00:10:00+08:00")
    # 9 days; r-old.md: 4 days, later renamed; a notice without a meeting is never measured
    commit_files(
        site,
        {
            "content/u/2026/a.md": c("二月下旬", "2026-02-20"),
            "content/u/2026/r-old.md": c("二月末", "2026-02-25"),
            "content/u/2026/n0.md": post_text("通知", "2026-02-26", section="通知公告"),
        },
        "2026-03-01T10:00:00+08:00",
    )
    # 23:30 UTC on 10 March is 07:30 on 11 March in Shanghai: 1 day, not 0.
    # neg.md is dated 20 March but committed on 10/11 March: negative, left out, warned.
    commit_files(site, {"content/u/2026/t.md": c("三月十日", "2026-03-10"), "content/u/2026/neg.md": c("三月二十日", "2026-03-20")}, "2026-03-10T23:30:00+00:00")
    # rename (and edit a.md): first-add times are kept
    git(site, "mv", "content/u/2026/r-old.md", "content/u/2026/r-new.md")
    (site / "content/u/2026/a.md").write_text(c("二月下旬（修订）", "2026-02-20"), encoding="utf-8")
    commit_all(site, "改名", "2026-04-01T10:00:00+08:00")
    # 10 days; a draft and a post after the as-of date are not measured
    commit_files(
        site,
        {
            "content/u/2026/e.md": c("四月", "2026-04-10"),
            "content/u/2026/d.md": c("草稿", "2026-04-12", draft="true"),
            "content/u/2026/f.md": c("未来", "2026-05-20"),
        },
        "2026-04-20T10:00:00+08:00",
    )
    # written but not committed yet: not measured
    write_site(site, {"content/u/2026/w.md": c("未提交", "2026-04-25")}, unit=False)
    return site


def test_lag_from_git_history(tmp_path: Path) -> None:
    site = lag_site(tmp_path / "site")
    result, data = build(site, tmp_path / "out", "2026-04-30")
    u = data["years"]["2026"]["units"]["u"]
    # measured: t 1, s 2, r-new 4, a 9, e 10 → median 4, p90 = ceil(4.5) = 5th = 10
    assert u["lag_days"] == {"count": 5, "median": 4.0, "p90": 10}
    assert u["lag_excluded"] == {"negative": 1, "before_lag_since": 1, "uncommitted": 1}
    # counted: m s a r-new n0 t neg e w (d draft, f future)
    assert u["posts"] == 9
    assert u["by_meeting"] == {"支部委员会": 8}
    assert u["by_section"] == counts(ZERO_SECTIONS, 支部生活=8, 通知公告=1)
    assert u["by_category"] == ZERO_CATEGORIES
    # Jan m s, Feb a r, Mar t neg, Apr e w (30 April is the as-of date: April is over)
    assert u["cadence"] == {"due": 4, "met": 4, "rate": 1.0}
    assert u["missed"] == []
    assert u["last_post"] == "2026-04-25"
    assert u["band"] == "green"
    assert data["history"] == {"available": True, "reason": ""}
    assert data["lag_since"] == "2026-02-01"

    warnings = lag_warnings(result.model)
    assert [(w.path, w.severity.value) for w in warnings] == [("content/u/2026/neg.md", "warning")]
    assert "2026-03-20" in warnings[0].message and "2026-03-11" in warnings[0].message and "早 9 天" in warnings[0].message
    stats = run_cli("stats", str(site), "--as-of", "2026-04-30", "--format", "json")
    assert stats.returncode == 0
    assert "content/u/2026/neg.md:1: 警告：公开时滞为负" in stats.stderr
    assert json.loads(stats.stdout)["years"]["2026"] == data["years"]["2026"]

    detail = (tmp_path / "out" / "compare" / "2026" / "u" / "index.html").read_text(encoding="utf-8")
    assert "content/u/2026/neg.md" in detail and "中位数 4 天，P90 10 天（5 条记录）" in detail
    assert "1 条记录在 2026-02-01 之前首次提交" in detail


def test_lag_without_lag_since_and_after_commit(tmp_path: Path) -> None:
    """Without lag_since the migrated post is measured; committing w.md adds its lag."""
    site = lag_site(tmp_path / "site")
    (site / "site.toml").write_text(LAG_CONFIG.replace("lag_since = 2026-02-01\n", ""), encoding="utf-8")
    commit_all(site, "提交 w", "2026-04-27T08:00:00+08:00")  # w.md: 2 days
    _, data = build(site, tmp_path / "out", "2026-04-30")
    u = data["years"]["2026"]["units"]["u"]
    # t 1, s 2, w 2, r-new 4, m 5, a 9, e 10 → median 4, p90 = ceil(6.3) = 7th = 10
    assert u["lag_days"] == {"count": 7, "median": 4.0, "p90": 10}
    assert u["lag_excluded"] == {"negative": 1, "before_lag_since": 0, "uncommitted": 0}
    assert data["lag_since"] is None


def test_no_git_and_shallow_clone_give_no_lag(tmp_path: Path) -> None:
    site = lag_site(tmp_path / "repo")
    commit_all(site, "提交 w", "2026-04-27T08:00:00+08:00")

    plain = tmp_path / "plain"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(tmp_path / "site.tar"), "HEAD"], cwd=site, check=True)
    plain.mkdir()
    subprocess.run(["tar", "-xf", str(tmp_path / "site.tar")], cwd=plain, check=True)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", site.resolve().as_uri(), str(shallow)], check=True, capture_output=True)
    assert (shallow / ".git" / "shallow").exists()

    _full_result, full = build(site, tmp_path / "out-full", "2026-04-30")
    for where, why in ((plain, "不在 git 仓库"), (shallow, "浅克隆")):
        result, data = build(where, tmp_path / f"out-{where.name}", "2026-04-30")
        u = data["years"]["2026"]["units"]["u"]
        assert u["lag_days"] is None
        assert u["lag_excluded"] is None
        assert data["history"]["available"] is False and why in data["history"]["reason"]
        # everything else is the same as with the full history
        for key in ("name", "posts", "by_section", "by_meeting", "by_category", "cadence", "last_post", "missed"):
            assert u[key] == full["years"]["2026"]["units"]["u"][key], key
        assert u["cadence"] == {"due": 4, "met": 4, "rate": 1.0}
        assert lag_warnings(result.model) == []
        page = (tmp_path / f"out-{where.name}" / "compare" / "2026" / "index.html").read_text(encoding="utf-8")
        assert "公开时滞暂无数据" in page and why in page
        row = dict(page_rows(page)[0])["u"]
        assert cell(row, "c-median")[2] == "未知"
        detail = (tmp_path / f"out-{where.name}" / "compare" / "2026" / "u" / "index.html").read_text(encoding="utf-8")
        assert "未知：" in detail and why in detail
        stats = run_cli("stats", str(where), "--as-of", "2026-04-30")
        assert stats.returncode == 0 and "公开时滞未知" in stats.stdout and why in stats.stdout


def test_site_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    """History paths are relative to the site, not to the repository root."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git_init(repo)
    site = write_site(
        repo / "sites" / "dangjian",
        {"content/u/_unit.toml": LAG_UNIT, "content/u/2026/a.md": post_text("三月支委会", "2026-03-01", meeting="支部委员会", branch="b1")},
        config=LAG_CONFIG.replace("lag_since = 2026-02-01\n", ""),
        unit=False,
    )
    write_site(repo, {"README.md": "站点在 sites/dangjian。"}, unit=False)
    commit_all(repo, "导入", "2026-03-04T09:00:00+08:00")
    _, data = build(site, tmp_path / "out", "2026-03-31")
    u = data["years"]["2026"]["units"]["u"]
    assert u["lag_days"] == {"count": 1, "median": 3.0, "p90": 3}
    assert u["cadence"] == {"due": 3, "met": 1, "rate": 1 / 3}
    assert u["missed"] == missed(("b1", "支部委员会", "2026-01"), ("b1", "支部委员会", "2026-02"))
    assert (u["posts"], u["last_post"]) == (1, "2026-03-01")


def test_stats_refuses_numbers_when_content_has_errors(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"content/u/_unit.toml": LAG_UNIT, "content/u/2026/bad.md": post_text("坏日期", "2026-02-30", meeting="支部委员会", branch="b1")},
        config=LAG_CONFIG,
        unit=False,
    )
    for fmt in ("table", "json"):
        res = run_cli("stats", str(site), "--as-of", "2026-03-31", "--format", fmt)
        assert res.returncode == 1
        assert res.stdout == ""
        assert "content/u/2026/bad.md" in res.stderr and "未输出对标数据" in res.stderr


def test_default_meetings_groups_false_and_exempt(tmp_path: Path) -> None:
    """The built-in cadence (DOMAIN.md) with the conftest unit: groups = false drops 党小组会."""
    site = write_site(
        tmp_path / "site",
        {
            "content/jx/_unit.toml": textwrap.dedent(
                """\
                name = "机械工程学院党委"
                kind = "教学单位"
                order = 10
                [[branches]]
                id = "jx-jg1"
                name = "第一教工党支部"
                kind = "教职工"
                exempt = ["党课"]
                [[branches]]
                id = "jx-xs1"
                name = "本科生党支部"
                kind = "学生"
                groups = false
                """
            ),
            # a 主题党日 that is also a 党课 — jg1 is exempt from 党课, so only one slot is met
            "content/jx/2026/a.md": post_text("主题党日暨党课", "2026-02-14", meeting=["主题党日", "党课"], branch="jx-jg1", category="理论学习"),
            "content/jx/2026/b.md": post_text("党课", "2026-03-02", meeting="党课", branch="jx-xs1", category="理论学习"),
            "content/jx/2026/c.md": post_text("党政联席会", "2026-03-03", section="党建动态", meeting="党政联席会", category="推进工作"),
        },
        unit=False,
    )
    git_init(site)
    commit_all(site, "导入", "2026-03-03T20:00:00+08:00")  # lags 17, 1, 0
    _, data = build(site, tmp_path / "out", "2026-03-31")
    u = data["years"]["2026"]["units"]["jx"]
    # Jan..Mar and Q1 are due.
    #   jg1: 支部党员大会 1 + 支部委员会 3 + 党小组会 3 + 党课 0 (exempt) + 主题党日 3 = 10, met 主题党日 Feb
    #   xs1: 支部党员大会 1 + 支部委员会 3 + 党小组会 0 (groups=false) + 党课 1 + 主题党日 3 = 8, met 党课 Q1
    #   unit: 党委会 3 (党政联席会 and 中心组学习 have no cadence)
    assert u["cadence"] == {"due": 21, "met": 2, "rate": 2 / 21}
    assert u["posts"] == 3
    assert u["by_meeting"] == {"支部党员大会": 0, "支部委员会": 0, "党小组会": 0, "党课": 2, "主题党日": 1, "组织生活会": 0, "党委会": 0, "党政联席会": 1, "中心组学习": 0}
    assert u["by_section"] == counts(ZERO_SECTIONS, 支部生活=2, 党建动态=1)
    assert u["by_category"] == counts(ZERO_CATEGORIES, 理论学习=2, 推进工作=1)
    assert u["lag_days"] == {"count": 3, "median": 1.0, "p90": 17}
    assert u["last_post"] == "2026-03-03"
    assert u["missed"] == missed(
        (None, "党委会", "2026-01"),
        (None, "党委会", "2026-02"),
        (None, "党委会", "2026-03"),
        ("jx-jg1", "支部委员会", "2026-01"),
        ("jx-jg1", "党小组会", "2026-01"),
        ("jx-jg1", "主题党日", "2026-01"),
        ("jx-jg1", "支部委员会", "2026-02"),
        ("jx-jg1", "党小组会", "2026-02"),
        ("jx-jg1", "支部党员大会", "2026-Q1"),
        ("jx-jg1", "支部委员会", "2026-03"),
        ("jx-jg1", "党小组会", "2026-03"),
        ("jx-jg1", "主题党日", "2026-03"),
        ("jx-xs1", "支部委员会", "2026-01"),
        ("jx-xs1", "主题党日", "2026-01"),
        ("jx-xs1", "支部委员会", "2026-02"),
        ("jx-xs1", "主题党日", "2026-02"),
        ("jx-xs1", "支部党员大会", "2026-Q1"),
        ("jx-xs1", "支部委员会", "2026-03"),
        ("jx-xs1", "主题党日", "2026-03"),
    )
    assert len(u["missed"]) == 21 - 2


def test_median_and_p90_definitions() -> None:
    assert median([]) is None and p90([]) is None
    assert median([7]) == 7.0 and p90([7]) == 7
    assert median([3, 1, 2]) == 2.0 and median([4, 1, 3, 2]) == 2.5
    # nearest rank: n = 10 → 9th; n = 11 → ceil(9.9) = 10th; n = 20 → 18th
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 12))) == 10
    assert p90(list(range(1, 21))) == 18


# ---------------------------------------------------------------------------
# the demo site


def test_demo_site_compare_pages_csv_stats_and_data_agree(demo_build: Path) -> None:
    units = sorted(p.parent.name for p in (REPO / "content").glob("*/_unit.toml"))
    assert units, "the demo site has no units"
    out = demo_build  # conftest: the CLI build of the demo (exit 0 asserted there), shared and read only
    data = json.loads((out / "data" / "compare.json").read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-11-27"
    year = data["years"]["2026"]
    assert sorted(year["units"]) == units
    order = list(year["units"])

    page = (out / "compare" / "index.html").read_text(encoding="utf-8")
    main, volume = page_rows(page)
    assert [r[0] for r in main] == order == [r[0] for r in volume]
    raw = (out / "compare" / "2026.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert [r[1] for r in rows[1:]] == order
    csv_by = {r[1]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}
    for slug, row in main:
        d = year["units"][slug]
        c = csv_by[slug]
        cad, lag = d["cadence"], d["lag_days"]
        assert cell(row, "c-slots")[2] == f"{cad['met']} / {cad['due']}" and (c["已公开"], c["应公开"]) == (str(cad["met"]), str(cad["due"]))
        rate = "" if cad["rate"] is None else f"{cad['rate'] * 100:.1f}"
        assert c["覆盖率(%)"] == rate and cell(row, "c-rate")[2] == (f"{rate}%" if rate else "—")
        if lag is None:
            assert cell(row, "c-median")[2] == "未知" and c["时滞样本数"] == ""
        else:
            assert c["时滞样本数"] == cell(row, "c-count")[2] == str(lag["count"])
            if lag["count"]:
                med = f"{lag['median']:g}"
                assert c["时滞中位数(天)"] == med and cell(row, "c-median")[2] == f"{med} 天"
                assert c["时滞P90(天)"] == str(lag["p90"]) and cell(row, "c-p90")[2] == f"{lag['p90']} 天"
        assert c["发布总数"] == cell(dict(volume)[slug], "c-posts")[2] == str(d["posts"])
        assert c["最近发布"] == (d["last_post"] or "")
        assert c["未公开条数"] == str(len(d["missed"]))
        for name, n in d["by_section"].items():
            assert c[f"栏目:{name}"] == str(n)
        for name, n in d["by_meeting"].items():
            assert c[f"会议:{name}"] == str(n)
        for name, n in d["by_category"].items():
            assert c[f"分类:{name}"] == str(n)
        assert sum(d["by_section"].values()) == d["posts"]
        detail = (out / "compare" / "2026" / slug / "index.html").read_text(encoding="utf-8")
        assert d["name"] in detail and detail.count("未公开</li>") == len(d["missed"])
        assert_csp_clean(detail)

    stats = run_cli("stats", str(REPO), "--as-of", "2026-11-27", "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["years"] == {"2026": year}
    stats_csv = run_cli("stats", str(REPO), "--as-of", "2026-11-27", "--format", "csv")
    assert stats_csv.returncode == 0 and stats_csv.stdout.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(stats_csv.stdout.removeprefix("\ufeff")))) == rows
    table = run_cli("stats", str(REPO), "--as-of", "2026-11-27")
    names = [year["units"][s]["name"] for s in order]
    lines = [ln for ln in table.stdout.splitlines() if ln.split(" ")[0] in names]
    assert [ln.split()[0] for ln in lines] == names
    for ln, slug in zip(lines, order, strict=False):
        cad = year["units"][slug]["cadence"]
        assert ln.split()[1] == f"{cad['met']}/{cad['due']}"
