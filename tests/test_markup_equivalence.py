"""Parse and render stages: the shortcuts of the hot path give what the slow path gives.

`MarkupRenderer` skips Python-Markdown's inline patterns on a text holding
none of their triggers (`_PlainTextSkippingInline`), and the privacy scan
maps full-width forms with a regex instead of ``str.translate``
(`privacy._halfwidth`), and the post template makes its search terms with a
filter (`theme.search_terms`) instead of a Jinja loop. All three are speed
only: these tests hold them to the stock results on generated text, and
fail when a Python-Markdown upgrade brings inline patterns the trigger does
not cover.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor
from markupsafe import Markup

from generator.core import privacy
from generator.parse.markup import _INLINE_PATTERNS, MarkupRenderer, _PlainTextSkippingInline
from generator.render.theme import search_terms

QUICK = MarkupRenderer()
STOCK = MarkupRenderer()
STOCK._md.treeprocessors.register(InlineProcessor(STOCK._md), "inline", 20)

# Pieces of inline Markdown and of the prose around them: every trigger, and what looks like one.
PIECES = [
    "党支部", "学习", "，", "。", "１２３", "　", " ", "  \n", "\n", "\n\n", "- ", "1. ", "## ", "> ", "|", " | ", "---",
    "**", "*", "_", "__", "`", "``", "\\", "\\*", "[", "]", "(", ")", "[链接](http://x.cn/a_b)", "![图](a.png)", "[^1]",
    "\n\n[^1]: 注", "[参考][r]", "\n\n[r]: http://r.cn", "<b>", "</b>", "<http://a.cn>", "<a@b.cn>", "&amp;", "&#20826;",
    "&", "<", "!", "~", "#", "：", "（", "）", "\u200b", "x_y_z", "2*3*4", "\t",
]


def _both(text: str) -> tuple[str, str]:
    QUICK._md.reset()
    STOCK._md.reset()
    return QUICK._md.convert(text), STOCK._md.convert(text)


def test_the_quick_inline_pass_is_in_place_and_covers_every_registered_pattern() -> None:
    # A failure here after an upgrade of Python-Markdown: look at its new inline patterns,
    # add their triggers to _INLINE_TRIGGER and their names to _INLINE_PATTERNS.
    assert {item.name for item in QUICK._md.inlinePatterns._priority} == _INLINE_PATTERNS
    assert type(QUICK._md.treeprocessors["inline"]) is _PlainTextSkippingInline
    assert type(STOCK._md.treeprocessors["inline"]) is InlineProcessor


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@settings(max_examples=600, deadline=None, derandomize=True)
def test_skipping_plain_text_changes_no_html(text: str) -> None:
    quick, stock = _both(text)
    assert quick == stock


def test_the_demo_shapes_render_alike() -> None:
    text = "# 标题\n\n正文**加粗**与*强调*，`代码`，[链接](a.md)。\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n\n纯文本段落，没有任何标记。\n\n```\ncode_here * x\n```\n"
    quick, stock = _both(text)
    assert quick == stock
    assert "<strong>加粗</strong>" in quick and "<code>代码</code>" in quick


def test_halfwidth_is_translate() -> None:
    every = "".join(chr(c) for c in range(0x20, 0x3100)) + "".join(chr(c) for c in range(0xFE00, 0x10000))
    assert privacy._halfwidth(every) == every.translate(privacy._FULLWIDTH)
    assert privacy._halfwidth("１３９　１２３４，５６７８") == "139 1234,5678"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFFF), max_size=60))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_halfwidth_is_translate_on_any_text(text: str) -> None:
    assert privacy._halfwidth(text) == text.translate(privacy._FULLWIDTH)


@given(st.text(alphabet=st.sampled_from("党支部 计算机学院&<>\"'a"), max_size=30))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_the_search_terms_filter_writes_what_the_template_loop_wrote(text: str) -> None:
    import jinja2

    env = jinja2.Environment(autoescape=True)
    env.filters["search_terms"] = search_terms
    loop = env.from_string("{% for n in (1, 2, 3) %}{% for i in range(terms|length - n + 1) %}{{ terms[i:i + n] }} {% endfor %}{% endfor %}")
    filtered = env.from_string("{{ terms|search_terms }}")
    assert filtered.render(terms=text) == loop.render(terms=text)
    assert filtered.render(terms=Markup(text)) == loop.render(terms=Markup(text))
