"""Front-matter that is not valid YAML (issue 15): every syntax error in Chinese, located,
with a hint for its cause and no English text from PyYAML; the other fields are still
checked line by line, so a post with five mistakes shows five messages in one run.
Full-width and non-breaking spaces that indent a line are read as spaces, with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import one_post, run_cli, site_files, write_site

# Words PyYAML's messages are made of: none may reach the author.
ENGLISH = re.compile(r"\b(expected|found|mapping|scalar|stream|while|could not|block|simple key|parsing|scanning|alias|anchor)\b", re.I)

WIDE_NOTE = "这一行开头用全角空格缩进（从 Word、微信复制时常见），已当作普通空格读取。请改用半角空格缩进，以免别的工具读错。"
NBSP_NOTE = "这一行开头用不换行空格缩进（从 Word、微信复制时常见），已当作普通空格读取。请改用半角空格缩进，以免别的工具读错。"
LEAD = "front-matter 的 YAML 格式有误："
QUOTE = LEAD + "这一行的引号没有结束：开头用了引号，结尾也要用同样的英文引号（\" 或 '）。值里本身有引号时，换用另一种引号括起来。"
INDENT = LEAD + "这一行的缩进不对：每个字段都要从行首写起，前面不能有空格；列表项写成“  - 项目”，比上一行多缩进两个空格。"
ITEM = LEAD + "这一行以“- ”开头，是列表的一项，但上一个字段已经写了值，或缩进和上面的列表项不一致。列表要写成“字段:”单独一行，下面每项一行“  - 项目”，缩进相同。"
TAB = "这一行用 Tab 键缩进了。YAML 只允许用空格缩进，请把 Tab 换成两个空格。"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    return site_files(tmp_path_factory.mktemp("yaml") / "site", {"content/jx/a.md": ""})


def post(*lines: str) -> bytes:
    return "\n".join(["---", *lines, "---", "正文。", ""]).encode("utf-8")


BASE = ("date: 2026-03-05", "section: 通知公告")

# name -> (front-matter lines, the expected problems as (line, severity, message))
SYNTAX: dict[str, tuple[tuple[str, ...], list[tuple[int, str, str]]]] = {
    "bad-indentation": (("title: 标题", "  date: 2026-03-05", "section: 通知公告"), [(3, "错误", INDENT)]),
    "colon-in-value": (
        ("title: 时间: 下午", *BASE),
        [(2, "错误", LEAD + "这一行的值里有冒号加空格“: ”，YAML 会把它当成新的字段。请用英文引号把整个值括起来，例如“title: \"时间: 下午\"”（或改用全角冒号“：”）。")],
    ),
    "unclosed-double-quote": (('title: "没有结束', *BASE), [(2, "错误", QUOTE)]),
    "unclosed-single-quote": (("title: '没有结束", *BASE), [(2, "错误", QUOTE)]),
    "tab-indentation": (("title: 标题", *BASE, "tags:", "\t- 学习"), [(6, "错误", TAB)]),
    "stray-item-under-scalar": (("title: 标题", *BASE, "- 学习"), [(5, "错误", ITEM)]),
    "item-out-of-line": (("title: 标题", *BASE, "tags:", "  - 学习", " - 党课"), [(7, "错误", ITEM)]),
    "unclosed-bracket": (("title: 标题", *BASE, "tags: [学习, 党课"), [(5, "错误", LEAD + "这一行的方括号 [ 或花括号 { 没有成对结束：列表要写成“[甲, 乙]”，括号要成对。")]),
    "undefined-alias": (
        ("title: *nope", *BASE),
        [(2, "错误", LEAD + "引用“*nope”之前没有定义它。“&名字”定义锚点，“*名字”引用它，引用前必须先定义；值以 & 或 * 开头时请加引号。")],
    ),
    "control-character": (("title: 标\x07题", *BASE), [(2, "错误", LEAD + "含有 YAML 不允许的字符（U+0007），请删除这一行中的不可见字符。")]),
}


@pytest.mark.parametrize("name", sorted(SYNTAX))
def test_yaml_syntax_error_in_chinese(name: str, files: dict) -> None:
    lines, expected = SYNTAX[name]
    problems, html = one_post(post(*lines), files)
    assert html is None
    got = [(p.line, "错误" if p.is_error else "警告", p.message) for p in problems]
    assert got == expected, "\n".join(p.format() for p in problems)
    for p in problems:
        assert not ENGLISH.search(p.message), p.message


def test_colon_in_a_value_needs_a_space_to_be_one(files: dict) -> None:
    """`title: 会议：纪要` and `title: 10:30 开会` are fine: only ": " starts a new field."""
    for title in ("会议：纪要", "10:30 开会", "https://example.edu.cn"):
        problems, html = one_post(post(f"title: {title}", *BASE), files)
        assert html is not None and not problems, [p.format() for p in problems]


@pytest.mark.parametrize(("space", "note"), [("\u3000", WIDE_NOTE), ("\u00a0\u00a0", NBSP_NOTE)])
def test_full_width_space_indentation_reads_as_spaces(space: str, note: str, files: dict) -> None:
    raw = post("title: 标题", *BASE, "tags:", f"{space}- 三会一课", f"{space}- 主题党日")
    problems, html = one_post(raw, files)
    assert html is not None
    assert [(p.line, p.is_error, p.message) for p in problems] == [(6, False, note), (7, False, note)]


def test_full_width_space_as_indentation_of_a_key_reads_too(files: dict) -> None:
    problems, _ = one_post(post("title: 标题", "\u3000date: 2026-03-05", "section: 通知公告"), files)
    assert [(p.line, p.is_error, p.message) for p in problems] == [(3, False, WIDE_NOTE), (3, True, INDENT)]


def test_full_width_spaces_inside_a_block_value_are_text(files: dict) -> None:
    """A summary's paragraph that starts with two full-width spaces (Chinese typesetting) is left alone."""
    problems, html = one_post(post("title: 标题", *BASE, "summary: |", "  \u3000\u3000本次会议学习了文件。"), files)
    assert html is not None and not problems, [p.format() for p in problems]


FIVE = post(
    "title: 时间: 下午",  # 2: a colon in the value
    "date: 2026-02-30",  # 3: a day that does not exist
    "section: 通知",  # 4: unknown section
    "meeting: 支部委员",  # 5: unknown meeting
    "branch: jx-jg9",  # 6: unknown branch
)
FIVE_EXPECTED = [
    (2, LEAD + "这一行的值里有冒号加空格“: ”，YAML 会把它当成新的字段。请用英文引号把整个值括起来，例如“title: \"时间: 下午\"”（或改用全角冒号“：”）。"),
    (3, "日期“2026-02-30”不存在：2026年2月只有 28 天。"),
    (4, "栏目“通知”不存在，是不是“通知公告”？可选：通知公告、党建动态、支部生活、特色阵地。"),
    (5, "会议类型“支部委员”不存在，是不是“支部委员会”？可选：支部党员大会、支部委员会、党小组会、党课、主题党日、组织生活会、党委会、党政联席会、中心组学习。"),
    (6, "支部“jx-jg9”不在 content/jx/_unit.toml 中，是不是“jx-jg1”？可选：jx-jg1（机械工程学院第一教工党支部）、jx-xs1（机械工程学院本科生党支部）。"),
]


def test_five_mistakes_five_messages(files: dict) -> None:
    problems, html = one_post(FIVE, files)
    assert html is None
    assert [(p.line, p.message) for p in problems if p.is_error] == FIVE_EXPECTED, "\n".join(p.format() for p in problems)
    # the unreadable title is not also reported as missing
    assert not any("缺少" in p.message for p in problems)


def test_five_mistakes_through_the_cli(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": FIVE.decode("utf-8")})
    proc = run_cli("check", str(site))
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    for line, message in FIVE_EXPECTED:
        assert f"content/jx/a.md:{line}: 错误：{message}" in proc.stderr, proc.stderr
    assert not ENGLISH.search(proc.stdout + proc.stderr), proc.stdout + proc.stderr


def test_unclosed_quote_does_not_hide_the_fields_below(files: dict) -> None:
    problems, _ = one_post(post('title: "会议纪要', "date: 2026-13-01", "section: 通知公告"), files)
    assert [(p.line, p.message) for p in problems if p.is_error] == [(2, QUOTE), (3, "日期“2026-13-01”不存在：月份应当在 1 到 12 之间。")]


def test_fields_read_line_by_line_keep_their_lines_and_checks(files: dict) -> None:
    """A list under the broken line, a phone number in a later value, and a long front-matter: all still checked, quickly."""
    import time

    lines = ("title: 时间: 下午", *BASE, "tags:", "  - " + "签" * 41, "summary: 联系电话 13800138000", *(f"note{i}: 值" for i in range(3000)))
    started = time.perf_counter()
    problems, _ = one_post(post(*lines), files)
    assert time.perf_counter() - started < 10
    errors = [(p.line, p.message) for p in problems if p.is_error]
    assert errors[0][0] == 2 and errors[0][1].startswith(LEAD), errors[:3]
    assert errors[1][0] == 6 and "每个标签最多 40 个字" in errors[1][1], errors[:3]
    assert any(p.line == 7 and "138****8000" in p.message for p in problems), [p.format() for p in problems if p.line == 7]
    assert sum("未知的字段“note" in p.message for p in problems) == 3000


def test_blank_line_of_full_width_spaces_is_read_silently(files: dict) -> None:
    problems, html = one_post(post("title: 标题", "\u3000\u3000", *BASE), files)
    assert html is not None and not problems, [p.format() for p in problems]


def test_every_yaml_error_of_a_file_in_one_run(files: dict) -> None:
    """YAML stops at its first error; each entry read on its own shows the others too, each once."""
    raw = post("title: 时间: 下午", *BASE, "summary: '没完", "tags:", "  - 学习", " - 党课", "abc", "category: 甲: 乙")
    problems, _ = one_post(raw, files)
    got = [(p.line, p.message) for p in problems if p.is_error]
    assert got == [
        (2, LEAD + "这一行的值里有冒号加空格“: ”，YAML 会把它当成新的字段。请用英文引号把整个值括起来，例如“title: \"时间: 下午\"”（或改用全角冒号“：”）。"),
        (5, QUOTE),
        (8, ITEM),
        (9, LEAD + "这一行不是“字段: 值”的形式（缺少半角冒号加空格）。如果它接着上一行的值，请把它写到上一行里，或用引号把整个值括起来。"),
        (10, LEAD + "这一行的值里有冒号加空格“: ”，YAML 会把它当成新的字段。请用英文引号把整个值括起来，例如“category: \"甲: 乙\"”（或改用全角冒号“：”）。"),
    ], "\n".join(p.format() for p in problems)
    assert not any(ENGLISH.search(p.message) for p in problems)


def test_an_unclosed_bracket_is_told_once(files: dict) -> None:
    problems, _ = one_post(post("title: 标题", *BASE, "tags: [学习, 党课", "category: 理论学习"), files)
    assert [(p.line, p.message) for p in problems if p.is_error] == [(6, LEAD + "第 5 行开始的方括号 [ 或花括号 { 没有成对结束：列表要写成“[甲, 乙]”，括号要成对。")]


def test_an_alias_to_an_earlier_entry_is_no_mistake_of_its_own(files: dict) -> None:
    problems, _ = one_post(post("tags: &t [学习]", "title: 标题", *BASE, "category: *t", "summary: 甲: 乙"), files)
    assert [p.line for p in problems if p.is_error] == [7], [p.format() for p in problems]
