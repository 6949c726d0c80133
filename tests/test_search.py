"""Search: the search page, the Pagefind index (what it holds, when it is rebuilt), links.

The Pagefind attributes live in the theme's post.html and the header search box
in base.html. Until those edits are in the bundled theme, `with_search_theme`
writes them into a site-level override (themes/default/templates/) by applying
exactly the edits listed in THEME_EDITS, so the tests exercise the same markup.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO, post_text, write_site

from generator.build.builder import Builder, BuildOptions
from generator.core.errors import Kind
from generator.search import index as search
from generator.search import indexer, pagefind, shards
from generator.search.index import SearchIndex
from generator.search.indexer import ShardIndexer
from generator.search.pagefind import Service
from generator.write.output import STAGING, staged_name

BUNDLED = REPO / "themes" / "default" / "templates"

# template → (marker that says the edits are already in the bundled file, [(old, new), ...])
THEME_EDITS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "post.html": (
        "data-pagefind-body",
        [
            ('<article class="post">', '<article class="post" data-pagefind-body>'),
            (
                "<h1>{{ post.title }}</h1>",
                '<h1 data-pagefind-meta="title">{{ post.title }}</h1>\n'
                '    {% set terms = ([post.title, post.unit_name] + post.meetings)|join(" ") %}\n'
                '    <span hidden data-pagefind-meta="terms:{{ terms|search_terms }}"></span>',
            ),
            ('<dl class="post-meta">', '<dl class="post-meta" data-pagefind-ignore>'),
            (
                '<a href="{{ root }}{{ post.unit_url|u }}">{{ post.unit_name }}</a>',
                '<a href="{{ root }}{{ post.unit_url|u }}" data-pagefind-meta="unit" data-pagefind-filter="unit">{{ post.unit_name }}</a>',
            ),
            (
                '<a href="{{ root }}{{ post.section_url|u }}">{{ post.section_name }}</a>',
                '<a href="{{ root }}{{ post.section_url|u }}" data-pagefind-meta="column" data-pagefind-filter="column">{{ post.section_name }}</a>',
            ),
            (
                '<time datetime="{{ post.datetime }}">',
                '<time datetime="{{ post.datetime }}" data-pagefind-meta="date:{{ post.date }}" data-pagefind-sort="date:{{ post.date }}" data-pagefind-filter="year:{{ post.date[:4] }}">',
            ),
            (
                "<dd>{{ post.meetings|join('、') }}</dd>",
                '<dd>{% for m in post.meetings %}<span data-pagefind-filter="meeting">{{ m }}</span>{% if not loop.last %}、{% endif %}{% endfor %}</dd>',
            ),
        ],
    ),
    "base.html": (
        'role="search"',
        [
            (
                "    </nav>\n  </div>\n</header>",
                "    </nav>\n"
                '    <form class="site-search" role="search" action="{{ root }}search/index.html" method="get">\n'
                '      <label class="sr-only" for="site-search-q">搜索全站文章</label>\n'
                '      <input id="site-search-q" type="search" name="q" placeholder="搜索全站" autocomplete="off">\n'
                '      <button type="submit">搜索</button>\n'
                "    </form>\n"
                "  </div>\n</header>",
            ),
        ],
    ),
}


def with_search_theme(site: Path) -> Path:
    """Write the THEME_EDITS into ``site``'s theme override unless the bundled theme has them."""
    for name, (marker, edits) in THEME_EDITS.items():
        text = (BUNDLED / name).read_text("utf-8")
        if marker in text:
            continue
        for old, new in edits:
            assert text.count(old) == 1, f"{name} changed: {old!r} is not there once; update THEME_EDITS"
            text = text.replace(old, new)
        target = site / "themes" / "default" / "templates" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return site


POSTS = {
    "content/jx/2026/weiyuanhui-3.md": post_text(
        "第一教工党支部召开3月支部委员会", "2026-03-12 14:30", "支部生活", "会议研究了发展党员工作和主题党日安排。",
        meeting="支部委员会", branch="jx-jg1",
    ),
    "content/jx/2025/dangke.md": post_text(
        "本科生党支部开展主题党日暨党课", "2025-11-20", "支部生活", "## 党课\n\n学习党史，重温入党誓词。",
        meeting=["主题党日", "党课"], branch="jx-xs1",
    ),
    "content/jx/2026/tongzhi.md": post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习宪法。"),
}


INDEX: SearchIndex | None = None  # the index `build` hands its builders (see `use_index`); None: a new one per build


def build(site: Path, out: Path, env: dict[str, str] | None = None, index: SearchIndex | None = None):
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        chosen = index if index is not None else INDEX if INDEX is not None else SearchIndex()
        return Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31)), search=chosen).build()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def fragments(out: Path) -> dict[str, dict]:
    """Pagefind's per-page records (gzip, 'pagefind_dcd' + JSON) of every shard index, by page URL."""
    pages = {}
    for f in (out / "pagefind").glob("*/*/fragment/*"):
        data = gzip.decompress(f.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        record = json.loads(data[len(b"pagefind_dcd") :])
        pages[record["url"]] = record
    return pages


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class Recording(ShardIndexer):
    """Indexes as usual, and records each shard indexed, as the name of its scratch site ("site-<unit>-<year>"), in order."""

    def __init__(self, jobs: int = indexer.JOBS) -> None:
        super().__init__(jobs)
        self.runs: list[str] = []

    def index_shard(self, service, out_dir, shard, *rest):
        self.runs.append(shards.scratch_name("site", shard))
        return super().index_shard(service, out_dir, shard, *rest)


def use_index(monkeypatch, index: SearchIndex) -> SearchIndex:
    """`build` hands ``index`` to its builders from now on (`Builder(options, search=index)`)."""
    monkeypatch.setattr(sys.modules[__name__], "INDEX", index)
    return index


def record_shards(monkeypatch) -> list[str]:
    """The shards builds index from now on (see `Recording`)."""
    recording = Recording()
    use_index(monkeypatch, SearchIndex(indexer=recording))
    return recording.runs


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def logging_binary(tmp_path: Path) -> tuple[Path, Path]:
    """A Pagefind that logs each start (its arguments, one line) to a file, then is the real extended binary."""
    real = pagefind.pagefind_binary()
    assert real is not None
    log = tmp_path / "starts.log"
    return script(tmp_path / "pagefind-logged", f'echo "$*" >> "{log}"\nexec "{real}" "$@"\n'), log


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    site = with_search_theme(write_site(root / "site", dict(POSTS)))
    out = root / "out"
    result = build(site, out)
    assert result.ok, [p.format() for p in result.problems]
    return result, site, out


def test_search_page_is_planned_with_its_script_and_filter_order(built) -> None:
    _result, _, out = built
    html = (out / "search/index.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in html and "<h1>搜索</h1>" in html
    form = re.search(r'<form class="search-form" id="search-form" action="([^"]+)" method="get" role="search" aria-label="搜索文章" data-root="([^"]*)" data-order="([^"]+)">', html)
    assert form and form.group(1) == "../search/index.html" and form.group(2) == "../"
    order = json.loads(form.group(3).replace("&#34;", '"').replace("&quot;", '"'))
    assert order["unit"] == ["机械工程学院党委"]
    assert order["column"] == ["通知公告", "党建动态", "支部生活", "特色阵地"]
    assert order["meeting"][:2] == ["支部党员大会", "支部委员会"]
    script = re.search(r'<script src="\.\./(assets/search\.[0-9a-f]{10}\.js)" defer></script>', html)
    assert script and (out / script.group(1)).is_file()
    assert '<input id="search-q" name="q" type="search"' in html
    # the CSP: no inline script, no style attribute, no inline style element
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html and "<style" not in html
    # search.js reads <root>pagefind/units.json and loads Pagefind from the first shard's index
    bundle = (out / "search" / form.group(2) / "pagefind").resolve()
    shards = json.loads((bundle / "units.json").read_text("utf-8"))["shards"]
    assert [(s["unit"], s["year"], s["pages"]) for s in shards] == [("jx", "2025", 1), ("jx", "2026", 2)]
    assert all((bundle / s["unit"] / s["year"] / "pagefind.js").is_file() for s in shards)


def pagefind_filter_counts(index: Path) -> dict[str, dict[str, int]]:
    """{filter: {value: pages}} as Pagefind's own filter files in ``index`` (one shard) say."""
    entry = json.loads((index / pagefind.ENTRY).read_text("utf-8"))
    counts: dict[str, dict[str, int]] = {}
    for info in entry["languages"].values():
        meta = pagefind.read_dcd(index / f"pagefind.{info['hash']}.pf_meta")
        for _name, file in meta[3]:
            key, values = pagefind.read_dcd(index / "filter" / f"{file}.pf_filter")
            for value, pages in values:
                counts.setdefault(key, {})[value] = len(pages)
    return counts


def test_manifest_holds_the_filter_values_and_counts(built) -> None:
    """search.js fills its menus from units.json, without Pagefind's filter files: the counts are the content's."""
    result, _, out = built
    manifest = json.loads((out / "pagefind/units.json").read_text("utf-8"))
    meetings = {m.key: m.name for m in result.model.config.meetings}
    sections = {c.key: c.name for c in result.model.config.sections}
    expected: dict[str, dict[str, int]] = {}
    for post in result.model.posts:
        values = {"unit": [result.model.unit(post.unit).name], "column": [sections[post.section]], "year": [str(post.day.year)], "meeting": [meetings[k] for k in post.meetings]}
        for key, vs in values.items():
            for v in vs:
                expected.setdefault(key, {})[v] = expected.get(key, {}).get(v, 0) + 1
    assert expected["column"] == {"支部生活": 2, "通知公告": 1}  # as POSTS say
    assert manifest["filters"] == expected
    assert manifest["filters"]["meeting"] == {"支部委员会": 1, "主题党日": 1, "党课": 1}
    # per shard, exactly what Pagefind's own filter files hold
    for shard in manifest["shards"]:
        assert shard["filters"] == pagefind_filter_counts(out / "pagefind" / shard["unit"] / shard["year"]), shard
    # deterministic bytes: keys sorted
    raw = (out / "pagefind/units.json").read_bytes()
    assert raw == json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def test_page_filters_reads_both_forms() -> None:
    page = '<a href="x" data-pagefind-meta="unit" data-pagefind-filter="unit">机械&amp;工程</a><time data-pagefind-filter="year:2025">2025年</time><span data-pagefind-filter="meeting">党课</span>、<span data-pagefind-filter="meeting">党课</span>'
    assert shards.page_filters(page.encode()) == {"unit": ["机械&工程"], "year": ["2025"], "meeting": ["党课"]}


def test_search_js_uses_only_the_api_and_no_inline_styles() -> None:
    js = (REPO / "themes/default/static/search.js").read_text("utf-8")
    assert 'fetch(new URL(root + "pagefind/units.json", location.href).href)' in js
    assert 'import(new URL(indexPath(shards[0]) + "pagefind.js", location.href).href)' in js and "pagefind.mergeIndex(indexPath(shard), shardOptions(shard))" in js
    assert "filters()" not in js  # the filter menus come from units.json: no filter files fetched when the page opens
    assert ".style" not in js and "innerHTML" not in js and "eval(" not in js


def test_index_holds_only_posts_with_their_metadata_and_filters(built) -> None:
    result, _, out = built
    assert sorted(p.name for p in (out / "pagefind").iterdir()) == ["jx", "units.json"]
    assert sorted(p.name for p in (out / "pagefind/jx").iterdir()) == ["2025", "2026"]
    counts = {}
    for year in ("2025", "2026"):
        entry = json.loads((out / "pagefind/jx" / year / "pagefind-entry.json").read_text("utf-8"))
        assert list(entry["languages"]) == ["zh-cn"]
        counts[year] = entry["languages"]["zh-cn"]["page_count"]
    assert counts == {"2025": 1, "2026": 2} and len(result.model.posts) == 3
    pages = fragments(out)
    assert sorted(pages) == sorted(f"/jx/{p.slug}/index.html" for p in result.model.posts)
    rec = pages["/jx/dangke/index.html"]
    assert rec["meta"]["title"] == "本科生党支部开展主题党日暨党课"
    assert (rec["meta"]["unit"], rec["meta"]["column"], rec["meta"]["date"]) == ("机械工程学院党委", "支部生活", "2025-11-20")
    assert rec["filters"] == {"unit": ["机械工程学院党委"], "column": ["支部生活"], "year": ["2025"], "meeting": ["主题党日", "党课"]}
    # the Chinese n-grams of title, unit and meetings (see search.js: ranking across segmenters)
    terms = rec["meta"]["terms"].split()
    assert {"党", "党课", "主题", "主题党", "机械工", "本科生"} <= set(terms)
    # body indexed (segmented with zero-width spaces), the metadata list and navigation are not
    content = rec["content"].replace("\u200b", "")
    assert "学习党史" in content and "重温入党誓词" in content
    assert "单位" not in content and "较新" not in content and "较早" not in content and "首页" not in content
    assert "filters" in pages["/jx/tongzhi/index.html"] and "meeting" not in pages["/jx/tongzhi/index.html"]["filters"]


def test_every_relative_link_resolves(built) -> None:
    _, _, out = built
    missing = []
    for page in out.rglob("*.html"):
        rel = page.relative_to(out).as_posix()
        html = page.read_text("utf-8")
        for attr, url in re.findall(r'\b(href|src|action)="([^"]*)"', html):
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("#", "mailto:", "/")) or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                missing.append(f"{rel}: {attr}={url}")
    assert not missing, missing[:20]


def test_second_build_without_changes_does_not_reindex(built, tmp_path: Path) -> None:
    _, site, out = built
    before = {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()}
    # a binary that cannot run would be an error: so nothing was run
    result = build(site, out, env={"PAGEFIND_BINARY_PATH": str(tmp_path / "missing-pagefind")})
    assert result.ok, [p.format() for p in result.problems]
    assert not [p for p in result.written if p.endswith(".html")]
    assert {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()} == before
    assert SearchIndex().index_output(out, False) == []


def test_only_changed_post_pages_need_a_new_index(built, monkeypatch, tmp_path: Path) -> None:
    _, _, out = built
    recording = Recording()
    index = SearchIndex(indexer=recording)
    ran = recording.runs
    failing = script(tmp_path / "pagefind-fails", "echo 'Error: 索引失败' >&2\nexit 1\n")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(failing))
    # the builder says which HTML changed: list pages only → nothing to index
    assert index.index_output(out, True, pages=["index.html", "sections/notices/index.html", "compare/2026/index.html", "jx/branch/jx-jg1/index.html", "tags/x/page/2/index.html"]) == []
    assert ran == []
    # a post page changed → index; a failed run leaves a marker ...
    [problem] = index.index_output(out, True, pages=["index.html", "jx/dangke/index.html"])
    assert ran == ["site-jx-2025"] and "Error: 索引失败" in problem.message and "单位 jx 的 2025 年，退出码 1" in problem.message
    assert json.loads((out / shards.DIRTY).read_text("utf-8")) == ["jx/2025"]
    # ... so the next build indexes even though it changed no HTML
    index.index_output(out, False)
    assert len(ran) == 2
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    assert index.index_output(out, False) == []
    assert not (out / shards.DIRTY).exists()
    # without the list of pages, any HTML change means indexing
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(failing))
    index.index_output(out, True)
    # every shard was due: at least one was tried (the two services race for the queue, and a
    # binary that never answers fails the rest without trying them) and both are marked behind
    assert len(ran) >= 3 and set(ran[2:]) <= {"site-jx-2025", "site-jx-2026"}
    assert sorted(json.loads((out / shards.DIRTY).read_text("utf-8"))) == ["jx/2025", "jx/2026"]
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    assert index.index_output(out, False) == [] and not (out / shards.DIRTY).exists()


def test_edit_reindexes_to_exactly_what_a_clean_build_gives(tmp_path: Path) -> None:
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    old = tree(out / "pagefind")
    mtimes = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()}
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    (site / "content/jx/2026/weiyuanhui-3.md").unlink()
    result = build(site, out)
    assert result.ok
    new = tree(out / "pagefind")
    assert new != old
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert new == tree(clean / "pagefind"), "incremental index differs from a clean build's (stale or missing files)"
    assert "民法典" in json.dumps(fragments(out), ensure_ascii=False).replace("\u200b", "")
    # files whose bytes did not change were not rewritten: the 2025 shard (no edit there) not at all
    # (units.json changes: its counts lose the deleted post)
    for rel in ("pagefind/jx/2026/pagefind.js", "pagefind/jx/2026/wasm.unknown.pagefind"):
        assert (out / rel).stat().st_mtime_ns == mtimes[rel]
    assert {rel: m for rel, m in mtimes.items() if rel.startswith("pagefind/jx/2025/")} == {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in (out / "pagefind/jx/2025").rglob("*") if p.is_file()
    }
    assert not (out / shards.SCRATCH).exists()


WY_UNIT = 'name = "外国语学院党委"\nkind = "教学单位"\norder = 20\n'


def test_edits_reindex_exactly_their_shards(tmp_path: Path, monkeypatch) -> None:
    files = {
        **POSTS,
        "content/wy/_unit.toml": WY_UNIT,
        "content/wy/2025/xuexi.md": post_text("外国语学院党委理论学习中心组学习会", "2025-12-02", "党建动态", "学习宪法，研讨意识形态工作。"),
    }
    site = with_search_theme(write_site(tmp_path / "site", files))
    out = tmp_path / "out"
    assert build(site, out).ok

    def manifest() -> list[str]:
        return [f"{s['unit']}/{s['year']}" for s in json.loads((out / "pagefind/units.json").read_text("utf-8"))["shards"]]

    assert manifest() == ["jx/2025", "jx/2026", "wy/2025"]
    assert {r["meta"]["unit"] for r in fragments(out).values()} == {"机械工程学院党委", "外国语学院党委"}

    def files_of(shard: str) -> dict[str, tuple[bytes, int]]:
        return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "pagefind" / shard).rglob("*") if p.is_file()}

    def urls_in(shard: str) -> set[str]:
        return {json.loads(gzip.decompress(f.read_bytes())[len(b"pagefind_dcd") :])["url"] for f in (out / "pagefind" / shard).glob("fragment/*")}

    def clean_tree() -> dict[str, bytes]:
        clean = tmp_path / f"clean{len(list(tmp_path.glob('clean*')))}"
        assert build(site, clean).ok
        return tree(clean / "pagefind")

    recording = Recording()
    use_index(monkeypatch, SearchIndex(indexer=recording))
    runs = recording.runs
    before = {s: files_of(s) for s in ("jx/2025", "jx/2026", "wy/2025")}
    # a body edit in jx 2026: only that shard is indexed again; the others keep their bytes and mtimes
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    assert build(site, out).ok
    assert runs == ["site-jx-2026"]
    assert files_of("jx/2025") == before["jx/2025"] and files_of("wy/2025") == before["wy/2025"] and files_of("jx/2026") != before["jx/2026"]
    assert urls_in("jx/2026") == {"/jx/tongzhi/index.html", "/jx/weiyuanhui-3/index.html"}  # the pages' own URLs
    assert "民法典" in json.dumps(fragments(out), ensure_ascii=False).replace("\u200b", "")
    assert tree(out / "pagefind") == clean_tree(), "incremental index differs from a clean build's"
    # its column changes: only its page is read again (not the unit's), yet the filter
    # counts in units.json and the membership file are a clean build's
    runs.clear()
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "党建动态", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    read: list[str] = []
    use_index(monkeypatch, SearchIndex(indexer=recording, read_member=lambda page: read.append(page.relative_to(out).as_posix()) or shards.member(page)))
    result = build(site, out)
    use_index(monkeypatch, SearchIndex(indexer=recording))
    # a page read before the commit (search.EarlyIndex) is read from its staged copy
    staged = {f"{STAGING}/{staged_name(p)}": p for p in result.written}
    read = [staged.get(p, p) for p in read]
    assert result.ok and runs == ["site-jx-2026"]
    assert "jx/tongzhi/index.html" in read and "jx/dangke/index.html" not in read
    assert sorted(read) == sorted(p for p in (*result.written, *result.deleted) if shards.is_post_page(p))
    assert tree(out / "pagefind") == clean_tree()
    last_clean = sorted(tmp_path.glob("clean*"))[-1]
    assert json.loads((out / shards.MEMBERS).read_text("utf-8")) == json.loads((last_clean / shards.MEMBERS).read_text("utf-8"))
    assert json.loads((out / "pagefind/units.json").read_text("utf-8"))["filters"]["column"] == {"党建动态": 2, "支部生活": 2}  # 通知公告 had only it
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    assert build(site, out).ok
    # the post's date moves to 2025: both jx shards, found in the new one and not the old
    runs.clear()
    wy = files_of("wy/2025")
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2025-03-01", "通知公告", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    assert build(site, out).ok
    assert sorted(runs) == ["site-jx-2025", "site-jx-2026"] and files_of("wy/2025") == wy
    assert urls_in("jx/2025") == {"/jx/dangke/index.html", "/jx/tongzhi/index.html"} and urls_in("jx/2026") == {"/jx/weiyuanhui-3/index.html"}
    assert tree(out / "pagefind") == clean_tree()
    # the last post of jx 2026 deleted: that shard goes (files and manifest line). dangke's
    # page changes too (its link to the newer post), so jx 2025 is indexed again: to the same bytes
    runs.clear()
    jx2025 = files_of("jx/2025")
    (site / "content/jx/2026/weiyuanhui-3.md").unlink()
    assert build(site, out).ok
    assert runs == ["site-jx-2025"] and files_of("jx/2025") == jx2025
    assert manifest() == ["jx/2025", "wy/2025"] and not (out / "pagefind/jx/2026").exists()
    assert tree(out / "pagefind") == clean_tree()
    # a new post in wy 2026: a new shard, only it is indexed
    runs.clear()
    (site / "content/wy/2026").mkdir()
    (site / "content/wy/2026/tongzhi.md").write_text(post_text("外国语学院关于推荐入党积极分子的通知", "2026-02-20", "通知公告", "请各支部推荐。"), encoding="utf-8")
    assert build(site, out).ok
    assert runs == ["site-wy-2026"] and files_of("jx/2025") == jx2025 and files_of("wy/2025") == wy
    assert manifest() == ["jx/2025", "wy/2025", "wy/2026"]
    assert tree(out / "pagefind") == clean_tree()
    # a unit removed: its shards and their lines in the manifest go, nothing is indexed
    runs.clear()
    shutil.rmtree(site / "content/wy")
    assert build(site, out).ok
    assert runs == [] and files_of("jx/2025") == jx2025
    assert manifest() == ["jx/2025"] and not (out / "pagefind/wy").exists()
    assert tree(out / "pagefind") == clean_tree()
    assert not (out / shards.SCRATCH).exists() and not (out / shards.DIRTY).exists()


@pytest.mark.parametrize("damage", ["missing", "corrupt", "wrong"])
def test_unreadable_membership_file_means_a_full_correct_index(tmp_path: Path, monkeypatch, damage: str) -> None:
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    members = json.loads((out / shards.MEMBERS).read_text("utf-8"))
    assert members["version"] == 3
    assert {p: m[0] for p, m in members["pages"].items()} == {"jx/dangke/index.html": "2025", "jx/tongzhi/index.html": "2026", "jx/weiyuanhui-3/index.html": "2026"}
    dangke = members["filters"][members["pages"]["jx/dangke/index.html"][1]]
    assert dangke == {"column": ["支部生活"], "meeting": ["主题党日", "党课"], "unit": ["机械工程学院党委"], "year": ["2025"]}
    if damage == "missing":
        (out / shards.MEMBERS).unlink()
    elif damage == "corrupt":
        (out / shards.MEMBERS).write_text('{"version": 1, "pages": {"jx/dangke/ind')
    else:  # readable, but of another version (here saying every post is in 2025): not trusted
        (out / shards.MEMBERS).write_text(json.dumps({"version": 1, "pages": {p: "2025" for p in members["pages"]}}))
    runs = record_shards(monkeypatch)
    (site / "content/jx/2025/dangke.md").write_text(post_text("本科生党支部开展主题党日暨党课", "2025-11-20", "支部生活", "学习党史，重温入党誓词，交流心得。", meeting=["主题党日", "党课"], branch="jx-xs1"), encoding="utf-8")
    assert build(site, out).ok
    assert sorted(runs) == ["site-jx-2025", "site-jx-2026"]  # every shard, not just the edited one
    assert json.loads((out / shards.MEMBERS).read_text("utf-8")) == members
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


def test_the_membership_file_lists_each_filter_set_once_and_is_read_only_as_written(tmp_path: Path) -> None:
    same = {"column": ["支部生活"], "unit": ["机械工程学院党委"], "year": ["2026"]}
    members: dict[str, shards.Member] = {
        "jx/b/index.html": ("2026", dict(same)),
        "jx/a/index.html": ("2026", dict(same)),
        "jx/c/index.html": ("2025", {"column": ["通知公告"], "unit": ["机械工程学院党委"], "year": ["2025"]}),
    }
    path = tmp_path / shards.MEMBERS
    shards.write_members(path, members)
    data = json.loads(path.read_text("utf-8"))
    assert data["filters"] == [same, members["jx/c/index.html"][1]]  # numbered in page order, each set once
    assert data["pages"] == {"jx/a/index.html": ["2026", 0], "jx/b/index.html": ["2026", 0], "jx/c/index.html": ["2025", 1]}
    read = shards.read_members(path)
    assert read == members
    (tmp_path / "again").mkdir()
    shards.write_members(tmp_path / "again" / shards.MEMBERS, read)  # (sets shared by the pages read: the same bytes)
    assert (tmp_path / "again" / shards.MEMBERS).read_bytes() == path.read_bytes()
    for bad in ('"jx/a/index.html":["2026",2]', '"jx/a/index.html":["2026",true]', '"jx/a/index.html":["20x6",0]', '"jx/a/b/index.html":["2026",0]'):
        path.write_text(json.dumps(data, ensure_ascii=False).replace(" ", "").replace('"jx/a/index.html":["2026",0]', bad), "utf-8")
        assert bad in path.read_text("utf-8") and shards.read_members(path) is None, bad
    for table in ([["column"]], [{"column": "支部生活"}], [{"column": [1]}], {"0": same}, None):
        path.write_text(json.dumps({**data, "filters": table}, ensure_ascii=False), "utf-8")
        assert shards.read_members(path) is None, table


@pytest.mark.parametrize("old", ["single", "per-unit"])
def test_indexes_of_older_builds_are_replaced_by_shards(built, tmp_path: Path, old: str) -> None:
    _, _, out = built
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    expected = tree(copy / "pagefind")
    # what older builds left: one index right in pagefind/ and no manifest, or
    # one index per unit (pagefind/jx/) listed as {"units": [...]}; no membership file
    (copy / shards.MEMBERS).unlink()
    if old == "single":
        (copy / "pagefind/units.json").unlink()
    else:
        (copy / "pagefind/units.json").write_text('{"units":["jx"]}')
    where = copy / "pagefind" / ("" if old == "single" else "jx")
    for rel in ("pagefind-entry.json", "pagefind.js", "fragment/zh-cn_0000000.pf_fragment", "filter/zh-cn_0000000.pf_filter"):
        (where / rel).parent.mkdir(parents=True, exist_ok=True)
        (where / rel).write_text("old")
    assert SearchIndex().index_output(copy, True, pages=["jx/dangke/index.html"]) == []
    assert tree(copy / "pagefind") == expected


def test_an_index_of_another_layout_is_indexed_again_even_when_no_post_page_changed(built, tmp_path: Path) -> None:
    """An upgrade (or a downgrade) that changed only the index's layout writes no post page: the layout is still made current.

    As another version left it: its membership file under its own name, its
    shards elsewhere (here in folders this version does not make) and a manifest
    naming them, which this version's search.js could not follow.
    """
    _, _, out = built
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    expected = tree(copy / "pagefind")
    members = (copy / shards.MEMBERS).read_bytes()
    (copy / shards.MEMBERS).unlink()
    older = copy / ".liangshai-pagefind-shards.json"  # version 2's name before the version was in it
    older.write_bytes(members)
    manifest = json.loads((copy / "pagefind/units.json").read_text("utf-8"))
    for entry in manifest["shards"]:
        (copy / "pagefind" / entry["unit"] / entry["year"]).rename(copy / "pagefind" / entry["unit"] / f"{entry['year']}-1")
        entry["year"] += "-1"
    (copy / "pagefind/units.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert SearchIndex().index_output(copy, False, pages=[]) == []
    assert tree(copy / "pagefind") == expected
    assert (copy / shards.MEMBERS).read_bytes() == members and not older.exists()
    # and from then on, an update that changed no post page does nothing
    assert SearchIndex().index_output(copy, False, pages=[]) == []
    assert tree(copy / "pagefind") == expected


def test_many_shards_take_at_most_two_pagefind_processes_and_give_the_cli_bytes(tmp_path: Path, monkeypatch) -> None:
    files = {**POSTS, "content/wy/_unit.toml": WY_UNIT}
    for year in range(2019, 2026):  # wy: one shard per year, plus jx's two
        files[f"content/wy/{year}/xuexi-{year}.md"] = post_text(f"外国语学院党委{year}年理论学习中心组学习会", f"{year}-06-0{year % 9 + 1}", "党建动态", f"学习宪法，研讨{year}年意识形态工作。")
    site = with_search_theme(write_site(tmp_path / "site", files))
    binary, log = logging_binary(tmp_path)
    out = tmp_path / "out"
    assert build(site, out, env={"PAGEFIND_BINARY_PATH": str(binary)}).ok
    listed = json.loads((out / "pagefind/units.json").read_text("utf-8"))["shards"]
    assert len(listed) == 9
    starts = log.read_text().splitlines()
    assert 1 <= len(starts) <= indexer.JOBS and set(starts) == {"--service"}, starts  # not one process per shard
    # each shard holds the bytes `pagefind --site` gives for its pages (canonicalized), as before the service
    real = pagefind.pagefind_binary()
    members = json.loads((out / shards.MEMBERS).read_text("utf-8"))["pages"]
    for shard in listed:
        unit, year = shard["unit"], shard["year"]
        scratch = tmp_path / f"cli-{unit}-{year}"
        for page, (y, _) in members.items():
            if page.startswith(unit + "/") and y == year:
                (scratch / "site" / page).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out / page, scratch / "site" / page)
        run = subprocess.run([str(real), "--site", str(scratch / "site"), "--output-path", str(scratch / "index"), "--keep-index-url", "--silent"], capture_output=True, check=False)
        assert run.returncode == 0, run.stderr
        for path in (scratch / "index").iterdir():
            if path.name.startswith(pagefind.UNUSED):
                path.unlink()
        pagefind.canonicalize(scratch / "index")
        assert tree(out / "pagefind" / unit / year) == tree(scratch / "index"), f"{unit}/{year}"


def test_pagefind_that_dies_on_one_shard_is_restarted_for_the_next(tmp_path: Path, monkeypatch) -> None:
    files = {**POSTS, "content/jx/2024/xuanchuan.md": post_text("机械工程学院开展宪法宣传活动", "2024-12-04", "党建动态", "宣传宪法。")}
    site = with_search_theme(write_site(tmp_path / "site", files))
    out = tmp_path / "out"
    assert build(site, out).ok
    expected = tree(out / "pagefind")
    seen: list[tuple[str, str]] = []

    class CrashSecond(ShardIndexer):
        def index_shard(self, service, out_dir, shard, pages, scratch, *rest):
            seen.append(shard)
            if len(seen) == 2:  # the service dies under the second shard
                service.proc.kill()
                service.proc.wait()
            return super().index_shard(service, out_dir, shard, pages, scratch, *rest)

    (out / shards.MEMBERS).unlink()  # so every shard is indexed
    [problem] = SearchIndex(indexer=CrashSecond(jobs=1)).index_output(out, True, pages=["jx/dangke/index.html"])  # one service for the three shards
    assert len(seen) == 3 and f"单位 jx 的 {seen[1][1]} 年，退出码 -9" in problem.message and "另有" not in problem.message
    assert json.loads((out / shards.DIRTY).read_text("utf-8")) == [f"jx/{seen[1][1]}"]  # the third shard was indexed by a new service
    assert SearchIndex(indexer=ShardIndexer(jobs=1)).index_output(out, False) == []
    assert tree(out / "pagefind") == expected and not (out / shards.DIRTY).exists()


def test_started_does_not_wait_for_a_service_still_loading_its_dictionaries(tmp_path: Path, monkeypatch) -> None:
    """The builder waits for Pagefind's reading of the pages, not for its warm-up (a small site's edit gets there first)."""
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    gate = threading.Event()
    real_run = pagefind.Warming._run
    monkeypatch.setattr(pagefind.Warming, "_run", lambda self: gate.wait(30) and real_run(self))
    sent: list[str] = []
    real_send = Service.send
    monkeypatch.setattr(Service, "send", lambda self, payload: sent.append(payload["type"]) or real_send(self, payload))
    index = SearchIndex()
    index.warm_up(out)
    started = threading.Event()
    outcome: list[list] = []
    worker = threading.Thread(target=lambda: outcome.append(index.index_output(out, True, pages=["jx/dangke/index.html"], started=started)))
    worker.start()
    try:
        assert started.wait(30) and "AddDir" not in sent  # set while the warm-up still loads
    finally:
        gate.set()
        worker.join(60)
        index.release()
    assert outcome == [[]] and sent.count("AddDir") == 1


def test_an_edit_links_the_index_files_it_has_already_and_writes_the_rest(tmp_path: Path, monkeypatch) -> None:
    """Pagefind gives back a shard's every file; those published already, byte for byte, are linked, the rest written."""
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    shard = out / "pagefind/jx/2026"
    before = {rel: (shard / rel).stat().st_ino for rel in tree(shard)}
    checked: list[tuple[str, bool]] = []
    real = indexer._link_same

    def spy(published: Path, target: Path, data: bytes) -> bool:
        checked.append((published.relative_to(shard).as_posix(), linked := real(published, target, data)))
        return linked

    monkeypatch.setattr(indexer, "_link_same", spy)
    real_sync = shards.sync_dir
    links: dict[str, int] = {}  # the scratch index's files as install_shards finds them: their link counts

    def sync(src: Path, dst: Path, last: str) -> None:
        links.update({p.relative_to(src).as_posix(): p.stat().st_nlink for p in src.rglob("*") if p.is_file()})
        real_sync(src, dst, last)

    monkeypatch.setattr(shards, "sync_dir", sync)
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习宪法和民法典。"), encoding="utf-8")
    assert build(site, out).ok
    linked = {rel for rel, yes in checked if yes}
    assert linked and {rel for rel, n in links.items() if n > 1} == linked  # hard links, and only those
    assert any(rel.startswith("fragment/") and not yes for rel, yes in checked)  # the edited post's fragment is new
    assert all((shard / rel).stat().st_ino == before[rel] for rel in linked)  # the published file itself, kept
    monkeypatch.undo()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


def test_the_answer_to_a_posted_request_is_dropped_before_the_next(tmp_path: Path) -> None:
    binary = pagefind.pagefind_binary()
    if binary is None:
        pytest.skip("没有 Pagefind（pip install 'pagefind[extended]'）")
    service = Service(binary, tmp_path, "post")
    try:
        first = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
        service.post({"type": "DeleteIndex", "index_id": first})
        second = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]  # not DeleteIndex's answer
        assert second != first and not service._dropped
        with pytest.raises(pagefind.ServiceError):  # an answer that is an error still reaches its request
            service.request({"type": "AddFile", "index_id": first, "url": "/x/", "file_contents": "<html></html>"})
    finally:
        service.close()


def test_a_shard_read_ahead_then_given_its_changed_pages_is_the_index_read_now(tmp_path: Path) -> None:
    """`ShardIndexer.preread`, then `index_shard` with it: only the pages whose files changed since are given
    to Pagefind again (by URL, in place), and the index is byte for byte the one a fresh reading gives."""
    binary = pagefind.pagefind_binary()
    if binary is None:
        pytest.skip("没有 Pagefind（pip install 'pagefind[extended]'）")
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    members = shards.read_members(out / shards.MEMBERS)
    assert members is not None
    shard = ("jx", "2026")
    pages = shards.shards_of(members)[shard]
    assert len(pages) == 2
    edited = next(p for p in pages if "tongzhi" in p)
    indexer_ = ShardIndexer()

    def index(scratch_name: str, preread: indexer.Preread | None, given: list[str]) -> tuple[dict[str, bytes], list[str]]:
        service = Service(binary, tmp_path, scratch_name)
        asked: list[str] = []
        real = service.request
        service.request = lambda payload: asked.append(payload["type"]) or real(payload)  # type: ignore[method-assign]
        try:
            if preread is not None:  # read ahead by this service
                read = indexer_.preread(out, [edited], members)
                assert read is not None and (out / shards.PREREAD).is_dir()
                preread = read(service)
                assert preread is not None and preread.pages == tuple(pages)
                asked.clear()
                change()
            scratch = tmp_path / scratch_name
            scratch.mkdir()
            assert indexer_.index_shard(service, out, shard, given, scratch, None, False, preread) is None
        finally:
            service.close()
        return tree(scratch / shards.scratch_name("index", shard)), asked

    text = (out / edited).read_text("utf-8")
    assert text.count("请各支部组织学习宪法。") == 1

    def change() -> None:  # as a build's commit does: a new file in its place
        (out / "new.tmp").write_text(text.replace("请各支部组织学习宪法。", "请各支部组织学习民法典。"), "utf-8")
        os.replace(out / "new.tmp", out / edited)

    ahead, asked = index("ahead", indexer.Preread(shard, (), "", {}, tmp_path), pages)
    assert asked == ["AddFile"]  # the changed page alone (GetFiles is sent apart)
    assert not (out / shards.PREREAD / shards.scratch_name("site", shard)).exists()  # its site was taken over
    fresh, asked = index("fresh", None, pages)
    assert asked == ["NewIndex", "AddDir"] and ahead == fresh
    texts = [gzip.decompress(data).decode("utf-8").replace("\u200b", "") for rel, data in fresh.items() if rel.startswith("fragment/")]
    assert any("学习民法典" in t for t in texts) and not any("学习宪法" in t for t in texts)  # (the change is in it)
    # Given other pages than those it read (here: in another order), it reads them as usual.
    _, asked = index("other", indexer.Preread(shard, (), "", {}, tmp_path), pages[::-1])
    assert asked == ["NewIndex", "AddDir"]


def test_an_edit_whose_shard_was_read_by_the_handoff_takes_its_site_over(tmp_path: Path, monkeypatch) -> None:
    """The early index takes over the read-ahead's site (linking again the staged pages) when Pagefind has read it by then."""
    if pagefind.pagefind_binary() is None:
        pytest.skip("没有 Pagefind（pip install 'pagefind[extended]'）")
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    early = spy_early(monkeypatch)
    # (a site this small reaches the index before Pagefind has read ahead: here it waits for that)
    monkeypatch.setattr(pagefind.Warming, "done", lambda self: self._done.wait() and self.result)
    taken: list[tuple[str, ...]] = []
    real_take = indexer._take_site
    monkeypatch.setattr(indexer, "_take_site", lambda ahead, *rest: taken.append(ahead.pages) or real_take(ahead, *rest))
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部组织学习民法典。"), "utf-8")
    assert build(site, out).ok
    assert [e.outcome for e in early] == ["installed"] and taken == [("jx/tongzhi/index.html", "jx/weiyuanhui-3/index.html")]
    assert not (out / shards.PREREAD).exists()
    monkeypatch.undo()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


@pytest.mark.parametrize("where", ["warm-up", "job"])
def test_a_warm_up_that_breaks_is_raised_to_its_taker_not_waited_for(tmp_path: Path, monkeypatch, where: str) -> None:
    binary = pagefind.pagefind_binary()
    if binary is None:
        pytest.skip("没有 Pagefind（pip install 'pagefind[extended]'）")
    if where == "warm-up":  # an error the warm-up does not expect (a bug)
        monkeypatch.setattr(Service, "request", lambda self, payload: (_ for _ in ()).throw(ValueError("坏了")))
    warming = pagefind.Warming(binary, tmp_path)
    warming.start()
    warming.then(lambda service: (_ for _ in ()).throw(ValueError("坏了")))
    outcome: list[BaseException] = []

    def take() -> None:
        try:
            warming.take()
        except ValueError as exc:
            outcome.append(exc)

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    taker.join(30)
    assert not taker.is_alive() and [str(e) for e in outcome] == ["坏了"]
    warming.close()


def test_pagefind_that_cannot_run_is_a_located_chinese_error(tmp_path: Path) -> None:
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    result = build(site, tmp_path / "out", env={"PAGEFIND_BINARY_PATH": str(tmp_path / "nope")})
    [p] = [p for p in result.errors]
    assert (p.path, p.line, p.kind) == ("site.toml", 1, Kind.SEARCH) and "无法运行 Pagefind" in p.message and "搜索索引没有更新" in p.message
    failing = tmp_path / "fail.sh"
    failing.write_text("#!/bin/sh\necho 'Error: disk full' >&2\nexit 3\n")
    failing.chmod(0o755)
    result = build(site, tmp_path / "out2", env={"PAGEFIND_BINARY_PATH": str(failing)})
    [p] = [p for p in result.errors]
    assert "Pagefind 建立搜索索引失败（单位 jx 的 2025 年，退出码 3）：Error: disk full" in p.message
    assert p.message.endswith("另有 1 份索引（其他单位或年份的文章）也没有更新。")  # jx 2026: one message, not one per shard
    assert not (tmp_path / "out2" / shards.SCRATCH).exists()


def test_unexpected_index_format_leaves_pagefind_output_alone(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "filter").mkdir(parents=True)
    (bundle / pagefind.ENTRY).write_text('{"languages":{"zh-cn":{"hash":"zh-cn_x"}}}')
    (bundle / "pagefind.zh-cn_x.pf_meta").write_bytes(gzip.compress(pagefind.DCD + pagefind.cbor_encode(["1.9", [], [], "not a list"])))
    before = tree(bundle)
    with pytest.raises(ValueError):
        pagefind.canonicalize(bundle)
    assert tree(bundle) == before


def test_cbor_round_trip() -> None:
    value = ["1.5.2", [["zh-cn_95413ad", 18], ["x", 2**40]], [-1, -300, b"\x00\xff", "党课", []], pagefind.Simple(b"\xf6")]
    assert pagefind.cbor_decode(pagefind.cbor_encode(value)) == value


def test_extended_binary_is_used() -> None:
    binary = pagefind.pagefind_binary()
    assert binary is not None and binary.name == "pagefind_extended"


def test_sync_dir_replaces_changed_files_and_removes_stale(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    for folder, files in ((src, {"a": "1", "d/b": "2", "entry": "new"}), (dst, {"a": "1", "d/b": "old", "d/stale": "x", "gone/c": "y", "entry": "old"})):
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
    keep = (dst / "a").stat().st_mtime_ns
    shards.sync_dir(src, dst, last="entry")
    assert {k: v.decode() for k, v in tree(dst).items()} == {"a": "1", "d/b": "2", "entry": "new"}
    assert (dst / "a").stat().st_mtime_ns == keep
    assert not (dst / "gone").exists()
    shutil.rmtree(src)


def test_sync_dir_into_a_missing_folder_moves_the_folder_whole(tmp_path: Path) -> None:
    src, dst = tmp_path / "scratch" / "index-jx-2026", tmp_path / "bundle" / "jx" / "2026"
    files = {"a": b"1", "d/b": b"2", "entry": b"names a and d/b"}
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    inode = (src / "d" / "b").stat().st_ino
    shards.sync_dir(src, dst, last="entry")
    assert tree(dst) == files
    assert not src.exists()
    assert (dst / "d" / "b").stat().st_ino == inode  # moved, not copied


@pytest.mark.parametrize("indexed", ["every shard", "one shard failed"])
def test_the_manifest_made_beside_pagefind_is_the_one_made_at_install(tmp_path: Path, monkeypatch, indexed: str) -> None:
    members = {
        "jx/a/index.html": ("2025", {"column": ["通知公告"], "unit": ["机械学院党委"]}),
        "jx/b/index.html": ("2026", {"column": ["支部生活"], "meeting": ["党课", "主题党日"]}),
        "wl/c/index.html": ("2026", {"column": ["通知公告"]}),
    }
    made = {}
    for way in ("at install", "ahead"):
        bundle = tmp_path / way
        for shard in shards.shards_of(members):
            if indexed == "one shard failed" and shard == ("jx", "2026"):
                continue  # no index: the manifest must leave it out
            (bundle / shards.shard_dir(shard)).mkdir(parents=True)
            (bundle / shards.shard_dir(shard) / pagefind.ENTRY).write_text("{}")
        ahead = None
        if way == "ahead":
            ahead = shards.ManifestAhead(members, after=threading.Event())
            assert ahead.made() is not None  # made() starts it: no shard may ever have begun
            if indexed == "every shard":  # the bytes made ahead are the ones written: nothing is worked out again
                monkeypatch.setattr(shards, "manifest", lambda *a: pytest.fail("the manifest was worked out again"))
        shards._write_manifest(bundle, members, ahead)
        made[way] = (bundle / shards.MANIFEST).read_bytes()
    assert made["ahead"] == made["at install"]
    listed = [(s["unit"], s["year"]) for s in json.loads(made["ahead"])["shards"]]
    assert listed == ([("jx", "2025"), ("jx", "2026"), ("wl", "2026")] if indexed == "every shard" else [("jx", "2025"), ("wl", "2026")])


def test_a_manifest_that_cannot_be_made_ahead_is_made_at_install() -> None:
    ahead = shards.ManifestAhead({"jx/a/index.html": None})  # type: ignore[dict-item]  # not a member: working it out fails
    assert ahead.made() is None  # no thread traceback, no bytes: `_write_manifest` works it out (and reports) itself


@pytest.mark.parametrize("edit", ["first build", "title edit"])
def test_builds_install_the_manifest_made_beside_pagefind(tmp_path: Path, monkeypatch, edit: str) -> None:
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    if edit == "title edit":
        assert build(site, out).ok
        for rel, text in EARLY_EDITS["title"][0].items():
            (site / rel).write_text(text, encoding="utf-8")
    taken: list[shards.ManifestAhead | None] = []
    real = search.install_shards
    monkeypatch.setattr(search, "install_shards", lambda out_dir, members, outcomes, ahead=None: taken.append(ahead) or real(out_dir, members, outcomes, ahead))
    assert build(site, out).ok
    assert len(taken) == 1 and taken[0] is not None
    made = taken[0].made()
    assert made is not None and made[1] == (out / shards.BUNDLE / shards.MANIFEST).read_bytes()


def test_a_one_post_edit_indexes_with_the_service_warmed_up_during_the_build(tmp_path: Path) -> None:
    """The builder starts one Pagefind service before it parses; the edit's shard is indexed by that
    very process (one start in all), and nothing is left running or on disk afterwards."""
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    binary, log = logging_binary(tmp_path)
    post = site / "content/jx/2026/tongzhi.md"
    post.write_text(post.read_text("utf-8").replace("请各支部组织学习宪法。", "请各支部组织学习宪法和党章。"), encoding="utf-8")
    index = SearchIndex()
    result = build(site, out, env={"PAGEFIND_BINARY_PATH": str(binary)}, index=index)
    assert result.ok and "jx/tongzhi/index.html" in result.written
    assert log.read_text().splitlines() == ["--service"]  # the warmed-up one, used for the shard
    assert "党章" in json.dumps(fragments(out)["/jx/tongzhi/index.html"], ensure_ascii=False)
    assert not (out / pagefind.WARM_LOG).exists() and not index.warming
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")
    # a build that fails (a bad date) stops the service it warmed up, and indexes nothing
    post.write_text(post.read_text("utf-8").replace("2026-03-01", "2026-02-30"), encoding="utf-8")
    log.unlink()
    failed = build(site, out, env={"PAGEFIND_BINARY_PATH": str(binary)}, index=index)
    assert not failed.ok
    assert log.read_text().splitlines() == ["--service"] and not index.warming and not (out / pagefind.WARM_LOG).exists()


def test_liangshai_build_warms_pagefind_up_before_its_full_check(tmp_path: Path, monkeypatch) -> None:
    """``liangshai build`` (`build.quick.build_once`) starts Pagefind once the quick check sees a change, before the full
    check and the builder's import: an edit is indexed by that one service, the same index as a clean build; a build the
    full check finds to be a no-op after all stops it unused, leaving nothing running or on disk."""
    from generator.build import inputs, quick

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    options = BuildOptions(site, out, as_of=dt.date(2026, 3, 31))
    assert quick.build_once(options).ok
    binary, log = logging_binary(tmp_path)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    events: list[str] = []
    real_find, real_warm = inputs.find_inputs, SearchIndex.warm_up

    def full_check(*args):
        events.append("full check")
        started = time.monotonic()
        while not log.exists() and time.monotonic() - started < 30:  # Pagefind started (its start logged), then the check
            time.sleep(0.01)
        return real_find(*args)

    monkeypatch.setattr(inputs, "find_inputs", full_check)
    monkeypatch.setattr(SearchIndex, "warm_up", lambda self, out_dir: events.append("warm-up") or real_warm(self, out_dir))
    post = site / "content/jx/2026/tongzhi.md"
    post.write_text(post.read_text("utf-8").replace("请各支部组织学习宪法。", "请各支部组织学习宪法和党章。"), encoding="utf-8")
    edited = quick.build_once(options)
    assert edited.ok and "jx/tongzhi/index.html" in edited.written
    assert events == ["warm-up", "full check"] and log.read_text().splitlines() == ["--service"]  # before the full check, and only then
    assert "党章" in json.dumps(fragments(out)["/jx/tongzhi/index.html"], ensure_ascii=False)
    assert not (out / pagefind.WARM_LOG).exists()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")
    # the quick check cannot be sure (its record gone), the full check finds nothing changed
    (out / quick.QUICK_FILE).unlink()
    log.unlink()
    events.clear()
    before = tree(out)
    again = quick.build_once(options)
    assert again.ok and again.written == () and events == ["warm-up", "full check"] and log.read_text().splitlines() == ["--service"]
    assert not (out / pagefind.WARM_LOG).exists() and not (out / shards.PREREAD).exists()
    assert {k: v for k, v in tree(out).items() if not k.startswith(".liangshai")} == {k: v for k, v in before.items() if not k.startswith(".liangshai")}


def test_started_is_set_on_every_path_and_once_pagefind_has_read_the_pages(tmp_path: Path, monkeypatch) -> None:
    """The builder waits for ``started`` before it saves its state: a path that never set it would hang the build.

    It is set once Pagefind has read the pages (AddDir answered), not before:
    that reading keeps both cores busy, what follows (GetFiles) one."""
    import threading

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    nothing = threading.Event()
    assert SearchIndex().index_output(out, False, started=nothing) == [] and nothing.is_set()
    work = threading.Event()
    seen: list[tuple[str, bool]] = []

    class Spy(Service):
        def send(self, payload: dict) -> int:
            if payload["type"] in ("AddDir", "GetFiles"):
                seen.append((payload["type"], work.is_set()))
            self.asked = payload["type"]
            return super().send(payload)

        def receive(self, message_id: int) -> dict:
            answer = super().receive(message_id)
            if self.asked == "AddDir":
                seen.append(("AddDir answered", work.is_set()))
            return answer

    class Spying(ShardIndexer):
        def service(self, binary, scratch, name):
            return Spy(binary, scratch, name)

    assert SearchIndex(indexer=Spying()).index_output(out, True, pages=["jx/dangke/index.html"], started=work) == []
    assert seen == [("AddDir", False), ("AddDir answered", False), ("GetFiles", True)]

    class Unreadable(Service):  # Pagefind fails while reading the pages: set all the same
        def request(self, payload: dict) -> dict:
            if payload["type"] == "AddDir":
                raise pagefind.ServiceError("读不了")
            return super().request(payload)

    class Failing(ShardIndexer):
        def service(self, binary, scratch, name):
            return Unreadable(binary, scratch, name)

    unread = threading.Event()
    problems = SearchIndex(indexer=Failing()).index_output(out, True, pages=["jx/dangke/index.html"], started=unread)
    assert unread.is_set() and [p.is_error for p in problems] == [True]

    class Boom(ShardIndexer):
        def run(self, *args, **kwargs):
            raise RuntimeError("boom")

    failed = threading.Event()
    with pytest.raises(RuntimeError):
        SearchIndex(indexer=Boom()).index_output(out, True, pages=["jx/dangke/index.html"], started=failed)
    assert failed.is_set()


@pytest.mark.parametrize("where", ["search", "commit"])
def test_a_build_stopped_between_its_pages_and_its_index_is_made_good_by_the_next(tmp_path: Path, monkeypatch, where: str) -> None:
    """An exception on the search thread reaches the caller; one right after the pages moved into place too.

    The next build may write no HTML at all (the pages on disk are already
    right); it still indexes them, from the list written before the commit.
    """
    import generator.write.output

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    real = generator.write.output.Writer.commit

    class Boom(ShardIndexer):
        def run(self, *args, **kwargs):
            raise RuntimeError("boom")

    def boom(*args, **kwargs):
        real(*args, **kwargs)  # every page in place, then the process "dies"
        raise RuntimeError("boom")

    if where == "search":
        use_index(monkeypatch, SearchIndex(indexer=Boom()))
    else:
        monkeypatch.setattr(generator.write.output.Writer, "commit", boom)
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部学习民法典。"), encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"):
        build(site, out)
    assert json.loads((out / shards.CHANGING).read_text("utf-8")) == ["jx/tongzhi/index.html"]
    monkeypatch.undo()
    assert build(site, out).ok  # not a no-op: no key vouches for the output the failed build left
    assert "民法典" in json.dumps(fragments(out), ensure_ascii=False).replace("\u200b", "")
    assert not (out / shards.CHANGING).exists()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


@pytest.mark.parametrize("overlap_max", [0, 2000])
def test_search_beside_or_after_the_state_save_gives_the_same_index(tmp_path: Path, monkeypatch, overlap_max: int) -> None:
    """Up to OVERLAP_SEARCH_MAX changed pages the index is built on a thread while the state is saved; above, after it."""
    import generator.build.builder

    monkeypatch.setattr(generator.build.builder, "OVERLAP_SEARCH_MAX", overlap_max)
    threads: list[str] = []
    real_background = generator.build.builder._Background

    def spy(func):
        threads.append("search")
        return real_background(func)

    monkeypatch.setattr(generator.build.builder, "_Background", spy)
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部学习民法典。"), encoding="utf-8")
    assert build(site, out).ok
    # the first build's whole index begins before its commit (`WholeIndex`); the edit's is beside the save up to the limit
    assert threads == ["search", *([] if overlap_max == 0 else ["search"])]
    assert "民法典" in json.dumps(fragments(out), ensure_ascii=False).replace("\u200b", "")
    assert not (out / shards.CHANGING).exists()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


def test_small_update_only_when_the_index_is_whole_and_nothing_big_is_pending(tmp_path: Path) -> None:
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert not SearchIndex().small_update(out, [], 10)  # nothing built yet
    assert build(site, out).ok
    page = ["jx/dangke/index.html"]
    assert SearchIndex().small_update(out, page, 10)
    assert not SearchIndex().small_update(out, page * 11, 10)
    (out / shards.CHANGING).write_text(json.dumps([f"jx/p{i}/index.html" for i in range(11)]), encoding="utf-8")
    assert not SearchIndex().small_update(out, page, 10)  # a stopped build left many pages behind
    (out / shards.CHANGING).write_text("[not json", encoding="utf-8")
    assert not SearchIndex().small_update(out, page, 10)  # unreadable: every page is read again
    (out / shards.CHANGING).unlink()
    (out / shards.DIRTY).write_text('["jx/2025"]', encoding="utf-8")
    assert not SearchIndex().small_update(out, page, 10)
    (out / shards.DIRTY).unlink()
    (out / shards.MEMBERS).unlink()
    assert not SearchIndex().small_update(out, page, 10)


def test_a_failed_build_leaves_no_search_thread_behind(tmp_path: Path, monkeypatch) -> None:
    import threading

    import generator.write.state

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok

    def boom(self, digests):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator.write.state.BodyStore, "keep_only", boom)
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部学习民法典。"), encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"):
        build(site, out)
    assert not [t for t in threading.enumerate() if t.name == "liangshai-search"]
    monkeypatch.undo()
    assert build(site, out).ok
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")


def spy_early(monkeypatch) -> list[search.EarlyIndex]:
    """The EarlyIndex objects builds make from now on (their `outcome` says what each did)."""
    made: list[search.EarlyIndex] = []
    real = SearchIndex.early

    def spy(self: SearchIndex, *args, **kwargs) -> search.EarlyIndex:
        made.append(early := real(self, *args, **kwargs))
        return early

    monkeypatch.setattr(SearchIndex, "early", spy)
    return made


EARLY_EDITS = {
    # edit → what the early index does with it
    "title": ({"content/jx/2026/tongzhi.md": post_text("关于开展宪法宣传周活动的通知（修订）", "2026-03-01", "通知公告", "请各支部组织学习宪法。")}, "installed"),
    "new post": ({"content/jx/2026/xinwen.md": post_text("机械工程学院召开党委会", "2026-03-20", "党建动态", "会议传达学习了民法典。", meeting="党委会")}, "installed"),
    "deleted and edited": ({"content/jx/2026/weiyuanhui-3.md": None, "content/jx/2026/tongzhi.md": post_text("关于开展宪法宣传周活动的通知", "2026-03-01", "通知公告", "请各支部学习民法典。")}, "installed"),
    "moved to another year": ({"content/jx/2026/tongzhi.md": post_text("关于开展宪法宣传周活动的通知", "2025-03-01", "通知公告", "请各支部学习民法典。")}, "installed"),
    # its unit folder appears with it: not what the update read before the commit
    "new unit": ({"content/wy/_unit.toml": WY_UNIT, "content/wy/2026/xuexi.md": post_text("外国语学院党委理论学习中心组学习会", "2026-03-02", "党建动态", "学习民法典。")}, "fell back"),
}


@pytest.mark.parametrize("edit", sorted(EARLY_EDITS))
def test_a_small_update_is_indexed_before_the_commit_to_a_clean_builds_bytes(tmp_path: Path, monkeypatch, edit: str) -> None:
    """Pagefind starts once the post pages are staged; after the commit its shards go into place, or the usual update runs."""
    import generator.plan.pages
    import generator.write.output

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    early = spy_early(monkeypatch)
    events: list[str] = []
    real_commit = generator.write.output.Writer.commit

    class Linking(ShardIndexer):
        def link_site(self, *args, **kwargs):
            events.append("link")
            return super().link_site(*args, **kwargs)

    use_index(monkeypatch, SearchIndex(indexer=Linking()))
    real_request = Service.request

    listed = threading.Event()

    def request(self: Service, payload: dict) -> dict:
        ahead = payload["type"] == "AddDir" and shards.PREREAD in payload["path"]  # the edited post's shard read ahead, as the output has it
        if payload["type"] == "AddDir" and edit != "title" and not ahead:
            listed.wait(10)  # a build that waited for Pagefind's reading here would be stuck until then
        answer = real_request(self, payload)
        if payload["type"] in ("AddDir", "AddFile") and payload.get("url") != "/warm/":
            events.append("ahead" if ahead else "read" if payload["type"] == "AddDir" else "changed")
        return answer

    monkeypatch.setattr(Service, "request", request)
    # (a site this small reaches the index before Pagefind's warm-up ends: then the build does
    # not wait, `test_started_does_not_wait_for_a_service_still_loading_its_dictionaries`)
    monkeypatch.setattr(pagefind.Warming, "ready", lambda self: self._thread.join() or True)
    monkeypatch.setattr(generator.write.output.Writer, "commit", lambda *a, **k: events.append("commit") or real_commit(*a, **k))
    real_families = generator.plan.pages.Planner.families
    monkeypatch.setattr(generator.plan.pages.Planner, "families", lambda *a, **k: events.append("lists") or listed.set() or real_families(*a, **k))
    changes, outcome = EARLY_EDITS[edit]
    for rel, text in changes.items():
        if text is None:
            (site / rel).unlink()
        else:
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_text(text, encoding="utf-8")
    result = build(site, out)
    assert result.ok, result.errors
    assert [e.outcome for e in early] == [outcome] and [e.error for e in early] == [None]
    assert events.index("link") < events.index("commit")  # the staged pages were read before they moved
    if outcome == "installed":  # (a new unit changes every page's global key: then the search begins in _make)
        assert events.index("link") < events.index("lists")  # the edited posts' pages were made before the lists were planned
    if edit == "title":  # the rest of the build is small: it waited for Pagefind to read them (both cores) before it went on
        # Read ahead, then only the changed pages given to it (their neighbours' too: the title shows there).
        assert "read" not in events and "ahead" in events and events.index("changed") < events.index("lists")
    elif outcome == "installed":  # a new post's (or a deletion's) lists are not held up
        assert events.index("lists") < events.index("read")
    if edit in ("title", "moved to another year"):  # the edited post's shard is read ahead (moved: its pages then differ, and are read again)
        assert "ahead" in events and ("read" in events) == (edit != "title")
    else:  # a post came or went: nothing is (a new post's page is in no shard yet)
        assert "ahead" not in events and "changed" not in events
    assert not (out / shards.PREREAD).exists()
    monkeypatch.undo()
    clean = tmp_path / "clean"
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")
    assert (out / shards.MEMBERS).read_bytes() == (clean / shards.MEMBERS).read_bytes()
    for hidden in (shards.CHANGING, shards.DIRTY, shards.SCRATCH, STAGING):
        assert not (out / hidden).exists(), hidden


@pytest.mark.parametrize("failure", ["template", "exception"])
def test_a_build_that_fails_after_the_early_index_began_changes_no_index(tmp_path: Path, monkeypatch, failure: str) -> None:
    """The post pages are staged and Pagefind is at work when a list page fails (or anything raises): the index and its files stay as they were."""
    import threading

    import generator.build.builder

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    before = tree(out / "pagefind"), (out / shards.MEMBERS).read_bytes()
    early = spy_early(monkeypatch)
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知（修订）", "2026-03-01", "通知公告", "请各支部学习民法典。"), encoding="utf-8")
    if failure == "template":  # the column list, rendered after the post pages, breaks
        (site / "themes/default/templates").mkdir(parents=True, exist_ok=True)
        (site / "themes/default/templates/list.html").write_text("{{ nope.nope }}", encoding="utf-8")
        assert not build(site, out).ok
    else:  # once every page is rendered, before the commit

        def boom(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(generator.build.builder.Builder, "_finish", boom)
        with pytest.raises(RuntimeError, match="boom"):
            build(site, out)
    assert [e.outcome for e in early] == ["dropped"]
    assert (tree(out / "pagefind"), (out / shards.MEMBERS).read_bytes()) == before
    assert not (out / shards.SCRATCH).exists() and not (out / STAGING).exists()
    assert not [t for t in threading.enumerate() if t.name == "liangshai-search"]


def same_index_as_a_clean_build(site: Path, out: Path, clean: Path) -> None:
    assert build(site, clean).ok
    assert tree(out / "pagefind") == tree(clean / "pagefind")
    assert (out / shards.MEMBERS).read_bytes() == (clean / shards.MEMBERS).read_bytes()
    for hidden in (shards.CHANGING, shards.DIRTY, shards.SCRATCH, STAGING):
        assert not (out / hidden).exists(), hidden


def test_the_first_post_of_a_unit_without_posts_is_indexed_early(tmp_path: Path, monkeypatch) -> None:
    """The unit's folder is there already (its unit page) but nothing of it is indexed: its new page is read from the staging folder too."""
    site = with_search_theme(write_site(tmp_path / "site", {**POSTS, "content/wy/_unit.toml": WY_UNIT}))
    out = tmp_path / "out"
    assert build(site, out).ok and (out / "wy/index.html").is_file()
    early = spy_early(monkeypatch)
    (site / "content/wy/2026").mkdir(parents=True)
    (site / "content/wy/2026/xuexi.md").write_text(post_text("外国语学院党委理论学习中心组学习会", "2026-03-02", "党建动态", "学习民法典。"), encoding="utf-8")
    assert build(site, out).ok
    assert [e.outcome for e in early] == ["installed"]
    assert "wy/xuexi/index.html" in json.loads((out / shards.MEMBERS).read_text("utf-8"))["pages"]
    same_index_as_a_clean_build(site, out, tmp_path / "clean")


def test_a_page_a_stopped_build_left_to_index_and_now_deleted_is_not_indexed(tmp_path: Path, monkeypatch) -> None:
    """CHANGING names a page the membership file does not know yet; the next build deletes it: read before the commit, gone after it."""
    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    new = site / "content/jx/2026/xinwen.md"
    new.write_text(post_text("机械工程学院召开党委会", "2026-03-20", "党建动态", "会议传达学习了民法典。", meeting="党委会"), encoding="utf-8")
    # the disk as a build killed right after its commit leaves it: pages in place, listed in CHANGING, not indexed
    assert Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31), defer_search=True)).build().ok
    assert "jx/xinwen/index.html" in json.loads((out / shards.CHANGING).read_text("utf-8"))
    early = spy_early(monkeypatch)
    new.unlink()
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知（修订）", "2026-03-01", "通知公告", "请各支部组织学习宪法。"), encoding="utf-8")
    assert build(site, out).ok
    assert [e.outcome for e in early] == ["fell back"]
    same_index_as_a_clean_build(site, out, tmp_path / "clean")


def test_a_failure_just_before_the_commit_leaves_no_search_thread_or_scratch(tmp_path: Path, monkeypatch) -> None:
    import threading

    import generator.build.builder

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    before = tree(out / "pagefind")
    early = spy_early(monkeypatch)

    def full(out_dir, paths):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generator.build.builder, "record_outputs", full)
    (site / "content/jx/2026/tongzhi.md").write_text(post_text("关于开展宪法宣传周活动的通知（修订）", "2026-03-01", "通知公告", "请各支部组织学习宪法。"), encoding="utf-8")
    with pytest.raises(OSError):
        build(site, out)
    assert [e.outcome for e in early] == ["dropped"]
    assert not [t for t in threading.enumerate() if t.name == "liangshai-search"]
    assert not (out / shards.SCRATCH).exists() and not (out / STAGING).exists()
    assert tree(out / "pagefind") == before


def _live_pagefinds() -> list[str]:
    """Pagefind processes this test process started that are still running."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{os.getpid()}\n" in status and b"pagefind" in cmd and "\nState:\tZ" not in status:
            found.append(proc.name)
    return found


@pytest.mark.parametrize("when", ["before", "during"])
def test_a_stopped_search_update_gives_way_and_the_next_one_completes_it(tmp_path: Path, monkeypatch, when: str) -> None:
    """serve's search update stops when another change comes in: Pagefind is killed, nothing is reported, the next update makes it whole."""
    import threading

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    before = tree(out / "pagefind")
    builder = Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31), defer_search=True, defer_save=True))
    (site / "content/jx/2026/xinwen.md").write_text(post_text("机械工程学院召开党委会", "2026-03-20", "党建动态", "会议传达学习了民法典。", meeting="党委会"), encoding="utf-8")
    assert builder.build().ok
    builder.save_deferred()
    stop = threading.Event()
    if when == "before":
        stop.set()
    else:  # once Pagefind has its work: kill it mid-shard

        class Stopping(ShardIndexer):
            def index_shard(self, service, *args, **kwargs):
                threading.Timer(0.05, stop.set).start()
                return super().index_shard(service, *args, **kwargs)

        monkeypatch.setattr(builder, "search", SearchIndex(indexer=Stopping()))
    try:
        assert builder.update_search(stop=stop) == []  # nothing to report: it gave way
    finally:
        monkeypatch.undo()
    assert stop.is_set() and _live_pagefinds() == []
    assert not (out / shards.SCRATCH).exists()
    assert "jx/xinwen/index.html" in json.loads((out / shards.CHANGING).read_text("utf-8"))
    # stopped before it began it reads nothing; stopped in Pagefind, the shard stays marked
    assert (out / shards.DIRTY).is_file() == (when == "during")
    # the shard that was behind keeps its old index until then (the manifest counts the pages already)
    assert {k: v for k, v in tree(out / "pagefind").items() if k != shards.MANIFEST} == {k: v for k, v in before.items() if k != shards.MANIFEST}
    assert builder.update_search() == []
    assert not (out / shards.DIRTY).exists() and not (out / shards.CHANGING).exists()
    same_index_as_a_clean_build(site, out, tmp_path / "clean")


def test_a_stop_that_comes_before_a_services_process_starts_still_stops_it(tmp_path: Path, monkeypatch) -> None:
    """The stop comes while a worker links its shard, before its Pagefind process exists: that process is stopped too."""
    import threading
    import time

    site = with_search_theme(write_site(tmp_path / "site", dict(POSTS)))
    out = tmp_path / "out"
    assert build(site, out).ok
    builder = Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31), defer_search=True, defer_save=True))
    (site / "content/jx/2026/xinwen.md").write_text(post_text("机械工程学院召开党委会", "2026-03-20", "党建动态", "会议传达学习了民法典。", meeting="党委会"), encoding="utf-8")
    assert builder.build().ok
    stop = threading.Event()

    class Slow(ShardIndexer):
        def link_site(self, *args, **kwargs):
            made = super().link_site(*args, **kwargs)
            stop.set()
            time.sleep(3 * indexer.STOP_POLL)  # the watcher sees the stop before any process exists
            return made

    monkeypatch.setattr(builder, "search", SearchIndex(indexer=Slow()))
    assert builder.update_search(stop=stop) == []
    assert _live_pagefinds() == [] and (out / shards.DIRTY).is_file()  # the shard was not indexed
    monkeypatch.undo()
    assert builder.update_search() == []
    same_index_as_a_clean_build(site, out, tmp_path / "clean")
