"""Issue 19, "cadence rules that match real branches": ``[compare] start``, a branch's
``since`` / ``until`` and ``exempt_months``, exactly as data/compare.json and the grid report them.

A slot is due when its period ended on or before the as-of date, ends on or after
``start``, shares at least one day with [since, until] (both ends included), and is
not an exempt month (monthly meetings only). Expected values are worked out by hand
in the comments; one small site is built once for the module (no git: cadence reads
only the posts' own dates).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from conftest import post_text, write_site

from generator.build.builder import Builder, BuildOptions
from generator.core.model import Branch
from generator.load.config import SiteConfig
from generator.parse.unit import parse_unit
from generator.plan.metrics import left_out, periods

# -- the rule itself, at every boundary ---------------------------------------------------

MARCH = periods(2026, "month")[2]  # 2026-03-01 .. 2026-03-31
Q1 = periods(2026, "quarter")[0]  # 2026-01-01 .. 2026-03-31
YEAR = periods(2026, "year")[0]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def branch(**kw: object) -> Branch:
    return Branch("b", "支部", "学生", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "every", "owner", "start", "expected"),
    [
        # start: a period ending on start is due, one ending the day before is not
        (MARCH, "month", branch(), day("2026-03-31"), None),
        (MARCH, "month", branch(), day("2026-04-01"), "before_start"),
        (MARCH, "month", None, day("2026-04-01"), "before_start"),  # unit level too
        (Q1, "quarter", branch(), day("2026-03-31"), None),
        # since on a period's last day: the period shares that day, so it is due
        (MARCH, "month", branch(since=day("2026-03-31")), None, None),
        (MARCH, "month", branch(since=day("2026-04-01")), None, "before_since"),
        (YEAR, "year", branch(since=day("2026-12-31")), None, None),
        # until on a period's first day: due; the day before: not
        (MARCH, "month", branch(until=day("2026-03-01")), None, None),
        (MARCH, "month", branch(until=day("2026-02-28")), None, "after_until"),
        (YEAR, "year", branch(until=day("2026-01-01")), None, None),
        # exempt months: monthly meetings only
        (MARCH, "month", branch(exempt_months=(3,)), None, "exempt_month"),
        (MARCH, "month", branch(exempt_months=(1, 2, 7, 8)), None, None),
        (Q1, "quarter", branch(exempt_months=(1, 2, 3)), None, None),
        (YEAR, "year", branch(exempt_months=tuple(range(1, 13))), None, None),
        # several rules: the branch's own interval is named first, then start, then the month
        (MARCH, "month", branch(since=day("2026-05-01"), exempt_months=(3,)), day("2026-06-01"), "before_since"),
        (MARCH, "month", branch(exempt_months=(3,)), day("2026-06-01"), "before_start"),
    ],
)
def test_left_out_at_the_boundaries(period, every, owner, start, expected) -> None:
    assert left_out(period, every, owner, start) == expected


# -- a built site: data/compare.json and the grid -----------------------------------------

AS_OF = "2026-09-30"  # the last day of September and of Q3: both periods are over, so due

CONFIG = textwrap.dedent(
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
    name = "党委会"
    key = "unit-committee"
    level = "unit"
    every = "month"
    [meetings_config]
    replace = true
    [compare]
    start = 2026-03-31
    """
)

UNIT = textwrap.dedent(
    """\
    name = "外国语学院党委"
    kind = "教学单位"
    [[branches]]
    id = "a1"
    name = "本科生党支部"
    kind = "学生"
    exempt_months = [1, 2, 7, 8]
    [[branches]]
    id = "a2"
    name = "研究生党支部"
    kind = "学生"
    since = 2026-05-31
    [[branches]]
    id = "a3"
    name = "退休党支部"
    kind = "离退休"
    until = "2026-07-01"
    [[branches]]
    id = "a4"
    name = "教工党支部"
    exempt = ["支部委员会"]
    exempt_months = [4]
    """
)


def record(title: str, date: str, meeting: str, branch: str | None = None) -> str:
    if branch is None:
        return post_text(title, date, "党建动态", meeting=meeting)
    return post_text(title, date, meeting=meeting, branch=branch)


POSTS = {
    # a1: Q1's 党员大会 dated before start still meets Q1 (due: Q1 ends on start)
    "a1-q1.md": record("一季度党员大会", "2026-01-15", "支部党员大会", "a1"),
    "a1-jan.md": record("一月支委会", "2026-01-20", "支部委员会", "a1"),  # January: before start, not assessed
    "a1-mar.md": record("三月支委会", "2026-03-05", "支部委员会", "a1"),  # March met
    "a1-jul.md": record("七月支委会", "2026-07-10", "支部委员会", "a1"),  # July: exempt month, not assessed
    # a2: founded on 31 May, May's last day: May is due and met; April is before it
    "a2-apr.md": record("四月支委会", "2026-04-10", "支部委员会", "a2"),
    "a2-may.md": record("五月支委会", "2026-05-31", "支部委员会", "a2"),
    # a3: dissolved on 1 July, July's first day: July and Q3 are due and met; August is not assessed
    "a3-jul.md": record("七月支委会和党员大会", "2026-07-01", "[支部委员会, 支部党员大会]", "a3"),
    "a3-aug.md": record("八月支委会", "2026-08-15", "支部委员会", "a3"),
    # the unit's own: February before start (not assessed), March met
    "u-feb.md": record("二月党委会", "2026-02-10", "党委会"),
    "u-mar.md": record("三月党委会", "2026-03-31", "党委会"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("cadence")
    files = {"content/wy/_unit.toml": UNIT, **{f"content/wy/2026/{name}": text for name, text in POSTS.items()}}
    site = write_site(root / "site", files, config=CONFIG, unit=False)
    out = root / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date.fromisoformat(AS_OF))).build()
    assert result.ok, [p.format() for p in result.problems]
    return out, json.loads((out / "data" / "compare.json").read_text("utf-8"))


def test_compare_json_counts_only_the_slots_that_are_due(built) -> None:
    _, data = built
    assert data["start"] == "2026-03-31"
    u = data["years"]["2026"]["units"]["wy"]
    # 支部委员会 (monthly, Jan–Sep over):
    #   a1: Jan, Feb before start; Jul, Aug exempt months → Mar–Jun, Sep: 5 due, Mar met
    #   a2: Jan–Apr before since → May–Sep: 5 due, May met
    #   a3: Jan, Feb before start; Aug, Sep after until → Mar–Jul: 5 due, Jul met
    #   a4: exempt from the meeting (exempt = [...]): none
    # 支部党员大会 (quarterly, Q1–Q3 over; exempt_months do not apply):
    #   a1: 3 due, Q1 met (post before start); a2: Q1 before since → 2 due; a3: 3 due, Q3 met; a4: 3 due
    # 党委会 (unit level, start only): Jan, Feb before start → Mar–Sep: 7 due, Mar met
    # due 15 + 11 + 7 = 33, met 3 + 2 + 1 = 6
    assert u["cadence"] == {"due": 33, "met": 6, "rate": 6 / 33}
    # over but not assessed: before_since a2 Jan–Apr + Q1 = 5; after_until a3 Aug, Sep = 2 (Q4 not over);
    # before_start a1 Jan, Feb + a3 Jan, Feb + unit Jan, Feb = 6; exempt_month a1 Jul, Aug = 2
    assert u["not_assessed"] == {"before_since": 5, "after_until": 2, "before_start": 6, "exempt_month": 2}
    c, m, unit = "支部委员会", "支部党员大会", "党委会"
    expected = [(None, unit, f"2026-{n:02d}") for n in range(4, 10)]
    expected += [("a1", c, "2026-04"), ("a1", c, "2026-05"), ("a1", c, "2026-06"), ("a1", m, "2026-Q2"), ("a1", c, "2026-09"), ("a1", m, "2026-Q3")]
    expected += [("a2", c, "2026-06"), ("a2", m, "2026-Q2"), ("a2", c, "2026-07"), ("a2", c, "2026-08"), ("a2", c, "2026-09"), ("a2", m, "2026-Q3")]
    expected += [("a3", c, "2026-03"), ("a3", m, "2026-Q1"), ("a3", c, "2026-04"), ("a3", c, "2026-05"), ("a3", c, "2026-06"), ("a3", m, "2026-Q2")]
    expected += [("a4", m, "2026-Q1"), ("a4", m, "2026-Q2"), ("a4", m, "2026-Q3")]
    assert [(x["branch"], x["meeting"], x["period"]) for x in u["missed"]] == expected
    assert len(expected) == 33 - 6
    # every post is still counted as a post of its meeting
    assert u["by_meeting"] == {c: 7, m: 2, unit: 2}


def test_the_grid_says_not_assessed_and_why(built) -> None:
    out, _ = built
    html = (out / "compare/2026/wy/index.html").read_text("utf-8")
    committee = html.split('id="h-g-committee"', 1)[1].split("</section>", 1)[0]
    rows = {r.split("</a></th>", 1)[0].rsplit(">", 1)[-1]: r for r in committee.split("<tr>")[2:]}
    a1, a2, a3, a4 = rows["本科生党支部"], rows["研究生党支部"], rows["退休党支部"], rows["教工党支部"]
    cell = '<td class="slot slot-excluded" title="{label}"><span aria-hidden="true">○</span><span class="sr-only">{text}</span></td>'
    assert cell.format(label="2026年1月：不考核（统计起始日之前）", text="2026年1月支部委员会不考核（统计起始日之前）") in a1
    assert cell.format(label="2026年7月：不考核（寒暑假免考核（7月））", text="2026年7月支部委员会不考核（寒暑假免考核（7月））") in a1
    assert cell.format(label="2026年4月：不考核（支部成立之前）", text="2026年4月支部委员会不考核（支部成立之前）") in a2
    assert cell.format(label="2026年8月：不考核（支部撤销之后）", text="2026年8月支部委员会不考核（支部撤销之后）") in a3
    assert cell.format(label="2026年12月：不考核（支部撤销之后）", text="2026年12月支部委员会不考核（支部撤销之后）") in a3  # not over yet
    assert a4.count("slot-exempt") == 12 and "slot-excluded" not in a4  # a meeting exempt stays 免
    # the row totals follow the same slots
    assert '<td class="num total">1 / 5</td>' in a1 and '<td class="num total">0 / 0</td>' in a4
    # quarterly: a1's Q3 (July, August exempt for monthly meetings) is still due
    member = html.split('id="h-g-member-meeting"', 1)[1].split("</section>", 1)[0]
    assert "2026年第三季度支部党员大会未公开" in member and "2026年第一季度支部党员大会已公开" in member
    assert "○ 不考核" in html and "统计起始日 2026-03-31 之前结束的周期" in html
    overview = (out / "compare/index.html").read_text("utf-8")
    assert '统计起始日为 <time datetime="2026-03-31">2026-03-31</time>' in overview


# -- _unit.toml: since, until, exempt_months -------------------------------------------------


def parse(branch_lines: str) -> tuple[object, list[str]]:
    text = f'name = "单位"\n[[branches]]\nid = "b1"\nname = "一支部"\n{branch_lines}'
    unit, problems = parse_unit(text.encode("utf-8"), "content/u/_unit.toml", "u", SiteConfig())
    return unit, [p.format() for p in problems]


def test_branch_dates_and_months_are_read() -> None:
    unit, problems = parse('since = 2026-04-01\nuntil = "2027-01-31"\nexempt_months = [8, 1, 2, 7, 7]\n')
    assert problems == []
    b = unit.branches[0]  # type: ignore[attr-defined]
    assert (b.since, b.until, b.exempt_months) == (dt.date(2026, 4, 1), dt.date(2027, 1, 31), (1, 2, 7, 8))
    unit, _ = parse("")
    b = unit.branches[0]  # type: ignore[attr-defined]
    assert (b.since, b.until, b.exempt_months) == (None, None, ())


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "since = 2026-04-01\nuntil = 2026-03-31\n",
            "content/u/_unit.toml:6: 错误：支部 b1 的 until（撤销日期 2026-03-31）早于 since（成立日期 2026-04-01）："
            "撤销日期应当在成立日期当天或之后，请核对这两个日期。",
        ),
        (
            "exempt_months = [1, 13]\n",
            "content/u/_unit.toml:5: 错误：支部 b1 的 exempt_months 中 13 不是月份：月份是 1 到 12 的整数，例如学生支部寒暑假不考核月度会议写 exempt_months = [1, 2, 7, 8]。",
        ),
        (
            'exempt_months = ["一月"]\n',
            "content/u/_unit.toml:5: 错误：支部 b1 的 exempt_months（免考核的月份）应当是 1 到 12 的整数列表，例如学生支部寒暑假不考核月度会议写 exempt_months = [1, 2, 7, 8]，现在是 ['一月']。",
        ),
        (
            'kind = "学生"\nsince = "2026/4/1"\n',
            "content/u/_unit.toml:6: 错误：支部 b1 的 since（成立日期）应当是日期，例如 since = 2026-04-01（也可以写成 \"2026-04-01\"），现在是 '2026/4/1'。",
        ),
        (
            "until = 2027\n",
            "content/u/_unit.toml:5: 错误：支部 b1 的 until（撤销日期）应当是日期，例如 until = 2027-01-31（也可以写成 \"2027-01-31\"），现在是 2027。",
        ),
    ],
)
def test_bad_branch_dates_and_months_are_errors_at_their_line(lines: str, message: str) -> None:
    unit, problems = parse(lines)
    assert unit is None and problems == [message]
