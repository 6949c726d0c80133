"""Issue 16: generated personal numbers, hidden by generated encodings, never get through.

Hypothesis makes valid 18-digit IDs (GB 11643 check character), mobile numbers
and Luhn-valid card numbers, and hides each one with random encodings — YAML
escapes, HTML character references, inline markup, comments, full-width
digits, zero-width characters, line breaks and YAML line folding — in a random
front-matter field or body position. Every encoding leaves the number visible
to a reader, so the post must fail with a privacy error.

The bulk runs in process and string-level (parse, render, rendered-text scan:
the same calls the builder makes per post), so a few hundred examples take
seconds; a handful of real builds (each from a copy of one good site and its
output, built once) then check that no output file holds the number.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import post_text, write_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build.builder import Builder, BuildOptions
from generator.core.errors import Kind
from generator.core.model import Unit
from generator.core.privacy import id18_valid, luhn_valid
from generator.load.config import SiteConfig
from generator.parse.markup import MarkupRenderer, reader_lines
from generator.parse.post import parse_post, rendered_problems

UNIT = Unit("jx", "机械学院党委", "教学单位", 1, (), "content/jx/_unit.toml")
CONFIG = SiteConfig()
MARKUP = MarkupRenderer()
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# -- the numbers ------------------------------------------------------------


@st.composite
def mobiles(draw) -> str:
    return "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))


@st.composite
def ids(draw) -> str:
    area = draw(st.integers(110000, 659999))
    born = draw(st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31)))
    head = f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    check = next(c for c in "0123456789X" if id18_valid(head + c))
    return head + check


@st.composite
def cards(draw) -> str:
    head = "62" + draw(st.text("0123456789", min_size=13, max_size=16))
    return head + next(d for d in "0123456789" if luhn_valid(head + d))


numbers = st.one_of(mobiles(), ids(), cards())


# -- the encodings ------------------------------------------------------------


def _cuts(draw, n: int, most: int) -> list[int]:
    """Sorted distinct positions 1..n-1 between characters."""
    return sorted(draw(st.sets(st.integers(1, n - 1), max_size=most)))


@st.composite
def body_forms(draw, number: str, newline: bool) -> str:
    """The number as Markdown/HTML a reader sees as the number."""
    chars = []
    for ch in number:
        form = draw(st.sampled_from(("plain", "full", "dec", "hex"))) if ch.isdigit() else draw(st.sampled_from(("plain", "full")))
        chars.append({"plain": ch, "full": ch.translate(FULL), "dec": f"&#{ord(ch)};", "hex": f"&#x{ord(ch):x};"}[form])
    cuts = _cuts(draw, len(chars), 4)
    wrap = draw(st.sampled_from((None, ("**", "**"), ("<b>", "</b>"), ("<span>", "</span>"), ("<em>", "</em>"), ("<strong>", "</strong>"))))
    inserts: dict[int, str] = {}
    if wrap is not None and len(cuts) >= 2:
        a, b = cuts[0], cuts[-1]
        inserts[a], inserts[b] = wrap
        cuts = cuts[1:-1]
    used_newline = False
    for at in cuts:
        kinds = ["zw", "comment"] + (["newline"] if newline and not used_newline else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "newline":
            used_newline = True
            inserts[at] = "\n"
        else:
            inserts[at] = draw(st.sampled_from(ZERO_WIDTH)) if kind == "zw" else "<!-- 备注 -->"
    return "".join(inserts.get(i, "") + c for i, c in enumerate(chars))


@st.composite
def yaml_forms(draw, number: str) -> str:
    """The number inside a double-quoted YAML scalar: escapes, full width, zero width, folding."""
    out = []
    for ch in number:
        form = draw(st.sampled_from(("plain", "full", "x", "u")))
        out.append({"plain": ch, "full": ch.translate(FULL), "x": f"\\x{ord(ch):02x}", "u": f"\\u{ord(ch):04x}"}[form])
    for at in reversed(_cuts(draw, len(out), 2)):
        # a zero-width character, or a line break escaped with "\" (folded away)
        out.insert(at, draw(st.sampled_from(("\\u200b", "\\\n  "))))
    return "".join(out)


BODY_PLACES = {
    "paragraph": ("开头一段。\n\n联系人王五 {X} 。\n\n结尾。", True),
    "list": ("- 第一项\n- 联系人 {X}\n- 第三项", True),
    "quote": ("> 引文：{X} 到此", True),
    "heading": ("## 联系 {X}\n\n正文", False),
    "table": ("| 姓名 | 电话 |\n| --- | --- |\n| 王五 | {X} |", False),
    "link-text": ("请见 [联系 {X}](https://www.example.edu.cn/) 。", False),
}


@st.composite
def hiding_posts(draw) -> tuple[str, str]:
    """(post text, the number) with the number hidden in a random place."""
    number = draw(numbers)
    place = draw(st.sampled_from(["title", "summary", "tags", *BODY_PLACES]))
    if place in BODY_PLACES:
        template, newline = BODY_PLACES[place]
        body = template.replace("{X}", draw(body_forms(number, newline)))
        return post_text("通知", "2026-03-05", "通知公告", body), number
    hidden = draw(yaml_forms(number))
    value = {"title": f'"联系 {hidden}"', "summary": f'"联系 {hidden}"', "tags": f'["学习", "联系 {hidden}"]'}[place]
    if place == "title":
        return post_text(value, "2026-03-05", "通知公告", "正文"), number
    return post_text("通知", "2026-03-05", "通知公告", "正文", **{place: value}), number


def check_post(text: str) -> list:
    """What the builder does for one post (`build._parse_one`), in process."""
    post, problems = parse_post(text.encode("utf-8"), "content/jx/a.md", UNIT, CONFIG, {})
    if post is None:
        return problems
    rendered, _, probs = MARKUP.render(post, {})
    return rendered_problems(post, reader_lines(rendered.html), CONFIG, [*problems, *probs])


@given(hiding_posts())
@settings(max_examples=400, deadline=None, derandomize=True)
def test_hidden_numbers_are_found_and_never_printed(case: tuple[str, str]) -> None:
    text, number = case
    problems = check_post(text)
    assert any(p.is_error and p.kind is Kind.PRIVACY for p in problems), (text, [p.format() for p in problems])
    for p in problems:
        assert number not in p.format(), p.format()


@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Path:
    """A one-post site built once (root/site → root/out); each example works on a copy."""
    root = tmp_path_factory.mktemp("good")
    site = write_site(root / "site", {"content/jx/ok.md": post_text("好", "2026-03-05", "通知公告", "好文章")})
    assert Builder(BuildOptions(site, root / "out", as_of=dt.date(2026, 11, 27))).build().ok
    return root


@given(hiding_posts())
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_hidden_numbers_reach_no_output_file(tmp_path_factory, good_build: Path, case: tuple[str, str]) -> None:
    text, number = case
    # the good site and its output (pages, state, caches) as the first build left them
    root = tmp_path_factory.mktemp("hidden")
    shutil.copytree(good_build, root, symlinks=True, dirs_exist_ok=True)
    site, out = root / "site", root / "out"
    (site / "content/jx/a.md").write_text(text, encoding="utf-8")
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 11, 27))).build()
    assert not result.ok
    for path in Path(out).rglob("*"):
        if path.is_file():
            assert number.encode() not in path.read_bytes(), path
