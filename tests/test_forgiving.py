"""Forgiving front-matter (issue 15): Chinese quotes, full-width separators, the names people use."""

from __future__ import annotations

from conftest import UNIT_TOML, post_text

from generator.core.errors import Severity
from generator.load.config import SiteConfig
from generator.parse.post import parse_post, parse_unit

QUOTES_NOTE = '两边的中文引号“”已去掉：YAML 里文字不需要引号，要加请用英文引号 "…"。'


def parse(text: str, config: SiteConfig | None = None, unit_toml: str = UNIT_TOML):
    """(post or None, [(line, severity, message)]) for one post of the default unit."""
    config = config or SiteConfig()
    unit, unit_problems = parse_unit(unit_toml.encode("utf-8"), "content/jx/_unit.toml", "jx", config)
    assert unit is not None and not unit_problems, unit_problems
    post, problems = parse_post(text.encode("utf-8"), "content/jx/a.md", unit, config, {})
    assert all(p.path == "content/jx/a.md" for p in problems)
    return post, [(p.line, p.severity.value, p.message) for p in problems]


# -- Chinese and curly quotes around a whole value ---------------------------------


def test_curly_quotes_around_a_scalar_are_removed_with_a_warning():
    post, problems = parse(post_text(title="“支部委员会会议纪要”", section="“支部生活”"))
    assert post is not None and post.title == "支部委员会会议纪要" and post.section == "branch-life"
    assert problems == [(2, "warning", "标题" + QUOTES_NOTE), (4, "warning", "栏目" + QUOTES_NOTE)]


def test_corner_and_single_quotes_are_removed_too():
    post, problems = parse(post_text(title="「会议纪要」", category="『组织生活』", summary="‘一句话’"))
    assert post is not None and (post.title, post.category, post.summary) == ("会议纪要", "组织生活", "一句话")
    assert [m for _, _, m in problems] == [
        '标题两边的中文引号「」已去掉：YAML 里文字不需要引号，要加请用英文引号 "…"。',
        '分类两边的中文引号『』已去掉：YAML 里文字不需要引号，要加请用英文引号 "…"。',
        '摘要两边的中文引号‘’已去掉：YAML 里文字不需要引号，要加请用英文引号 "…"。',
    ]


def test_quotes_inside_a_value_are_kept():
    post, problems = parse(post_text(title="“两学一做”与“三会一课”", tags=["“两学一做”学习"]))
    assert post is not None and post.title == "“两学一做”与“三会一课”" and post.tags == ("“两学一做”学习",)
    assert problems == []


def test_curly_quotes_around_each_tag_are_removed():
    post, problems = parse(post_text(tags="[“三会一课”, “主题党日”]"))
    assert post is not None and post.tags == ("三会一课", "主题党日")
    assert problems == [(5, "warning", "标签“三会一课”" + QUOTES_NOTE), (5, "warning", "标签“主题党日”" + QUOTES_NOTE)]


def test_curly_quotes_around_a_meeting_are_removed():
    post, problems = parse(post_text(meeting="“支部委员会”", branch="jx-jg1"))
    assert post is not None and post.meetings == ("committee",)
    assert problems == [(5, "warning", "会议“支部委员会”" + QUOTES_NOTE)]


# -- full-width commas, 顿号 and semicolons separate list items ----------------------


def test_full_width_comma_inside_a_flow_list_separates_tags():
    post, problems = parse(post_text(tags="[三会一课，主题党日]"))
    assert post is not None and post.tags == ("三会一课", "主题党日") and problems == []


def test_every_separator_splits_tags_the_same_way():
    for written in ("三会一课，主题党日", "三会一课、主题党日", "三会一课；主题党日", "三会一课;主题党日", "[三会一课、主题党日]", "[三会一课；主题党日]"):
        post, problems = parse(post_text(tags=written))
        assert post is not None and post.tags == ("三会一课", "主题党日"), written
        assert problems == [], written


def test_quoted_list_item_is_kept_whole():
    post, problems = parse(post_text(tags='["三会一课，主题党日"]'))
    assert post is not None and post.tags == ("三会一课，主题党日",) and problems == []


def test_separators_split_meetings_and_chinese_quotes_after_splitting():
    post, problems = parse(post_text(meeting="[支部委员会；党课]", branch="jx-jg1", tags="[“三会一课”，“主题党日”]"))
    assert post is not None and post.meetings == ("committee", "lecture") and post.tags == ("三会一课", "主题党日")
    assert [m for _, _, m in problems] == ["标签“三会一课”" + QUOTES_NOTE, "标签“主题党日”" + QUOTES_NOTE]


def test_semicolons_do_not_split_privacy_ok():
    post, problems = parse(post_text(privacy_ok='"张三；李四"', body="张三；李四"))
    assert post is not None and post.privacy_ok == ("张三；李四",)
    assert Severity.ERROR.value not in [s for _, s, _ in problems]
