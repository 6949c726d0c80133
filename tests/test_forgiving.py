"""Forgiving front-matter (issue 15): Chinese quotes, full-width separators, the names people use."""

from __future__ import annotations

import pytest
from conftest import UNIT_TOML, post_text, run_cli, site_files, write_site

from generator.core.errors import ConfigError, Severity
from generator.load.config import SiteConfig, parse_config
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


def test_chinese_quotes_inside_english_quotes_are_meant():
    post, problems = parse(post_text(title='"“不忘初心”"', tags=["'“三会一课”'"]))
    assert post is not None and post.title == "“不忘初心”" and post.tags == ("“三会一课”",) and problems == []


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
    # Chinese quotes mark where an item ends as English ones do (and are removed)
    post, problems = parse(post_text(tags="[“三会一课，主题党日”]"))
    assert post is not None and post.tags == ("三会一课，主题党日",)
    assert problems == [(5, "warning", "标签“三会一课，主题党日”" + QUOTES_NOTE)]


def test_separators_split_meetings_and_chinese_quotes_after_splitting():
    post, problems = parse(post_text(meeting="[支部委员会；党课]", branch="jx-jg1", tags="[“三会一课”，“主题党日”]"))
    assert post is not None and post.meetings == ("committee", "lecture") and post.tags == ("三会一课", "主题党日")
    assert [m for _, _, m in problems] == ["标签“三会一课”" + QUOTES_NOTE, "标签“主题党日”" + QUOTES_NOTE]


def test_semicolons_do_not_split_privacy_ok():
    post, problems = parse(post_text(privacy_ok='"张三；李四"', body="张三；李四"))
    assert post is not None and post.privacy_ok == ("张三；李四",)
    assert Severity.ERROR.value not in [s for _, s, _ in problems]


# -- the names people use for meetings ----------------------------------------------


def test_default_meeting_aliases_are_accepted_silently():
    cases = {"支委会": "committee", "党员大会": "member-meeting", "支部大会": "member-meeting", "小组会": "group"}
    for word, key in cases.items():
        post, problems = parse(post_text(meeting=word, branch="jx-jg1"))
        assert post is not None and post.meetings == (key,) and problems == [], word
    for word, key in {"中心组": "study-group", "联席会": "joint-meeting"}.items():
        post, problems = parse(post_text(meeting=word, section="党建动态"))
        assert post is not None and post.meetings == (key,) and problems == [], word


def test_aliases_and_names_of_the_same_meeting_count_once():
    post, problems = parse(post_text(meeting="[支委会, 支部委员会, 党课]", branch="jx-jg1"))
    assert post is not None and post.meetings == ("committee", "lecture") and problems == []


def test_umbrella_term_lists_the_four_meetings_it_covers():
    post, problems = parse(post_text(meeting="三会一课", branch="jx-jg1"))
    assert post is None
    assert problems == [
        (
            5,
            "error",
            "“三会一课”是支部党员大会、支部委员会、党小组会、党课的统称，不是一种会议。请写出这次召开的是哪一种，"
            "例如“meeting: 支部党员大会”；几种一起召开时都写上，例如“meeting: [支部党员大会, 党课]”。",
        )
    ]


def test_umbrella_term_uses_the_configured_names():
    config = parse_config(
        "\n".join(
            f'[[meetings]]\nname = "{name}"\nkey = "{key}"\nlevel = "branch"'
            for name, key in (("党员大会", "member-meeting"), ("支委会", "committee"), ("党课", "lecture"))
        ).encode("utf-8")
        + ("\n" + REPLACE_MEETINGS).encode("utf-8")
    )
    post, problems = parse(post_text(meeting="三会一课", branch="jx-jg1"), config, UNIT_TOML.replace("groups = false\n", ""))
    assert post is None
    assert [m for _, _, m in problems] == [
        "“三会一课”是党员大会、支委会、党课的统称，不是一种会议。请写出这次召开的是哪一种，"
        "例如“meeting: 党员大会”；几种一起召开时都写上，例如“meeting: [党员大会, 党课]”。"
    ]


def config_errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text.encode("utf-8"))
    return [p.format() for p in info.value.problems]


COMMITTEE = '[[meetings]]\nname = "支部委员会"\nkey = "committee"\nlevel = "branch"\n'
LECTURE = '[[meetings]]\nname = "党课"\nkey = "lecture"\nlevel = "branch"\n'
# the meetings written are the whole list (without it they change or add to the default nine)
REPLACE_MEETINGS = "[meetings_config]\nreplace = true\n"


def test_meeting_aliases_are_configurable():
    config = parse_config((COMMITTEE + 'aliases = ["支委", "支部委员会议"]\n' + REPLACE_MEETINGS).encode("utf-8"))
    assert config.meetings[0].aliases == ("支委", "支部委员会议")
    assert config.meeting("支部委员会议") == config.meeting("committee")
    assert config.meeting("支委会") is None  # written aliases replace the default ones


def test_a_configured_meeting_keeps_the_default_aliases_of_its_key():
    config = parse_config((COMMITTEE + REPLACE_MEETINGS).encode("utf-8"))
    assert config.meetings[0].aliases == ("支委会", "支委会议")
    # a default alias that is another configured meeting's name gives way silently
    config = parse_config((COMMITTEE + '[[meetings]]\nname = "支委会"\nkey = "small-committee"\n' + REPLACE_MEETINGS).encode("utf-8"))
    assert config.meetings[0].aliases == ("支委会议",) and config.meeting("支委会").key == "small-committee"


def test_meeting_aliases_must_be_a_list_of_text():
    assert config_errors(COMMITTEE + 'aliases = "支委会"\n') == [
        "site.toml:5: 错误：会议“支部委员会”的 aliases 应当是文字列表，写这种会议的其他叫法，"
        "例如 aliases = [\"支委会\"]；不要别名时写 aliases = []。"
    ]


def test_an_alias_names_one_meeting_only():
    assert config_errors(COMMITTEE + 'aliases = ["党课"]\n' + LECTURE) == [
        "site.toml:5: 错误：会议“支部委员会”的别名“党课”已经是会议“党课”的名称或别名：同一个叫法只能指一种会议，请删去其中一处。"
    ]
    assert config_errors(COMMITTEE + 'aliases = ["例会"]\n' + LECTURE + 'aliases = ["例会"]\n') == [
        "site.toml:10: 错误：会议“党课”的别名“例会”已经是会议“支部委员会”的名称或别名：同一个叫法只能指一种会议，请删去其中一处。"
    ]


# -- a branch written by its name ---------------------------------------------------


def test_branch_by_full_or_short_name_resolves_to_its_id():
    for written in ("机械工程学院第一教工党支部", "第一教工党支部", "本科生党支部"):
        post, problems = parse(post_text(meeting="支委会", branch=written))
        assert post is not None and problems == [], written
        assert post.branch == ("jx-jg1" if "教工" in written else "jx-xs1")


def test_ambiguous_branch_name_lists_the_candidates():
    post, problems = parse(post_text(meeting="支委会", branch="党支部"))
    assert post is None
    assert problems == [
        (6, "error", "支部“党支部”不止一个：jx-jg1（机械工程学院第一教工党支部）、jx-xs1（机械工程学院本科生党支部）。请写支部编号，例如“branch: jx-jg1”。")
    ]


def test_unknown_branch_gets_a_suggestion():
    post, problems = parse(post_text(meeting="支委会", branch="第一教工支部"))
    assert post is None
    assert [m for _, _, m in problems] == [
        "支部“第一教工支部”不在 content/jx/_unit.toml 中，是不是“机械工程学院第一教工党支部”？"
        "可选：jx-jg1（机械工程学院第一教工党支部）、jx-xs1（机械工程学院本科生党支部）。"
    ]


# -- attachments: separators split, unless the whole entry is a file -----------------


def parse_with_files(tmp_path, text: str, files: dict[str, str | bytes]):
    config = SiteConfig()
    unit, _ = parse_unit(UNIT_TOML.encode("utf-8"), "content/jx/_unit.toml", "jx", config)
    assert unit is not None
    post, problems = parse_post(text.encode("utf-8"), "content/jx/a.md", unit, config, site_files(tmp_path, files))
    # a .zip is not read: its "check it by hand" note is not what these tests are about
    return post, [(p.line, p.severity.value, p.message) for p in problems if p.severity is not Severity.INFO]


def test_attachments_split_at_full_width_commas(tmp_path):
    files = {"content/jx/签到表.zip": b"PK", "content/jx/名单.zip": b"PK"}
    post, problems = parse_with_files(tmp_path, post_text(attachments="[签到表.zip，名单.zip]"), files)
    assert post is not None and [a.name for a in post.attachments] == ["签到表.zip", "名单.zip"] and problems == []


def test_attachment_whose_name_has_a_comma_is_kept_whole(tmp_path):
    files = {"content/jx/通知、名单.zip": b"PK"}
    for written in ("[通知、名单.zip]", "通知、名单.zip", "[“通知、名单.zip”]"):
        post, problems = parse_with_files(tmp_path, post_text(attachments=written), files)
        assert post is not None and [a.name for a in post.attachments] == ["通知、名单.zip"], written
        assert [s for _, s, _ in problems] == (["warning"] if "“" in written else []), written


# -- all at once, through the real `check` -------------------------------------------


def test_check_accepts_a_post_with_several_forgiven_mistakes(tmp_path):
    text = "\n".join(
        [
            "---",
            "title: “第一教工党支部召开3月支委会”",
            "date: 2026-03-05",
            "section: 「支部生活」",
            "meeting: [支委会，党课]",
            "branch: 第一教工党支部",
            "tags: [“三会一课”、主题党日]",
            "---",
            "时间：3月5日下午。地点：学院会议室。",  # a record, not a stub (parse.probable warns about those)
            "议题：学习全国两会精神。",
            "议定事项：下月开展主题党日。",
            "",
        ]
    )
    site = write_site(tmp_path / "site", {"content/jx/2026/a.md": text})
    proc = run_cli("check", str(site))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    note = '两边的中文引号{}已去掉：YAML 里文字不需要引号，要加请用英文引号 "…"。'
    assert [line for line in proc.stdout.splitlines() if ".md:" in line] == [
        "content/jx/2026/a.md:2: 警告：标题" + note.format("“”"),
        "content/jx/2026/a.md:4: 警告：栏目" + note.format("「」"),
        "content/jx/2026/a.md:7: 警告：标签“三会一课”" + note.format("“”"),
    ]
    assert " 错误：" not in proc.stdout + proc.stderr and "检查通过：0 个错误" in proc.stdout


def test_unreadable_ok_splits_like_attachments(tmp_path):
    files = {"content/jx/签到表.pdf": b"%PDF-1.4\n", "content/jx/名单.pdf": b"%PDF-1.4\n"}
    text = post_text(attachments="[签到表.pdf，名单.pdf]", unreadable_ok="[签到表.pdf；名单.pdf]")
    post, problems = parse_with_files(tmp_path, text, files)
    assert post is not None and [a.name for a in post.attachments] == ["签到表.pdf", "名单.pdf"]
    assert "error" not in [s for _, s, _ in problems]


def test_short_name_that_is_exactly_one_branch_wins_over_a_longer_ending():
    unit_toml = UNIT_TOML + '[[branches]]\nid = "jx-lt1"\nname = "机械工程学院离退休第一教工党支部"\nkind = "离退休"\n'
    post, problems = parse(post_text(meeting="支委会", branch="第一教工党支部"), unit_toml=unit_toml)
    assert post is not None and post.branch == "jx-jg1" and problems == []
    post, problems = parse(post_text(meeting="支委会", branch="教工党支部"), unit_toml=unit_toml)
    assert post is None
    assert [m for _, _, m in problems] == [
        "支部“教工党支部”不止一个：jx-jg1（机械工程学院第一教工党支部）、jx-lt1（机械工程学院离退休第一教工党支部）。请写支部编号，例如“branch: jx-jg1”。"
    ]
