"""serve's fast render (`Builder.preview_first`, `build.preview`): a saved body's page first, exactly the build's.

In process, with the builder `serve` uses (deferred search and state); the
server's side of it (the reload, the terminal) is in test_serve.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import post_text, replace_once, write_site

from generator.build.builder import Builder, BuildOptions
from generator.write.state import STATE_FILE

AS_OF = dt.date(2026, 6, 30)
A = "content/jx/2026/a.md"
A_PAGE = "jx/a/index.html"

SITE: dict[str, str | bytes] = {
    A: post_text("三月支部委员会", "2026-03-05", "支部生活", "## 议题\n\n学习。", meeting="支部委员会", branch="jx-jg1", tags=["学习"]),
    "content/jx/2026/b.md": post_text("三月主题党日", "2026-03-10", "支部生活", "参观。", meeting="主题党日", branch="jx-jg1"),
    "content/jx/2026/c.md": post_text("四月通知", "2026-04-01", "通知公告", "请参加。"),
}


def pages(out: Path) -> dict[str, bytes]:
    """The pages and feeds (the deferred search index is not written here)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.suffix in (".html", ".xml") and "pagefind" not in p.parts}


def clean(site: Path, out: Path) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    return pages(out)


def serve_builder(site: Path, out: Path) -> Builder:
    return Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1, defer_search=True, defer_save=True))


@pytest.fixture
def warm(tmp_path: Path) -> tuple[Path, Path, Builder]:
    site = write_site(tmp_path / "site", dict(SITE))
    out = tmp_path / "out"
    builder = serve_builder(site, out)
    first = builder.build()
    assert first.ok, [p.format() for p in first.problems]
    return site, out, builder


def test_a_body_edit_is_written_first_byte_for_byte_as_the_build_writes_it(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    replace_once(site, A, "学习。", "学习新的内容。")
    # an editor's temporary file, come and gone, is in the same batch
    assert builder.preview_first((A, "content/jx/2026/.a.md.swp")) == (A_PAGE,)
    first = (out / A_PAGE).read_bytes()
    assert "学习新的内容".encode() in first
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems]
    assert A_PAGE in result.rendered and A_PAGE not in result.written  # the build found the bytes already right
    assert pages(out) == clean(site, tmp_path / "clean")
    assert (out / A_PAGE).read_bytes() == first


@pytest.mark.parametrize(
    "change",
    [("学习。", "学习新的内容。"), ("三月支部委员会", "三月支部委员会（修订）"), ("三月支部委员会", "三月支部委员会 <b>&amp;</b>")],
    ids=["body", "title", "title-markup"],
)
def test_every_page_a_body_or_title_edit_changes_is_written_first_exactly(warm, tmp_path: Path, change: tuple[str, str]) -> None:
    site, out, builder = warm
    before = pages(out)
    replace_once(site, A, *change)
    first = builder.preview_first((A,))
    after = clean(site, tmp_path / "clean")
    changed = {p for p, data in after.items() if p.endswith(".html") and before.get(p) != data}
    assert changed and changed <= set(first), changed - set(first)
    assert all((out / p).read_bytes() == after[p] for p in first)
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems]
    assert not [p for p in result.written if p.endswith(".html")]  # the build found them right
    assert pages(out) == after


@pytest.mark.parametrize(
    ("paths", "change"),
    [
        ((A,), ("tags: [学习]", "tags: [学习, 调研]")),  # the tag pages list it
        ((A,), ("2026-03-05", "2026-03-07")),  # its place in every list
        ((A,), ("学习。", "身份证号 11010519491231002X 。")),  # refused by the privacy gate: the build reports it
        ((A,), ("date: 2026-03-05", "date: 2026-13-05")),  # an error
        ((A, "site.toml"), ("学习。", "学习新的内容。")),  # something besides posts was saved
        ((A,), ("学习。", "[链接](c.md)")),  # a link: the files it references changed
    ],
    ids=["tag", "date", "privacy", "error", "site-toml", "link"],
)
def test_anything_but_a_body_or_title_edit_is_left_to_the_build(warm, paths: tuple[str, ...], change: tuple[str, str]) -> None:
    site, out, builder = warm
    (site / "site.toml").touch()  # (saved with the post in the "site-toml" case: a file that exists)
    before = pages(out)
    replace_once(site, A, *change)
    assert builder.preview_first(paths) == ()
    assert pages(out) == before


def test_a_new_post_is_left_to_the_build(warm) -> None:
    site, out, builder = warm
    (site / "content/jx/2026/e.md").write_text(post_text("五月通知", "2026-05-02", "通知公告", "新的。"), encoding="utf-8")
    assert builder.preview_first(("content/jx/2026/e.md",)) == ()
    assert not (out / "jx/e/index.html").exists()


def test_no_state_vouches_for_a_page_written_first_when_the_build_after_it_fails(warm, tmp_path: Path) -> None:
    """Written first, the build fails elsewhere, the edit is undone: the page is the old one again.

    Both ways the next build may start: this builder (its state in memory) and a
    new process (the state saved before the fast render, which it withdrew)."""
    site, out, builder = warm
    builder.save_deferred()
    assert (out / STATE_FILE).is_file()
    original = clean(site, tmp_path / "clean")
    replace_once(site, A, "学习。", "学习新的内容。")
    assert builder.preview_first((A,)) == (A_PAGE,)
    assert not (out / STATE_FILE).exists()  # it vouched for the old page's bytes
    replace_once(site, "content/jx/2026/c.md", "2026-04-01", "2026-04-31")
    assert not builder.build().ok
    assert "学习新的内容".encode() in (out / A_PAGE).read_bytes()  # (the failed build left the output as it was)
    replace_once(site, A, "学习新的内容。", "学习。")
    replace_once(site, "content/jx/2026/c.md", "2026-04-31", "2026-04-01")

    fresh = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))  # another process, on the same folder
    assert fresh.build().ok
    assert pages(out) == original

    replace_once(site, A, "学习。", "再次修改。")
    assert serve_builder(site, out).build().ok
    assert builder.preview_first((A,)) == ()  # another build wrote the folder: this builder's model is not its
    replace_once(site, A, "再次修改。", "学习。")
    assert builder.build().ok
    assert pages(out) == original


def test_a_fast_render_then_a_failed_build_in_the_same_builder_renders_the_page_again(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    original = clean(site, tmp_path / "clean")
    replace_once(site, A, "学习。", "学习新的内容。")
    assert builder.preview_first((A,)) == (A_PAGE,)
    replace_once(site, "content/jx/2026/c.md", "2026-04-01", "2026-04-31")
    assert not builder.build().ok
    replace_once(site, A, "学习新的内容。", "学习。")
    replace_once(site, "content/jx/2026/c.md", "2026-04-31", "2026-04-01")
    result = builder.build()
    assert result.ok and A_PAGE in result.written
    assert pages(out) == original
    builder.save_deferred()
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    assert pages(out) == original


def test_a_title_edit_deep_in_paginated_lists_writes_exactly_the_pages_that_show_it(tmp_path: Path) -> None:
    """30 posts in one column, 4 to a page, two tags, three months: the edited post sits on a numbered page."""
    files: dict[str, str | bytes] = {
        f"content/jx/2026/p{i:02d}.md": post_text(
            f"第{i}次会议", f"2026-{1 + i % 3:02d}-{1 + i % 28:02d}", "支部生活", f"第{i}次的正文。", tags=["学习" if i % 2 else "调研"]
        )
        for i in range(30)
    }
    site = write_site(tmp_path / "site", files, config="[site]\npage_size = 4\nlatest = 3\n")
    out = tmp_path / "out"
    builder = serve_builder(site, out)
    assert builder.build().ok
    before = pages(out)
    for i, rel in ((7, "content/jx/2026/p07.md"), (29, "content/jx/2026/p29.md")):  # mid-list, then the newest
        replace_once(site, rel, f"第{i}次会议", f"第{i}次会议（修订）")
        first = builder.preview_first((rel,))
        after = clean(site, tmp_path / "clean")
        changed = {p for p, data in after.items() if p.endswith(".html") and before.get(p) != data}
        assert len(changed) >= 6 and changed <= set(first), changed - set(first)
        assert all((out / p).read_bytes() == after[p] for p in first)
        assert builder.build().ok
        assert pages(out) == after
        before = after


def test_after_a_failed_build_nothing_is_written_first_until_a_good_one(warm) -> None:
    """A broken site.toml (the build stops before parsing): the last model is no longer the site's."""
    site, _out, builder = warm
    (site / "site.toml").write_text("[site\n", encoding="utf-8")
    assert not builder.build().ok
    replace_once(site, A, "学习。", "学习新的内容。")
    assert builder.preview_first((A,)) == ()
    (site / "site.toml").unlink()
    assert builder.build().ok
    replace_once(site, A, "学习新的内容。", "学习。")
    assert builder.preview_first((A,)) == (A_PAGE,)
