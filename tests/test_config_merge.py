"""Issue 19, "configuration that merges": site.toml's [[meetings]], [[sections]] and
categories change or add to the defaults, and ``[<list>_config] replace = true`` makes
the written entries the whole list. String-level: `parse_config` on the text alone.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from conftest import REPO

from generator.core.errors import ConfigError
from generator.core.settings import DEFAULT_CATEGORIES, DEFAULT_MEETINGS, DEFAULT_SECTIONS, Section
from generator.load.config import parse_config


def config(text: str):
    return parse_config(textwrap.dedent(text).encode("utf-8"))


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config(text)
    return [p.format() for p in info.value.problems]


# -- meetings ---------------------------------------------------------------------


def test_overriding_one_meeting_keeps_the_other_eight_with_their_aliases() -> None:
    cfg = config(
        """\
        [[meetings]]
        key = "group"
        every = "quarter"
        """
    )
    assert [m.key for m in cfg.meetings] == [m.key for m in DEFAULT_MEETINGS]  # same nine, same order
    group = cfg.meeting_by_key("group")
    default_group = next(m for m in DEFAULT_MEETINGS if m.key == "group")
    # only `every` changed: name, level, sections and aliases are the default's
    assert group.every == "quarter" and group.name == "党小组会" and group.level == "branch"
    assert group.sections == ("branch-life",) and group.aliases == default_group.aliases
    assert [m for m in cfg.meetings if m.key != "group"] == [m for m in DEFAULT_MEETINGS if m.key != "group"]
    # the others are still found by their aliases
    assert cfg.meeting("支委会").key == "committee" and cfg.meeting("中心组").key == "study-group"
    assert cfg.meeting("小组会").key == "group"


def test_a_renamed_default_meeting_and_a_new_one() -> None:
    cfg = config(
        """\
        [[meetings]]
        name = "支部委员会会议"
        key = "committee"
        [[meetings]]
        name = "支部书记讲党课"
        key = "secretary-lecture"
        every = "year"
        """
    )
    assert len(cfg.meetings) == 10
    committee = cfg.meetings[1]
    assert (committee.key, committee.name, committee.every, committee.aliases) == ("committee", "支部委员会会议", "month", ("支委会", "支委会议"))
    new = cfg.meetings[-1]  # new keys come after the defaults
    assert (new.key, new.name, new.level, new.every, new.sections) == ("secretary-lecture", "支部书记讲党课", "branch", "year", ("branch-life",))


def test_replace_switch_makes_the_written_meetings_the_whole_list() -> None:
    cfg = config(
        """\
        [[meetings]]
        name = "支部委员会"
        key = "committee"
        every = "month"
        [meetings_config]
        replace = true
        """
    )
    assert [m.key for m in cfg.meetings] == ["committee"]
    # replace = false is the default: merged
    cfg = config('[[meetings]]\nkey = "committee"\nevery = "quarter"\n[meetings_config]\nreplace = false\n')
    assert len(cfg.meetings) == 9 and cfg.meeting_by_key("committee").every == "quarter"


def test_replace_switch_errors_are_located_and_in_chinese() -> None:
    assert errors('[meetings_config]\nreplace = true\n') == [
        "site.toml:2: 错误：[meetings_config] replace = true 表示只用本文件写出的会议，但本文件没有写 [[meetings]]。请写出会议，或删去这一行。"
    ]
    assert errors('[[meetings]]\nkey = "group"\n[meetings_config]\nreplcae = true\n') == [
        "site.toml:4: 错误：[meetings_config] 中未知的配置项“replcae”，是不是“replace”？可用的有：replace。"
    ]
    assert errors('[[sections]]\nname = "通知"\nkey = "notices"\n[sections_config]\nreplace = "yes"\n') == [
        "site.toml:5: 错误：[sections_config] replace 应当是 true（只用本文件写出的栏目）或 false（默认：写出的栏目与默认的栏目合并），现在是 'yes'。"
    ]
    assert errors('categories_config = 1\n') == ["site.toml:1: 错误：[categories_config] 应当是一个表，例如\n[categories_config]\nreplace = true"]


def test_a_new_meeting_named_like_a_kept_default_is_an_error() -> None:
    assert errors('[[meetings]]\nname = "党课"\nkey = "dangke"\n') == [
        "site.toml:1: 错误：会议“党课”（dangke）与默认的会议“党课”（lecture）同名。要修改这个默认会议，请写 key = \"lecture\"；"
        "要新增会议，请换一个名称；只用本文件写出的会议时，请加上 [meetings_config] 段并写 replace = true。"
    ]


def test_a_new_meeting_without_a_name_still_needs_one() -> None:
    assert errors('[[meetings]]\nkey = "new-one"\nevery = "month"\n') == [
        "site.toml:1: 错误：[[meetings]] 缺少 name（显示的名称），例如 name = \"通知公告\"。"
    ]


def test_the_demo_site_toml_keeps_the_defaults() -> None:
    cfg = parse_config((REPO / "site.toml").read_bytes())
    assert cfg.meetings == DEFAULT_MEETINGS and cfg.sections == DEFAULT_SECTIONS and cfg.categories == DEFAULT_CATEGORIES


# -- sections and categories ---------------------------------------------------------


def test_sections_merge_by_key_and_replace() -> None:
    cfg = config('[[sections]]\nname = "通知公示"\nkey = "notices"\n[[sections]]\nname = "学习园地"\nkey = "study"\n')
    assert cfg.sections == (Section("通知公示", "notices"), *DEFAULT_SECTIONS[1:], Section("学习园地", "study"))
    assert [m.sections for m in cfg.meetings] == [m.sections for m in DEFAULT_MEETINGS]
    cfg = config('[[sections]]\nname = "通知公告"\nkey = "notices"\n[[sections]]\nname = "支部生活"\nkey = "branch-life"\n[[sections]]\nname = "党建动态"\nkey = "news"\n[sections_config]\nreplace = true\n')
    assert [s.key for s in cfg.sections] == ["notices", "branch-life", "news"]
    assert errors('[[sections]]\nname = "支部生活"\nkey = "life"\n') == [
        "site.toml:1: 错误：栏目“支部生活”（life）与默认的栏目“支部生活”（branch-life）同名。要修改这个默认栏目，请写 key = \"branch-life\"；"
        "要新增栏目，请换一个名称；只用本文件写出的栏目时，请加上 [sections_config] 段并写 replace = true。"
    ]


def test_categories_merge_and_replace() -> None:
    # the defaults written out again (as `init` may write them) and one more: no duplicates
    cfg = config("categories = [" + ", ".join(f'"{c}"' for c in (*DEFAULT_CATEGORIES, "学风建设")) + "]\n")
    assert cfg.categories == (*DEFAULT_CATEGORIES, "学风建设")
    cfg = config('categories = ["理论学习", "学风建设"]\n[categories_config]\nreplace = true\n')
    assert cfg.categories == ("理论学习", "学风建设")


# -- [compare] start ---------------------------------------------------------------------


def test_compare_start_is_a_date() -> None:
    assert config("[compare]\nstart = 2026-12-01\n").compare.start == dt.date(2026, 12, 1)
    assert config('[compare]\nstart = "2026-12-01"\n').compare.start == dt.date(2026, 12, 1)
    assert config("[compare]\ngreen = 0.9\n").compare.start is None
    assert errors('[compare]\ngreen = 0.9\nstart = "2026-13-01"\n') == [
        "site.toml:3: 错误：[compare] start（统计起始日：在这一天之前结束的周期不考核）应当是日期，例如 start = 2026-12-01，现在是 '2026-13-01'。"
    ]
