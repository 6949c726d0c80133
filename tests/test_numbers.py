"""Issue 17, "the numbers can be trusted": configuration checked as a whole before
anything uses it, meetings counted only in the sections that record them, and
"最后修改" only for a real later edit — each through the real CLI or the real
builder on real git repositories.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from conftest import commit_all, git, git_init, post_text, run_cli, write_site

from generator.build.builder import Builder, BuildOptions
from generator.core.errors import ConfigError
from generator.load.config import parse_config
from generator.load.history import read_history

AS_OF = "2026-06-30"


# ---------------------------------------------------------------------------
# 1. every reference to a meeting is checked against the configured meetings

ONE_MEETING = textwrap.dedent(
    """\
    [[meetings]]
    name = "支部委员会"
    key = "committee"
    every = "month"
    """
)

# the meetings (sections) written are the whole list; without it they change or add to the defaults
REPLACE_MEETINGS = "[meetings_config]\nreplace = true\n"
REPLACE_SECTIONS = "[sections_config]\nreplace = true\n"

GROUPS_FALSE_UNIT = textwrap.dedent(
    """\
    name = "外国语学院党委"
    kind = "教学单位"

    [[branches]]
    id = "wy-xs"
    name = "学生党支部"
    kind = "学生"
    groups = false
    """
)

GROUPS_ERROR = (
    'content/wy/_unit.toml:8: 错误：支部 wy-xs 写了 groups = false（未设党小组，免于党小组会），但 site.toml 的 [[meetings]] 中没有党小组会（key = "group"）。'
    '请删除这一行，或在 site.toml 中加上 key = "group" 的 [[meetings]]；已配置的会议：支部委员会。'
)


@pytest.mark.parametrize("command", ["check", "build"])
def test_groups_false_without_a_group_meeting_is_an_error_at_its_line(tmp_path: Path, command: str) -> None:
    # Before: KeyError: 'group' at plan.py (the branch was exempted from a meeting the site does not have).
    site = write_site(
        tmp_path / "site",
        {"content/wy/_unit.toml": GROUPS_FALSE_UNIT, "content/wy/2026/a.md": post_text("五月支委会", "2026-05-06", meeting="支部委员会", branch="wy-xs")},
        config=ONE_MEETING + REPLACE_MEETINGS,
        unit=False,
    )
    args = [command, str(site)] + (["-o", str(tmp_path / "out"), "--as-of", AS_OF] if command == "build" else [])
    proc = run_cli(*args)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "KeyError" not in proc.stderr
    assert GROUPS_ERROR in (proc.stdout + proc.stderr).splitlines()
    assert not (tmp_path / "out" / "index.html").exists()


def test_groups_false_with_the_group_meeting_still_exempts(tmp_path: Path) -> None:
    config = ONE_MEETING + '[[meetings]]\nname = "党小组会"\nkey = "group"\nevery = "month"\n' + REPLACE_MEETINGS
    site = write_site(tmp_path / "site", {"content/wy/_unit.toml": GROUPS_FALSE_UNIT}, config=config, unit=False)
    result = Builder(BuildOptions(site, tmp_path / "out", as_of=dt.date.fromisoformat(AS_OF))).build()
    assert result.ok, [p.format() for p in result.problems]
    data = json.loads((tmp_path / "out/data/compare.json").read_text("utf-8"))
    # six months of 支部委员会 due, 党小组会 exempt
    assert data["years"]["2026"]["units"]["wy"]["cadence"] == {"due": 6, "met": 0, "rate": 0.0}


def config_errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text.encode("utf-8"))
    return [p.format() for p in info.value.problems]


def test_meeting_sections_must_name_configured_sections() -> None:
    text = ONE_MEETING + 'sections = ["支部生活", "会议记录"]\n'
    assert config_errors(text) == [
        "site.toml:5: 错误：会议“支部委员会”的 sections 中“会议记录”不是已配置的栏目。"
        "现有栏目：通知公告（notices）、党建动态（news）、支部生活（branch-life）、特色阵地（features）。"
    ]
    assert config_errors(ONE_MEETING + 'sections = "支部生活"\n') == [
        "site.toml:5: 错误：会议“支部委员会”的 sections 应当是栏目名称列表，例如 sections = [\"支部生活\"]；"
        "现有栏目：通知公告（notices）、党建动态（news）、支部生活（branch-life）、特色阵地（features）。"
    ]


def test_renamed_sections_need_meetings_that_say_where_they_are_recorded() -> None:
    sections = '[[sections]]\nname = "通知"\nkey = "notices"\n[[sections]]\nname = "组织生活"\nkey = "life"\n'
    # default meetings name 支部生活 and 党建动态, which this site does not have
    assert config_errors(sections + REPLACE_SECTIONS) == [
        "site.toml:1: 错误：默认的会议类型记录在栏目 党建动态（news）、支部生活（branch-life） 中，但 [[sections]] 里没有这个栏目。"
        "请保留该栏目，或写出 [[meetings]] 并用 sections = [...] 指明各会议记录在哪个栏目；现有栏目：通知（notices）、组织生活（life）。"
    ]
    # its own meeting without sections: the default 支部生活 is missing → error at the meeting
    assert config_errors(sections + ONE_MEETING + REPLACE_SECTIONS + REPLACE_MEETINGS) == [
        "site.toml:7: 错误：会议“支部委员会”没有写 sections，默认记录在栏目“branch-life”，但 [[sections]] 里没有这个栏目。"
        "请在这个 [[meetings]] 段中写明 sections = [...]；现有栏目：通知（notices）、组织生活（life）。"
    ]
    cfg = parse_config((sections + ONE_MEETING + 'sections = ["组织生活"]\n' + REPLACE_SECTIONS + REPLACE_MEETINGS).encode("utf-8"))
    assert cfg.meeting("支部委员会").sections == ("life",)


# ---------------------------------------------------------------------------
# 2. a meeting counts only in the sections where it is recorded

WY_UNIT = 'name = "外国语学院党委"\nkind = "教学单位"\n[[branches]]\nid = "wy-jg"\nname = "外语教工党支部"\nkind = "教职工"\n'
NOTICE = "---\ntitle: 关于开展5月主题党日活动的通知\ndate: 2026-05-06\nsection: 通知公告\nmeeting: 主题党日\nbranch: wy-jg\n---\n请各位党员按时参加。\n"
NOTICE_WARNING = (
    "content/wy/2026/tongzhi.md:5: 警告：通知公告中的会议不计入对标；会议记录请发在支部生活。本篇列出的“主题党日”只算提及，不算召开；"
    "如果这就是会议记录，请把 section 改为支部生活，否则删去 meeting 这一行。"
)


def build_data(site: Path, out: Path):
    result = Builder(BuildOptions(site, out, as_of=dt.date.fromisoformat(AS_OF))).build()
    assert result.ok, [p.format() for p in result.problems]
    return result, json.loads((out / "data" / "compare.json").read_text("utf-8"))


def test_a_notice_announcing_a_meeting_is_not_counted_and_warns(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {
            "content/wy/_unit.toml": WY_UNIT,
            "content/wy/2026/tongzhi.md": NOTICE,
            # the record itself, in 支部生活: April's 主题党日 is met
            "content/wy/2026/siyue.md": post_text("四月主题党日", "2026-04-20", "支部生活", meeting="主题党日", branch="wy-jg"),
        },
        unit=False,
    )
    git_init(site)
    commit_all(site, "录入", "2026-06-01T10:00:00+08:00")
    result, data = build_data(site, tmp_path / "out")
    assert NOTICE_WARNING in [p.format() for p in result.problems]
    u = data["years"]["2026"]["units"]["wy"]
    missed = [(m["branch"], m["meeting"], m["period"]) for m in u["missed"]]
    assert ("wy-jg", "主题党日", "2026-05") in missed  # the notice did not remove May
    assert ("wy-jg", "主题党日", "2026-04") not in missed
    assert u["by_meeting"]["主题党日"] == 1 and u["posts"] == 2
    assert u["by_section"]["通知公告"] == 1  # still a notice in every other figure
    assert u["lag_days"]["count"] == 1  # only the record is measured (42 days)
    assert data["meeting_sections"]["主题党日"] == ["支部生活"]
    # the branch page lists the notice under 其他活动, not as a 主题党日 held
    branch = (tmp_path / "out/wy/branch/wy-jg/index.html").read_text("utf-8")
    theme_day = branch.split('id="h-m-theme-day"', 1)[1].split("</section>", 1)[0]
    assert "1 次" in theme_day and "四月主题党日" in theme_day and "关于开展5月主题党日活动的通知" not in theme_day
    assert "关于开展5月主题党日活动的通知" in branch.split('id="h-others"', 1)[1]
    page = (tmp_path / "out/compare/index.html").read_text("utf-8")
    assert "其他栏目（如通知公告中的会前通知）列出的会议只算提及，不计入" in page
    assert "每种会议各计一次" in page
    # `check` through the real CLI says the same, with no error
    proc = run_cli("check", str(site))
    assert proc.returncode == 0 and NOTICE_WARNING in proc.stdout + proc.stderr


def test_meeting_sections_can_be_configured(tmp_path: Path) -> None:
    config = textwrap.dedent(
        """\
        [[meetings]]
        name = "主题党日"
        key = "theme-day"
        every = "month"
        sections = ["特色阵地", "notices"]
        [meetings_config]
        replace = true
        """
    )
    site = write_site(
        tmp_path / "site",
        {
            "content/wy/_unit.toml": WY_UNIT,
            "content/wy/2026/tongzhi.md": NOTICE,  # counts here: 通知公告 records 主题党日
            "content/wy/2026/zhendi.md": post_text("三月主题党日", "2026-03-20", "特色阵地", meeting="主题党日", branch="wy-jg"),
            "content/wy/2026/shenghuo.md": post_text("二月主题党日", "2026-02-20", "支部生活", meeting="主题党日", branch="wy-jg"),
        },
        config=config,
        unit=False,
    )
    result, data = build_data(site, tmp_path / "out")
    problems = [p.format() for p in result.problems if "不计入对标" in p.message]
    assert problems == [
        "content/wy/2026/shenghuo.md:5: 警告：支部生活中的会议不计入对标；会议记录请发在特色阵地或通知公告。本篇列出的“主题党日”只算提及，不算召开；"
        "如果这就是会议记录，请把 section 改为特色阵地或通知公告，否则删去 meeting 这一行。"
    ]
    u = data["years"]["2026"]["units"]["wy"]
    assert [(m["period"]) for m in u["missed"]] == ["2026-01", "2026-02", "2026-04", "2026-06"]
    assert u["cadence"] == {"due": 6, "met": 2, "rate": 2 / 6}
    assert data["meeting_sections"] == {"主题党日": ["特色阵地", "通知公告"]}


# ---------------------------------------------------------------------------
# 3. "最后修改" only for a change of the content after the first commit


def test_last_modified_only_after_a_later_content_change(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {
            "content/jx/2026/edited.md": post_text("三月支委会", "2026-03-05", meeting="支部委员会", branch="jx-jg1"),
            "content/jx/2026/once.md": post_text("三月主题党日", "2026-03-10", meeting="主题党日", branch="jx-jg1"),
            "content/jx/2026/moved.md": post_text("四月党课", "2026-04-10", meeting="党课", branch="jx-jg1"),
        },
    )
    git_init(site)
    commit_all(site, "录入三月、四月记录", "2026-03-12T10:00:00+08:00")
    # a later commit that changes edited.md only; once.md is not in it
    path = site / "content/jx/2026/edited.md"
    path.write_text(path.read_text("utf-8").replace("正文。", "正文（更正了出席人数）。"), encoding="utf-8")
    commit_all(site, "更正", "2026-04-02T09:30:00+08:00")
    # a pure rename and a commit that changes no content file at all
    git(site, "mv", "content/jx/2026/moved.md", "content/jx/2026/renamed.md")
    commit_all(site, "改文件名", "2026-05-01T09:00:00+08:00")
    (site / "site.toml").write_text('[site]\ntitle = "晾晒"\n', encoding="utf-8")
    commit_all(site, "配置", "2026-05-02T09:00:00+08:00")

    history = read_history(site, dt.timezone(dt.timedelta(hours=8)))
    assert [(p, w.isoformat()) for p, w in history.edited] == [("content/jx/2026/edited.md", "2026-04-02T09:30:00+08:00")]

    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date.fromisoformat(AS_OF))).build()
    assert result.ok, [p.format() for p in result.problems]
    edited = (out / "jx/edited/index.html").read_text("utf-8")
    assert '<dt>最后修改</dt><dd><time datetime="2026-04-02">2026年4月2日</time></dd>' in edited
    for slug in ("once", "renamed"):
        assert "最后修改" not in (out / f"jx/{slug}/index.html").read_text("utf-8"), slug


# ---------------------------------------------------------------------------
# 4. the demo, committed day by day by scripts/make_demo.py, shows its lag


def test_dated_demo_shows_a_lag_for_every_unit(dated_demo) -> None:
    import csv
    import io

    site, out = dated_demo
    commits = git(site, "log", "--format=%cs").split()
    assert len(commits) > 300 and len(set(commits)) == len(commits)  # one commit per day
    assert git(site, "status", "--porcelain") == ""
    data = json.loads((out / "data/compare.json").read_text("utf-8"))
    assert data["history"] == {"available": True, "reason": ""} and data["lag_since"] is None
    units = sorted(p.parent.name for p in (site / "content").glob("*/_unit.toml"))
    for year, yd in data["years"].items():
        assert sorted(yd["units"]) == units
        for slug, u in yd["units"].items():
            lag = u["lag_days"]
            assert lag["count"] > 0 and lag["median"] is not None and 0 <= lag["median"] <= lag["p90"] <= 10, (year, slug, lag)
            assert u["lag_excluded"] == {"negative": 0, "before_lag_since": 0, "uncommitted": 0}
    # the lags differ between units (each has its own usual delay), so the ranking means something
    assert len({u["lag_days"]["median"] for u in data["years"]["2026"]["units"].values()}) > 2
    rows = list(csv.DictReader(io.StringIO((out / "compare/2026.csv").read_text("utf-8-sig"))))
    assert len(rows) == len(units) and all(r["时滞中位数(天)"] and int(r["时滞样本数"]) > 0 for r in rows)
    # a record of a 主题党日 held together with a 党课 counts for both, and the data file says so
    assert sum(u["posts_with_several_meetings"] for u in data["years"]["2026"]["units"].values()) > 0
    js = data["years"]["2026"]["units"]["jisuanji"]
    both = site / "content/jisuanji/2026/js-yjs-2026-03-theme-day-lecture/index.md"
    assert "meeting: [主题党日, 党课]" in both.read_text("utf-8")
    missed = {(m["branch"], m["meeting"], m["period"]) for m in js["missed"]}
    assert ("js-yjs", "主题党日", "2026-03") not in missed and ("js-yjs", "党课", "2026-Q1") not in missed


# ---------------------------------------------------------------------------
# 5. the wheel (built, installed and used by scripts/check_wheel.py in .ci/run)


def test_version_is_printed() -> None:
    import generator

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"liangshai（晾晒）{generator.__version__}"
