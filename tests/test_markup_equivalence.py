"""Parse and render stages: the shortcuts of the hot path give what the slow path gives.

`MarkupRenderer` skips Python-Markdown's inline patterns on a text holding
none of their triggers (`_PlainTextSkippingInline`), and the privacy scan
maps full-width forms with a regex instead of ``str.translate``
(`privacy._halfwidth`), and the post template makes its search terms with a
filter (`theme.search_terms`) instead of a Jinja loop. The sanitiser is an
``nh3.Cleaner`` configured once instead of ``nh3.clean`` with the allow-lists
on every call, and a body's plain text is its sanitised HTML with the tags
removed by a regex (`markup.sanitised_text`) instead of a second nh3 pass;
a body without "](", "]:" or "=" is not searched for links to documents
(`paths._body_documents`).
All are speed only: these tests hold them to the stock results on generated
text, and fail when a Python-Markdown upgrade brings inline patterns the
trigger does not cover.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor
from markupsafe import Markup

from generator.core import privacy
from generator.core.model import Post
from generator.parse import markup
from generator.parse.markup import _INLINE_PATTERNS, MarkupRenderer, _PlainTextSkippingInline
from generator.parse.paths import _body_documents
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


# Pieces of HTML as authors paste it from Word and WeChat, and as attackers write it: every
# allowed tag, dropped tags with and without content, quotes and brackets inside attribute
# values, entities, comments, tables with stray text, unclosed and misnested tags.
HTML_PIECES = [
    "党支部", "学习", " ", "\n", "\u3000", "\xa0", "&nbsp;", "&amp;", "&lt;", "&gt;", "&quot;", "&#20826;", "&", "<", ">", '"', "'",
    "<p>", "</p>", "<br>", "<b>", "</b>", "<i>", "<a href='x.md' title='a>b\"c'>", "<a href=\"http://x.cn/?a=1&b=2\">", "</a>",
    "<img src='a.png' alt='图 <1>'>", "<img src=x onerror=alert(1)>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>",
    "<caption>", "<thead>", "<th scope=col>", "<pre>", "</pre>", "<code>", "</code>", "<script>x<y</script>", "<style>p{}</style>",
    "<!-- 注释 -->", "<template>t</template>", "<textarea>a<b>c</textarea>", "<svg><title>s</title></svg>", "<math>m</math>",
    "<div class='toc evil'>", "</div>", "<span lang=zh>", "</span>", "<h2 id='会议'>", "</h2>", "<ol start=3>", "<li>", "</ol>",
    "<sup id=fn:1>", "<noscript>n</noscript>", "<iframe src=x>i</iframe>", "<object>o</object>", "<form><input value=v>",
    "<xmp><b></xmp>", "<plaintext>", "<details><summary>s</summary>", "javascript:alert(1)", "<a href='javascript:x'>j</a>",
    "<pre title='a>b'>", "<b title='<pre'>", "<b title='a\"<pre>'>", "<i title=\"<pre \">", "<listing>", "\r", "\r\n", "&#13;", "&#10;", "\x00", "&#0;", "\t", "\x0c", "<PRE>", "<p\n>",
]
html_text = st.lists(st.sampled_from(HTML_PIECES), max_size=30).map("".join)


def _stock_plain_text(fragment: str) -> str:
    """What a body's text was made with: a second nh3 pass that keeps no tag, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(nh3.clean(fragment, tags=set(), attributes={}))).strip()


@given(html_text)
@settings(max_examples=800, deadline=None, derandomize=True)
def test_the_configured_sanitiser_cleans_as_nh3_clean_does(text: str) -> None:
    assert markup.sanitize(text) == nh3.clean(text, attribute_filter=markup._filter_attribute, **markup.SANITISER_OPTIONS)


@given(html_text)
@settings(max_examples=800, deadline=None, derandomize=True)
def test_the_text_of_sanitised_html_is_what_a_second_nh3_pass_leaves(text: str) -> None:
    clean = markup.sanitize(text)
    assert markup.sanitised_text(clean) == _stock_plain_text(clean)


def test_whitespace_is_collapsed_as_the_regex_did_for_every_character() -> None:
    every = "".join(chr(c) for c in range(0x10000))
    text = "a" + "b".join(every) + "c"
    assert " ".join(text.split()) == re.sub(r"\s+", " ", text).strip()


@given(st.lists(st.sampled_from([*PIECES, *HTML_PIECES]), max_size=40).map("".join))
@settings(max_examples=400, deadline=None, derandomize=True)
def test_a_rendered_body_is_what_nh3_clean_with_its_link_filter_gives(text: str) -> None:
    post = Post("jx", "a", "content/jx/a.md", "题", dt.datetime(2026, 3, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))), False, "life", (), None, None, (), (), False, "", text, 5, False)
    body, _, _ = QUICK.render(post, {})
    QUICK._md.reset()
    raw = QUICK._md.convert(text)
    links = markup._Links(post, "content/" + post.unit, {}, markup._Locator(text, 1))
    assert body.html == nh3.clean(raw, attribute_filter=links.filter, **markup.SANITISER_OPTIONS)
    assert body.text == _stock_plain_text(body.html)
    assert QUICK._filter.links is None  # the filter is the body's own only while it is cleaned


def test_a_renderer_is_freed_once_unused() -> None:
    # Its sanitiser (Rust) holds its attribute filter out of the garbage collector's sight:
    # a filter leading back to the renderer would keep each one alive (BodyLoader makes many).
    import gc
    import weakref

    renderer = MarkupRenderer()
    post = Post("jx", "a", "content/jx/a.md", "题", dt.datetime(2026, 3, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))), False, "life", (), None, None, (), (), False, "", "[链接](b.pdf)", 5, False)
    renderer.render(post, {})
    gone = weakref.ref(renderer)
    del renderer
    gc.collect()
    assert gone() is None


class _EveryFile(dict):
    """Files as if every path a body names existed: each reference found counts."""

    def __contains__(self, key: object) -> bool:
        return True


@given(st.lists(st.sampled_from([*PIECES, *HTML_PIECES, "]", ":", "=", "(", "[a]: b.pdf", "](b.pdf)", "SRC", "Href", "a.pdf"]), max_size=30).map("".join))
@settings(max_examples=600, deadline=None, derandomize=True)
def test_the_document_search_finds_what_it_finds_without_its_shortcut(text: str) -> None:
    # A first line "=" sends any body down the full search and can be no part of a reference
    # (href/src come before their "="; a reference definition starts its line with "[").
    full = _body_documents("=\n" + text, "content/jx", "content/jx", _EveryFile(), 0)
    assert _body_documents(text, "content/jx", "content/jx", _EveryFile(), 1) == full


def test_the_document_search_still_finds_each_kind_of_reference() -> None:
    files = {f"content/jx/{n}.pdf": None for n in "abc"}
    body = "见[通知](a.pdf)。\n[r]: b.pdf\n<a href='c.pdf'>附件</a>"
    assert _body_documents(body, "content/jx", "content/jx", files, 7) == [("content/jx/a.pdf", 7), ("content/jx/b.pdf", 8), ("content/jx/c.pdf", 9)]
    assert _body_documents("只有正文，没有链接。", "content/jx", "content/jx", files) == []
