"""Search stage: the whole index a first build begins before its commit (`search.index.WholeIndex`).

The render workers read each post page's shard and filters from the bytes
they made; Pagefind indexes every shard while the builder stages its other
files and commits; after the commit the shards go into place only if the
output's post pages are the ones read. Each test compares with the index the
usual run after the commit makes (`NotWhole`), byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from conftest import post_text, write_site
from test_search import POSTS, WY_UNIT, _live_pagefinds, tree, with_search_theme

import generator.build.builder as build_module
import generator.write.output
from generator.build.builder import Builder, BuildOptions
from generator.core.errors import error
from generator.render.files import StagedFiles
from generator.search import index as search
from generator.search import pagefind, shards
from generator.search.index import SearchIndex
from generator.search.indexer import ShardIndexer
from generator.write.output import STAGING, staged_name

pytestmark = pytest.mark.skipif(pagefind.pagefind_binary() is None, reason="没有 Pagefind（pip install 'pagefind[extended]'）")

FILES = {
    **POSTS,
    "content/wy/_unit.toml": WY_UNIT,
    "content/wy/2025/xuexi.md": post_text("外国语学院党委理论学习中心组学习会", "2025-09-02", "党建动态", "学习民法典。"),
}
HIDDEN = (shards.CHANGING, shards.DIRTY, shards.SCRATCH, STAGING)


class NotWhole(SearchIndex):
    """The usual indexing run after the commit, never one begun before it: the reference."""

    def whole_update(self, out_dir: Path) -> bool:
        return False


class Spying(SearchIndex):
    """Records the `WholeIndex` objects it makes and every page `read_member` reads."""

    def __init__(self, indexer: ShardIndexer | None = None) -> None:
        super().__init__(indexer=indexer, read_member=self._read)
        self.wholes: list[search.WholeIndex] = []
        self.read: list[str] = []

    def _read(self, page: Path) -> shards.Member | None:
        self.read.append(page.as_posix())
        return shards.member(page)

    def whole(self, *args, **kwargs) -> search.WholeIndex:
        self.wholes.append(made := super().whole(*args, **kwargs))
        return made


def run(site: Path, out: Path, index: SearchIndex, jobs: int | None = None):
    options = BuildOptions(site, out, as_of=dt.date(2026, 3, 31)) if jobs is None else BuildOptions(site, out, as_of=dt.date(2026, 3, 31), jobs=jobs)
    return Builder(options, search=index).build()


def same_index(out: Path, reference: Path) -> None:
    assert tree(out / "pagefind") == tree(reference / "pagefind")
    assert (out / shards.MEMBERS).read_bytes() == (reference / shards.MEMBERS).read_bytes()
    for hidden in HIDDEN:
        assert not (out / hidden).exists(), hidden


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The site, and its first build's output with the index made after the commit."""
    root = tmp_path_factory.mktemp("whole")
    site = with_search_theme(write_site(root / "site", dict(FILES)))
    out = root / "reference"
    assert run(site, out, NotWhole()).ok
    assert len(json.loads((out / shards.MEMBERS).read_text("utf-8"))["pages"]) == 4
    return site, out


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_first_build_indexes_every_shard_before_its_commit(tmp_path: Path, monkeypatch, reference: tuple[Path, Path], jobs: int) -> None:
    """Serial and in the render workers (jobs=2): the shards read from the made pages, not from the output."""
    site, expected = reference
    if jobs > 1:
        monkeypatch.setattr(build_module, "PARALLEL_RENDER_MIN", 2)
    index = Spying()
    out = tmp_path / "out"
    result = run(site, out, index, jobs)
    assert result.ok, [p.format() for p in result.problems]
    [whole] = index.wholes
    assert whole.outcome == "installed" and whole.error is None
    assert len(whole.members) == 4 and index.read == []  # no post page read again after the commit
    same_index(out, expected)
    # the next build starts from it as from any other: an edit re-indexes its shard alone
    assert run(site, out, index).ok and len(index.wholes) == 1 and not (out / shards.DIRTY).exists()


def test_a_page_moved_by_the_commit_while_being_linked_is_linked_where_it_went(tmp_path: Path, reference: tuple[Path, Path], monkeypatch) -> None:
    """The commit does not wait for the linking: a staged file named just before it moved is asked for again."""
    site, expected = reference
    committed = threading.Event()
    real_commit = generator.write.output.Writer.commit

    def commit(self, *args, **kwargs):
        try:
            return real_commit(self, *args, **kwargs)
        finally:
            committed.set()

    monkeypatch.setattr(generator.write.output.Writer, "commit", commit)
    stale: list[str] = []

    class Late(ShardIndexer):
        def link_site(self, out_dir, shard, pages, scratch, read=None, ahead=None):
            assert committed.wait(30)
            asked: set[str] = set()

            def first_staged(page: str) -> Path | None:  # its first answer, as `WholeIndex._read` gave it before the move
                if page not in asked:
                    asked.add(page)
                    stale.append(page)
                    return out_dir / STAGING / staged_name(page)
                return read(page)

            return super().link_site(out_dir, shard, pages, scratch, first_staged, ahead)

    index = Spying(indexer=Late())
    out = tmp_path / "out"
    result = run(site, out, index)
    assert result.ok, [p.format() for p in result.problems]
    assert index.wholes[0].outcome == "installed" and len(stale) == 4
    same_index(out, expected)


def test_a_post_page_the_build_did_not_make_means_the_usual_indexing(tmp_path: Path, reference: tuple[Path, Path]) -> None:
    """A post page in the output that no family of the build made (put there by hand) is indexed as before: after the commit, all pages read."""
    site, _ = reference
    foreign = '<html><body><article data-pagefind-body data-pagefind-filter="year:2024"><h1>手工放入的页面</h1></article></body></html>'
    outs = {}
    for name, index in (("whole", Spying()), ("usual", NotWhole())):
        out = tmp_path / name
        (out / "jx" / "shougong").mkdir(parents=True)
        (out / "jx" / "shougong" / "index.html").write_text(foreign, encoding="utf-8")
        assert run(site, out, index).ok
        outs[name] = (out, index)
    (out, index), (expected, _) = outs["whole"], outs["usual"]
    assert isinstance(index, Spying) and index.wholes[0].outcome == "fell back"
    assert "jx/2024" in {f"{s['unit']}/{s['year']}" for s in json.loads((out / "pagefind/units.json").read_text("utf-8"))["shards"]}
    same_index(out, expected)


def test_a_build_that_fails_after_it_began_leaves_nothing(tmp_path: Path, reference: tuple[Path, Path], monkeypatch) -> None:
    """A problem once every page is staged (the index has begun): Pagefind is stopped, nothing is published."""
    site, _ = reference
    problem = error("content/jx/fujian.pdf", 1, "附件太大")
    monkeypatch.setattr(build_module, "stage_files", lambda *args, **kwargs: StagedFiles({}, problem))
    index = Spying()
    out = tmp_path / "out"
    result = run(site, out, index)
    assert not result.ok and problem in result.problems
    [whole] = index.wholes
    assert whole.outcome == "dropped" and _live_pagefinds() == []
    assert not out.exists()  # a first build that failed leaves no folder (not even the scratch)


def test_the_pages_read_must_be_the_post_pages_the_output_has(tmp_path: Path) -> None:
    """`_covers` after the commit: each page read is in a unit folder of the output, and each other post page there was made."""
    out = tmp_path / "out"
    page = '<article data-pagefind-body data-pagefind-filter="year:2026">x</article>'
    for path, text in {"jx/index.html": "unit", "jx/a/index.html": page, "jx/lie/index.html": "list", "qita/b/index.html": page}.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
    member = shards.member(out / "jx/a/index.html")
    assert member == ("2026", {"year": ["2026"]})

    def covers(members: dict[str, shards.Member], made: list[str]) -> bool:
        whole = SearchIndex().whole(out, members, made, lambda page: out / STAGING / staged_name(page), [])
        prepared = search._Prepared(shards.Update(whole.members, set(), None), {}, frozenset(whole.members), ())
        return whole._covers(prepared, [])

    assert covers({"jx/a/index.html": member}, ["jx/a/index.html", "jx/lie/index.html"])
    assert covers({"jx/a/index.html": member}, ["jx/a/index.html"])  # a page not made, but no post page
    assert not covers({}, ["jx/lie/index.html"])  # a post page not made
    assert not covers({"jx/a/index.html": member, "qita/b/index.html": member}, ["jx/a/index.html", "qita/b/index.html"])  # not in a unit folder
