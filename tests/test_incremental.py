"""Incremental builds: exactly the right pages re-render, and the bytes equal a clean build."""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import post_text, write_site
from conftest import replace_once as edit
from hostile_files import tiny_pdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build.builder import Builder, BuildOptions
from generator.write import output as write_module

AS_OF = dt.date(2026, 6, 30)

BASE: dict[str, str | bytes] = {
    "content/jx/2026/a.md": post_text("三月支部委员会", "2026-03-05", "支部生活", "## 议题\n\n学习。", meeting="支部委员会", branch="jx-jg1", tags=["学习"]),
    "content/jx/2026/b.md": post_text("三月主题党日", "2026-03-10", "支部生活", "参观。", meeting="主题党日", branch="jx-jg1"),
    "content/jx/2026/c.md": post_text("四月通知", "2026-04-01", "通知公告", "请参加。"),
    "content/jx/2026/d/index.md": post_text("特色阵地项目", "2026-05-01", "特色阵地", "进展。", attachments=["x.pdf"]),
    "content/jx/2026/d/x.pdf": tiny_pdf("first"),  # readable: an unreadable PDF is an error (issue 16)
}


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".liangshai")}


def clean_build(site: Path, out: Path) -> dict[str, bytes]:
    if out.exists():
        shutil.rmtree(out)
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    return tree(out)


@pytest.fixture
def warm(tmp_path: Path):
    site = write_site(tmp_path / "site", dict(BASE))
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    first = builder.build()
    assert first.ok, [p.format() for p in first.problems]
    return site, out, builder


def changed_pages(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {p for p in set(before) | set(after) if p.endswith(".html") and before.get(p) != after.get(p)}


def rebuild_and_compare(site: Path, out: Path, builder: Builder, tmp_path: Path) -> tuple[set[str], set[str]]:
    before = tree(out)
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems]
    after = tree(out)
    assert after == clean_build(site, tmp_path / "clean"), "incremental output differs from a clean build"
    return set(result.rendered), changed_pages(before, after)


LISTS_OF_A = {
    "index.html", "jx/index.html", "jx/branch-life/index.html", "sections/branch-life/index.html", "jx/branch/jx-jg1/index.html",
    "tags/学习/index.html", "archive/2026/index.html", "archive/2026/03/index.html",
}


def test_noop_rebuild_renders_nothing_and_parses_nothing(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    mtimes = {p: (out / p).stat().st_mtime_ns for p in tree(out)}
    result = builder.build()
    assert result.ok and result.rendered == () and result.written == () and result.parsed == ()
    assert {p: (out / p).stat().st_mtime_ns for p in tree(out)} == mtimes
    # a fresh builder (a new process) reads the state from disk and does no more work
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.rendered == () and result.parsed == ()


def test_body_edit_renders_only_its_page(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert rendered == changed == {"jx/c/index.html"}


def test_title_edit_renders_the_post_its_lists_and_neighbours(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: 三月支部委员会会议纪要")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert rendered == changed
    assert rendered == LISTS_OF_A | {"jx/a/index.html", "jx/b/index.html"}


COMPARE_ALL = {"compare/index.html", "compare/2026/index.html", "compare/2026/jx/index.html"}


@pytest.mark.parametrize(
    "old,new,expected",
    [
        # a date edit moves the post between month archives; the unit's activity sparkline changes
        ("date: 2026-03-05", "date: 2026-02-05", {"archive/2026/02/index.html", "archive/index.html", "compare/2026/jx/index.html"}),
        # the branch grid moves a met slot from one branch to the other; the unit totals stay
        ("branch: jx-jg1", "branch: jx-xs1", {"jx/branch/jx-xs1/index.html", "compare/2026/jx/index.html"}),
        # a second meeting type changes the counted numbers everywhere in the comparison index
        ("meeting: 支部委员会", "meeting: [支部委员会, 党课]", COMPARE_ALL),
        # a new column: both columns' lists, and b loses its older neighbour
        ("section: 支部生活", "section: 党建动态", {"jx/news/index.html", "sections/news/index.html", "jx/b/index.html", *COMPARE_ALL}),
    ],
    ids=["date", "branch", "meeting", "section"],
)
def test_metadata_edits_render_the_post_its_lists_and_the_index(warm, tmp_path: Path, old: str, new: str, expected: set[str]) -> None:
    site, out, builder = warm
    edit(site, "content/jx/2026/a.md", old, new)
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert changed <= rendered
    assert rendered == LISTS_OF_A | {"jx/a/index.html"} | expected


def test_new_post_and_deleted_post(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    (site / "content/jx/2026/e.md").write_text(post_text("五月通知", "2026-05-20", "通知公告", "新通知。"), encoding="utf-8")
    rendered, _changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert "jx/e/index.html" in rendered and "jx/c/index.html" in rendered  # c gains a newer neighbour
    assert {"index.html", "jx/index.html", "jx/notices/index.html", "sections/notices/index.html", "archive/2026/05/index.html"} <= rendered
    assert "jx/a/index.html" not in rendered and "jx/d/index.html" not in rendered
    (site / "content/jx/2026/e.md").unlink()
    result = builder.build()
    assert result.ok and "jx/e/index.html" in result.deleted and not (out / "jx/e").exists()
    assert tree(out) == clean_build(site, tmp_path / "clean2")


def test_year_archive_shows_each_months_newest_posts(tmp_path: Path) -> None:
    """The year page lists YEAR_PREVIEW posts a month: an older post's title edit leaves it alone, the newest's does not."""
    from generator.plan.pages import YEAR_PREVIEW

    files = dict(BASE)
    extra = YEAR_PREVIEW + 2
    for day in range(1, extra + 1):
        files[f"content/jx/2026/m{day:02d}.md"] = post_text(f"三月学习{day}", f"2026-03-{day + 10:02d}", "党建动态", "学习。")
    site = write_site(tmp_path / "site", files)
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    year = (out / "archive/2026/index.html").read_text("utf-8")
    march = year.split('id="h-m3"', 1)[1].split("</section>", 1)[0]
    assert march.count('class="post-title"') == YEAR_PREVIEW
    assert f"三月学习{extra}" in march and "三月学习1<" not in march  # newest first
    assert f'href="../../archive/2026/03/index.html">查看3月全部 {extra + 2} 篇' in march  # + a.md and b.md of BASE

    edit(site, "content/jx/2026/m01.md", "title: 三月学习1", "title: 三月学习一")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert "archive/2026/03/index.html" in rendered and "archive/2026/index.html" not in rendered | changed
    edit(site, f"content/jx/2026/m{extra:02d}.md", f"title: 三月学习{extra}", "title: 三月学习最新")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert "archive/2026/index.html" in rendered & changed


def test_attachment_edit_copies_only_the_file(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    (site / "content/jx/2026/d/x.pdf").write_bytes(tiny_pdf("second version, longer"))
    result = builder.build()
    assert result.ok
    assert set(result.written) == {"jx/d/x.pdf", "jx/d/index.html"}  # the page shows the size
    assert (out / "jx/d/x.pdf").read_bytes() == tiny_pdf("second version, longer")
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_template_edit_renders_pages_using_it(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    tpl = site / "themes/default/templates/tags.html"
    tpl.parent.mkdir(parents=True)
    tpl.write_text('{% extends "base.html" %}{% block main %}<h1>全部标签</h1>{% endblock %}\n', encoding="utf-8")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert rendered == changed == {"tags/index.html"}
    assert "全部标签" in (out / "tags/index.html").read_text("utf-8")


def test_site_toml_edit(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    (site / "site.toml").write_text('[site]\ntitle = "机械学院党建公开"\n', encoding="utf-8")
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    html_pages = {p for p in tree(out) if p.endswith(".html")}
    assert rendered == changed == html_pages  # the title is on every page
    result = builder.build()
    assert result.rendered == () and result.parsed == ()


def test_corrupt_or_old_state_means_full_build(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    (out / ".liangshai-state.pickle").write_bytes(b"not a pickle")
    result = builder.build()
    assert result.ok and len(result.parsed) == 4 and len(result.rendered) == len([p for p in tree(out) if p.endswith(".html")])
    assert result.written == ()  # same bytes: nothing rewritten
    (out / ".liangshai-bodies.sqlite").write_bytes(b"garbage" * 100)
    edit(site, "content/jx/2026/c.md", "请参加。", "请务必参加。")
    rendered, _changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert "jx/c/index.html" in rendered


def test_a_lost_body_store_renders_each_body_again_reading_the_site_once(warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.build.parsing import BodyLoader
    from generator.load import sources
    from generator.write.state import BODIES_FILE

    site, out, _builder = warm
    (out / BODIES_FILE).unlink()  # the state still names every body by its digest
    # a template edit: every post page rendered again, its body from the store, else from its source
    post_html = (Path(__file__).resolve().parents[1] / "themes" / "default" / "templates" / "post.html").read_text(encoding="utf-8")
    end = post_html.rfind("{% endblock")
    own = site / "themes" / "default" / "templates" / "post.html"
    own.parent.mkdir(parents=True)
    own.write_text(post_html[:end] + "<!-- 本校改过的文章页 -->\n" + post_html[end:], encoding="utf-8")
    walks: list[Path] = []
    bodies: list[str] = []
    real_discover, real_again = sources.discover, BodyLoader._again
    monkeypatch.setattr(sources, "discover", lambda site_dir, *a, **k: walks.append(site_dir) or real_discover(site_dir, *a, **k))
    monkeypatch.setattr(BodyLoader, "_again", lambda self, post: bodies.append(post.source) or real_again(self, post))
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    assert len(bodies) >= 4 and len(walks) == 1  # each body rendered again; content/ walked for them once
    monkeypatch.undo()
    assert tree(out) == clean_build(site, tmp_path / "clean")
    assert "<!-- 本校改过的文章页 -->" in (out / "jx" / "c" / "index.html").read_text(encoding="utf-8")


def test_interrupted_build_then_rebuild_is_correct(warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, out, _builder = warm
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: 改名后的支部委员会")
    edit(site, "content/jx/2026/c.md", "请参加。", "请全体参加。")
    real_replace = write_module.os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("injected failure mid-write")
        return real_replace(src, dst)

    monkeypatch.setattr(write_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="injected"):
        Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    monkeypatch.setattr(write_module.os, "replace", real_replace)
    # revert one edit so a stale fingerprint would be wrong if it were trusted
    edit(site, "content/jx/2026/a.md", "title: 改名后的支部委员会", "title: 三月支部委员会")
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_parallel_cold_build_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.build.builder as build_module

    monkeypatch.setattr(build_module, "PARALLEL_PARSE_MIN", 2)
    monkeypatch.setattr(build_module, "PARALLEL_RENDER_MIN", 2)
    site = write_site(tmp_path / "site", dict(BASE))
    result = Builder(BuildOptions(site, tmp_path / "par", as_of=AS_OF, jobs=2)).build()
    assert result.ok, [p.format() for p in result.problems]
    assert tree(tmp_path / "par") == clean_build(site, tmp_path / "serial")


THREADS_MALLOC = """
import ctypes, sys, threading
from generator.core.process import one_malloc_arena
if sys.argv[1] == "one":
    assert one_malloc_arena()
def work():
    junk = [bytes(100_000) for _ in range(50)]
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="M_ARENA_MAX and malloc_stats are glibc's")
def test_the_command_keeps_every_thread_in_one_malloc_arena() -> None:
    """`core.process.one_malloc_arena`: memory the search threads free is the build's to reuse (glibc counts its arenas in malloc_stats)."""

    def arenas(mode: str) -> int:
        res = subprocess.run([sys.executable, "-c", THREADS_MALLOC, mode], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
        return sum(1 for line in res.stderr.splitlines() if line.startswith("Arena "))

    assert arenas("default") > 1  # (threads that allocate get arenas of their own)
    assert arenas("one") == 1


GC_PAUSE = """
import gc, sys
from generator.core.process import one_build_process
from generator.write.state import gc_paused
if sys.argv[1] == "one":
    one_build_process()
with gc_paused():
    saved = [[i] for i in range(1000)]  # what a pause not marked kept makes (the state's pickling)
frozen_before = gc.get_freeze_count()
with gc_paused(kept=True):
    kept = [[i] for i in range(1000)]  # what a build keeps (the state, the plan)
print(gc.isenabled(), frozen_before, gc.get_freeze_count() >= 1000)
"""


def test_a_one_build_process_freezes_what_it_kept_while_the_gc_was_paused() -> None:
    """`core.process.resume_gc`: `liangshai build` moves what it allocated with the collector paused out of its reach;
    a process that builds again (serve, the tests) does not."""

    def after_pause(mode: str) -> str:
        res = subprocess.run([sys.executable, "-c", GC_PAUSE, mode], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
        return res.stdout.strip()

    assert after_pause("one") == "True 0 True"
    assert after_pause("again") == "True 0 False"


def test_parallel_incremental_builds_match_clean_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers plan and render the families that changed, against the saved fingerprints."""
    import generator.build.builder as build_module

    monkeypatch.setattr(build_module, "PARALLEL_PARSE_MIN", 2)
    monkeypatch.setattr(build_module, "PARALLEL_RENDER_MIN", 2)
    site = write_site(tmp_path / "site", dict(BASE))
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=2))
    assert builder.build().ok
    tpl = site / "themes/default/templates/list.html"
    tpl.parent.mkdir(parents=True)
    tpl.write_text('{% extends "base.html" %}{% block main %}<h1>{{ heading }}</h1>{% for p in posts %}<p>{{ p.title }}</p>{% endfor %}{% endblock %}\n', encoding="utf-8")
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: 三月支部委员会（修订）")
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems]
    assert "jx/a/index.html" in result.rendered and "jx/branch-life/index.html" in result.rendered and "jx/c/index.html" not in result.rendered
    assert tree(out) == clean_build(site, tmp_path / "clean")
    tpl.write_text('{% extends "base.html" %}{% block main %}{{ no_such_name.x }}{% endblock %}\n', encoding="utf-8")
    broken = builder.build()
    assert not broken.ok and any("list.html" in p.path for p in broken.errors), [p.format() for p in broken.problems]
    assert tree(out) == clean_build_with_template(site, tmp_path / "clean2", tpl)


def clean_build_with_template(site: Path, out: Path, tpl: Path) -> dict[str, bytes]:
    """The site as the last good template built it (the broken template put back first)."""
    tpl.write_text('{% extends "base.html" %}{% block main %}<h1>{{ heading }}</h1>{% for p in posts %}<p>{{ p.title }}</p>{% endfor %}{% endblock %}\n', encoding="utf-8")
    return clean_build(site, out)


EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("body"), st.sampled_from(["a", "b", "c"]), st.text("党建学习会议", min_size=1, max_size=5)),
        st.tuples(st.just("title"), st.sampled_from(["a", "b", "c"]), st.text("支部委员会通知", min_size=1, max_size=6)),
        st.tuples(st.just("date"), st.sampled_from(["a", "b", "c"]), st.sampled_from(["2026-01-31", "2026-03-05", "2026-06-30 23:59", "2025-12-01"])),
        st.tuples(st.just("new"), st.sampled_from(["n1", "n2"]), st.sampled_from(["通知公告", "党建动态", "特色阵地"])),
        st.tuples(st.just("delete"), st.sampled_from(["n1", "n2", "b"]), st.just("")),
        st.tuples(st.just("break"), st.sampled_from(["a", "c"]), st.just("")),
        st.tuples(st.just("template"), st.sampled_from(["list.html", "post.html"]), st.text("页脚", min_size=1, max_size=3)),
        # what a page shows from other places than its own post's title, body and date
        st.tuples(st.just("tags"), st.sampled_from(["a", "b", "c"]), st.sampled_from(["学习", "Study", "study", "党史, 学习", ""])),
        st.tuples(st.just("meeting"), st.sampled_from(["a", "b"]), st.sampled_from(["支部委员会", "主题党日", "[支部委员会, 党课]"])),
        st.tuples(st.just("branch"), st.sampled_from(["a", "b"]), st.sampled_from(["jx-jg1", "jx-xs1"])),
        st.tuples(st.just("unit"), st.just("_unit"), st.sampled_from(["机械工程学院第一教工党支部（新）", "机械工程学院第一教工党支部"])),
        st.tuples(st.just("page_size"), st.just("site"), st.sampled_from(["1", "2", "20"])),
    ),
    min_size=1,
    max_size=6,
)


def _front(path: Path, key: str, value: str) -> None:
    """Set (or, with value "", remove) one front-matter line ``key: value``."""
    lines = path.read_text("utf-8").split("\n")
    end = lines.index("---", 1)
    rest = [i for i in range(1, end) if lines[i].startswith(f"{key}:")]
    if rest:
        if value:
            lines[rest[0]] = f"{key}: {value}"
        else:
            del lines[rest[0]]
    elif value:
        lines.insert(end, f"{key}: {value}")
    path.write_text("\n".join(lines), encoding="utf-8")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=EDITS)
def test_random_edit_sequences_match_clean_builds(tmp_path_factory, edits) -> None:
    root = tmp_path_factory.mktemp("prop")
    # with a base_url: the feeds and the sitemap, made only when their keys change, are compared too
    site = write_site(root / "site", dict(BASE), config='[site]\nbase_url = "http://dj.example.edu.cn/"\n')
    out = root / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    theme = site / "themes/default/templates"
    for kind, target, value in edits:
        path = site / f"content/jx/2026/{target}.md"
        if kind == "body" and path.exists():
            path.write_text(path.read_text("utf-8") + value + "\n", encoding="utf-8")
        elif kind == "title" and path.exists():
            lines = path.read_text("utf-8").split("\n")
            lines[1] = f"title: {value}"
            path.write_text("\n".join(lines), encoding="utf-8")
        elif kind == "date" and path.exists():
            lines = path.read_text("utf-8").split("\n")
            lines[2] = f"date: {value}"
            path.write_text("\n".join(lines), encoding="utf-8")
        elif kind == "new":
            path.write_text(post_text(f"新{target}", "2026-05-05", value, "内容"), encoding="utf-8")
        elif kind == "delete" and path.exists():
            path.unlink()
        elif kind == "break" and path.exists():
            path.write_text(path.read_text("utf-8").replace("section:", "section: 不存在的栏目 #", 1), encoding="utf-8")
        elif kind == "tags" and path.exists():
            _front(path, "tags", f"[{value}]" if value else "")
        elif kind in ("meeting", "branch") and path.exists():
            _front(path, kind, value)
        elif kind == "unit":
            unit_file = site / "content/jx/_unit.toml"
            text = unit_file.read_text("utf-8")
            unit_file.write_text(text.replace(text.split('name = "', 2)[2].split('"', 1)[0], value, 1), encoding="utf-8")
        elif kind == "page_size":
            (site / "site.toml").write_text(f'[site]\nbase_url = "http://dj.example.edu.cn/"\npage_size = {value}\n', encoding="utf-8")
        elif kind == "template":
            from conftest import REPO

            theme.mkdir(parents=True, exist_ok=True)
            src = REPO / "themes/default/templates" / target
            (theme / target).write_text(src.read_text("utf-8") + f"\n{{# {value} #}}<!-- {value} -->\n", encoding="utf-8")
        before = tree(out)
        result = builder.build()
        if not result.ok:
            assert tree(out) == before, "a failed build must leave the output untouched"
            # repair the broken post so later steps build again
            for p in (site / "content/jx/2026").glob("*.md"):
                p.write_text(p.read_text("utf-8").replace("section: 不存在的栏目 #", "section:"), encoding="utf-8")
            result = builder.build()
            assert result.ok, [p.format() for p in result.problems]
        assert tree(out) == clean_build(site, root / "clean"), f"after {kind} {target}"


def test_a_body_edit_keeps_the_sitemap_and_makes_it_again_only_when_it_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit of a body (no page came or went, no day or commit changed) the last build's
    sitemap holds: its 13,000 entries at 10,000 posts are not worked out again, unless the file is gone."""
    from generator.plan import feeds

    site = write_site(tmp_path / "site", dict(BASE), config='[site]\nbase_url = "http://dj.example.edu.cn/"\n')
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    calls: list[int] = []
    real = feeds.sitemap_entries
    monkeypatch.setattr(feeds, "sitemap_entries", lambda *a: calls.append(1) or real(*a))
    post = site / "content/jx/2026/a.md"
    post.write_text(post.read_text("utf-8") + "补充一段。\n", encoding="utf-8")
    assert builder.build().ok
    assert calls == []
    (out / "sitemap.xml").unlink()
    post.write_text(post.read_text("utf-8") + "再补充一段。\n", encoding="utf-8")
    assert builder.build().ok
    assert calls == [1]
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_an_edit_that_brings_a_colliding_output_is_refused_like_a_clean_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last check before the commit, two outputs on one path (case aside), is left out only when
    every output is one the last build had: a second attachment that differs from the first only in
    case is still refused there (the parse's own check of attachment names is switched off here)."""
    from generator.parse import fields

    site = write_site(tmp_path / "site", dict(BASE))
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    before = tree(out)
    monkeypatch.setattr(fields, "collision_key", lambda name: name)
    bundle = site / "content/jx/2026/d/index.md"
    bundle.write_text(bundle.read_text("utf-8").replace("attachments: [x.pdf]", "attachments: [x.pdf, X.pdf]"), encoding="utf-8")
    (site / "content/jx/2026/d/X.pdf").write_bytes(tiny_pdf("second"))
    result = builder.build()
    assert any("两个输出使用同一路径" in p.message and "jx/d/X.pdf" in p.message for p in result.errors), [p.format() for p in result.problems]
    assert tree(out) == before


def test_noop_shortcut_still_sees_deleted_outputs_new_commits_and_a_new_day(warm, tmp_path: Path) -> None:
    from conftest import commit_all, git_init

    site, out, builder = warm
    (out / "jx/c/index.html").unlink()
    result = builder.build()
    assert result.rendered == ("jx/c/index.html",)
    # a commit changes the history (disclosure lag) without touching a file; a file's
    # first commit is not a later edit, so no post page gains "最后修改"
    git_init(site)
    commit_all(site, "录入", "2026-06-01T10:00:00+08:00")
    result = builder.build()
    assert result.ok and any(p.startswith("compare/") for p in result.rendered)
    assert "最后修改" not in (out / "jx/c/index.html").read_text("utf-8")
    # a later commit that changes c.md's content: its page now shows the change's date
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    commit_all(site, "修改", "2026-06-03T10:00:00+08:00")
    result = builder.build()
    assert "jx/c/index.html" in result.rendered
    assert "最后修改</dt><dd><time datetime=\"2026-06-03\">" in (out / "jx/c/index.html").read_text("utf-8")
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().rendered == ()
    later = Builder(BuildOptions(site, out, as_of=dt.date(2026, 7, 31), jobs=1)).build()
    assert later.ok and any(p.startswith("compare/") for p in later.rendered)
    clean = tmp_path / "clean"
    assert Builder(BuildOptions(site, clean, as_of=dt.date(2026, 7, 31), jobs=1)).build().ok
    assert tree(out) == tree(clean)


# -- incremental planning: which pages get a context built at all ------------------
#
# Rendering is decided per page by fingerprint (above); planning is decided per
# family (plan.Family) by key. These tests pin the second: an edit plans its own
# families and no others, and what a family does not hash re-plans everything.

ALL_COMPARE = {"compare/index.html", "compare/2026/index.html", "compare/2026/jx/index.html", "compare/2026/wy/index.html"}
SEARCH = "search/index.html"  # planned on every build that is not a no-op (one page, no posts)


def _wy(site: Path) -> None:
    """A second unit, so "the other unit's pages are not planned" means something."""
    (site / "content/wy/_unit.toml").parent.mkdir(parents=True)
    (site / "content/wy/_unit.toml").write_text('name = "外国语学院党委"\nkind = "二级党委"\n', encoding="utf-8")
    (site / "content/wy/2026").mkdir()
    (site / "content/wy/2026/w.md").write_text(post_text("外院通知", "2026-04-02", "通知公告", "外院。"), encoding="utf-8")


@pytest.fixture
def warm2(tmp_path: Path):
    site = write_site(tmp_path / "site", dict(BASE))
    _wy(site)
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    first = builder.build()
    assert first.ok, [p.format() for p in first.problems]
    assert {"wy/index.html", "wy/w/index.html", *ALL_COMPARE} <= set(first.planned)
    return site, out, builder


def _planned_after(site: Path, out: Path, builder: Builder, tmp_path: Path) -> set[str]:
    result = builder.build()
    assert result.ok, [p.format() for p in result.problems]
    assert tree(out) == clean_build(site, tmp_path / "clean"), "incremental output differs from a clean build"
    return set(result.planned)


def test_body_edit_plans_its_post_only(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    planned = _planned_after(site, out, builder, tmp_path)
    # lists show a post's title, date, column, meetings, branch and category, never its body
    assert planned == {SEARCH, "jx/c/index.html"}
    # a post with neighbours: they show its title, not its body
    edit(site, "content/jx/2026/a.md", "学习。", "学习党章。")
    assert _planned_after(site, out, builder, tmp_path) == {SEARCH, "jx/a/index.html"}


def test_a_body_edit_keeps_every_other_family_without_deriving_their_keys(warm2, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only bodies changed: the last build's families are kept as they are (`build.planning.keep_previous`),
    `Planner.families` (every family's key, ~12,500 at 10,000 posts) is not called; a title derives the keys
    of the families listing the post only (``only``); any other edit walks them all."""
    from generator.plan.pages import Planner

    site, out, builder = warm2
    walks: list[object] = []
    real = Planner.families
    monkeypatch.setattr(Planner, "families", lambda self, only=None, whole=False: walks.append(only and (*only, whole)) or real(self, only, whole))
    # the comparison index's key reads every post's counted fields: not derived when only bodies and titles changed
    keyed: list[str] = []
    real_key = Planner.key
    monkeypatch.setattr(Planner, "key", lambda self, *a, **k: keyed.append(str(a[0]) if a else "") or real_key(self, *a, **k))
    a = "content/jx/2026/a.md"
    for old, new, expected in (("学习。", "学习党章。", []), ("学习", "党史", [None]), ("title: ", "title: 新", [(a, False)])):  # a body, a tag, a title
        edit(site, "content/jx/2026/a.md", old, new)
        walks.clear()
        keyed.clear()
        result = builder.build()
        assert result.ok and walks == expected, old
        assert keyed.count("compare") == (1 if expected == [None] else 0), old
        if not expected:
            assert set(result.planned) == {SEARCH, "jx/a/index.html"}
        assert tree(out) == clean_build(site, tmp_path / "clean"), old
    # a new post: the lists that can hold it are keyed whole (``whole``), the comparison index too
    new = "content/jx/2026/e.md"
    (site / new).write_text(post_text("五月支部委员会", "2026-05-08", "支部生活", "学习。", meeting="支部委员会", branch="jx-jg1", tags=["学习"]), "utf-8")
    walks.clear()
    keyed.clear()
    result = builder.build()
    assert result.ok and walks == [(new, True)] and keyed.count("compare") == 1
    assert tree(out) == clean_build(site, tmp_path / "clean-new")


def test_tag_edit_plans_its_post_and_the_tag_pages_only(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    edit(site, "content/jx/2026/a.md", "学习", "党史")
    planned = _planned_after(site, out, builder, tmp_path)
    # the post shows its tags; the tag lists it leaves and joins, and the tag index (names and counts)
    assert planned == {SEARCH, "jx/a/index.html", "tags/index.html", "tags/党史/index.html"}
    assert not (out / "tags/学习/index.html").exists()  # its only post left it


def test_title_edit_plans_lists_and_neighbours_but_not_the_comparison_index(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: 三月支部委员会会议纪要")
    planned = _planned_after(site, out, builder, tmp_path)
    assert {"jx/a/index.html", "jx/b/index.html", "jx/branch/jx-jg1/index.html", "tags/学习/index.html"} <= planned
    assert not planned & ALL_COMPARE
    assert "jx/c/index.html" not in planned and "wy/index.html" not in planned and "tags/index.html" not in planned


def test_meeting_edit_plans_the_comparison_index(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    edit(site, "content/jx/2026/a.md", "meeting: 支部委员会", "meeting: [支部委员会, 党课]")
    planned = _planned_after(site, out, builder, tmp_path)
    # the year pages and jx's own (a unit's page is a family of its own: wy's figures did not change)
    assert planned >= ALL_COMPARE - {"compare/2026/wy/index.html"} and "wy/w/index.html" not in planned


def test_a_new_post_plans_its_units_comparison_page_and_not_the_others(warm2, tmp_path: Path) -> None:
    """Each unit's comparison page is a family of its own (`build.phases.plan_compare_units`): a notice in jx changes
    jx's counts, not its cadence or its place, so wy's page is kept; the year pages (every unit's row) are made."""
    site, out, builder = warm2
    (site / "content/jx/2026/notice.md").write_text(post_text("五月通知", "2026-05-02", "通知公告", "请参加。"), "utf-8")
    planned = _planned_after(site, out, builder, tmp_path)
    assert planned & ALL_COMPARE == ALL_COMPARE - {"compare/2026/wy/index.html"}


def test_a_unit_passing_another_remakes_both_comparison_pages(warm2, tmp_path: Path) -> None:
    """A unit's page shows its place among the units: when wy passes jx, jx's page is made again though its figures
    are the same (its key holds the place), and the output equals a clean build."""
    site, out, builder = warm2

    def order() -> list[str]:
        return json.loads((out / "data/compare.json").read_text("utf-8"))["years"]["2026"]["order"]

    assert order() == ["jx", "wy"]  # jx met one slot; wy, without a branch, none of its 党委会
    (site / "content/wy/2026/committee.md").write_text(post_text("一月党委会", "2026-01-10", "党建动态", "会议。", meeting="党委会"), "utf-8")
    planned = _planned_after(site, out, builder, tmp_path)
    assert order() == ["wy", "jx"] and planned >= ALL_COMPARE


def test_new_commit_rereads_history_and_same_commit_does_not(warm2, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import commit_all, git_init

    from generator.build import builder as build_module

    site, out, builder = warm2
    git_init(site)
    commit_all(site, "录入", "2026-06-01T10:00:00+08:00")
    reads: list[Path] = []
    real = build_module.read_history

    def counting(site_dir: Path, tz):  # the real reader, counted
        reads.append(site_dir)
        return real(site_dir, tz)

    monkeypatch.setattr(build_module, "read_history", counting)
    planned = _planned_after(site, out, builder, tmp_path)
    assert len(reads) == 2  # this build, and the clean build beside it
    # lag numbers; a first commit is no later edit, so no post page is planned for "最后修改"
    assert planned >= ALL_COMPARE and "jx/c/index.html" not in planned
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")  # not committed: HEAD is the same
    reads.clear()
    planned = _planned_after(site, out, builder, tmp_path)
    assert len(reads) == 1  # only the clean build read git; the warm one kept the history of this commit
    assert not planned & ALL_COMPARE


def test_settings_unit_file_and_theme_changes_plan_everything(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    everything = set(clean_build(site, tmp_path / "all"))
    pages = {p for p in everything if p.endswith(".html") and not p.startswith("pagefind/")}
    (site / "content/wy/_unit.toml").write_text('name = "外国语学院党委（新）"\nkind = "二级党委"\n', encoding="utf-8")
    assert _planned_after(site, out, builder, tmp_path) == pages
    tpl = site / "themes/default/templates/tags.html"
    tpl.parent.mkdir(parents=True)
    tpl.write_text('{% extends "base.html" %}{% block main %}<h1>全部标签</h1>{% endblock %}\n', encoding="utf-8")
    assert _planned_after(site, out, builder, tmp_path) == pages


def test_an_output_deleted_by_hand_plans_its_family_again(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    (out / "wy/w/index.html").unlink()
    (out / "compare/2026/wy/index.html").unlink()
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")  # not a no-op build
    planned = _planned_after(site, out, builder, tmp_path)
    assert {"wy/w/index.html", "compare/2026/wy/index.html"} <= planned
    assert (out / "wy/w/index.html").is_file() and (out / "compare/2026/wy/index.html").is_file()


def test_a_damaged_noop_key_or_state_never_skips_a_needed_build(warm2, tmp_path: Path) -> None:
    site, out, builder = warm2
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    (out / ".liangshai-state.key").write_bytes(b"\x80garbage")
    assert "jx/c/index.html" in _planned_after(site, out, builder, tmp_path)
    # a state replaced behind the key's back: the key no longer vouches for it
    (out / ".liangshai-state.pickle").write_bytes(b"not a pickle")
    result = builder.build()
    assert result.ok and len(result.parsed) == 5
    assert tree(out) == clean_build(site, tmp_path / "clean3")


# -- outputs a lost state no longer knows about; code changes that alter rendering --


def test_a_deleted_posts_page_is_removed_even_when_the_state_is_lost(warm, tmp_path: Path) -> None:
    """An unreadable or older state (STATE_VERSION bump on upgrade) must not leave a deleted post published."""
    site, out, builder = warm
    (out / ".liangshai-state.pickle").write_bytes(b"not a pickle")
    (site / "content/jx/2026/c.md").unlink()
    assert builder.build().ok
    assert not (out / "jx/c/index.html").exists(), "the deleted post is still published"
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_a_deleted_posts_page_is_removed_after_an_interrupted_commit(warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """clear_state runs before Writer.commit: a crash there forgets which outputs the deletion was due for."""
    site, out, _builder = warm
    (site / "content/jx/2026/c.md").unlink()
    real_replace = write_module.os.replace

    def failing_replace(src, dst):
        raise OSError("injected failure mid-write")

    monkeypatch.setattr(write_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="injected"):
        Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    monkeypatch.setattr(write_module.os, "replace", real_replace)
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    assert not (out / "jx/c/index.html").exists(), "the deleted post is still published"
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_a_code_change_that_alters_rendering_renders_again(warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade changes a template filter (or the Jinja options): the global key sees new code stamps and
    plans every family again, but the page fingerprints hash only contexts and template sources."""
    import generator.build.builder as build_module
    import generator.render.theme as theme_module

    site, out, _ = warm
    real_href, real_digest = theme_module.href, build_module.code_digest()
    monkeypatch.setattr(theme_module, "href", lambda value: real_href(value) + "?v2")
    import generator.build.inputs as inputs_module

    for module in (build_module, inputs_module):  # the input key (the no-op check) and every other key
        monkeypatch.setattr(module, "code_digest", lambda: real_digest + "-upgraded")
    result = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build()
    assert result.ok
    assert tree(out) == clean_build(site, tmp_path / "clean")


def test_an_output_folder_from_before_the_outputs_record_is_cleaned_and_a_foreign_folder_is_not(warm, tmp_path: Path) -> None:
    site, out, builder = warm
    # an output folder as an older liangshai left it: no record, and a state this version cannot read
    (out / ".liangshai-outputs").unlink()
    (out / ".liangshai-state.pickle").write_bytes(b"an older state")
    (site / "content/jx/2026/c.md").unlink()
    assert builder.build().ok
    assert not (out / "jx/c/index.html").exists()
    assert tree(out) == clean_build(site, tmp_path / "clean")
    # a folder liangshai never built into (no body cache in it): its own files are left alone
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not ours", encoding="utf-8")
    assert Builder(BuildOptions(site, foreign, as_of=AS_OF, jobs=1)).build().ok
    assert (foreign / "notes.txt").read_text("utf-8") == "not ours"


def test_a_new_day_plans_only_what_shows_the_day(warm2, tmp_path: Path) -> None:
    """The as-of day is read by the comparison index and (its year) by the unit pages only."""
    site, out, _ = warm2
    later = dt.date(2026, 7, 1)
    result = Builder(BuildOptions(site, out, as_of=later, jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    assert set(result.planned) == ALL_COMPARE | {SEARCH}
    clean = tmp_path / "clean"
    assert Builder(BuildOptions(site, clean, as_of=later, jobs=1)).build().ok
    assert tree(out) == tree(clean)
    next_year = Builder(BuildOptions(site, out, as_of=dt.date(2027, 1, 2), jobs=1)).build()
    assert next_year.ok and {"jx/index.html", "wy/index.html"} <= set(next_year.planned)
    clean2 = tmp_path / "clean2"
    assert Builder(BuildOptions(site, clean2, as_of=dt.date(2027, 1, 2), jobs=1)).build().ok
    assert tree(out) == tree(clean2)


def test_a_family_whose_key_holds_plans_the_same_pages_whatever_field_lists_do_not_show_changes(warm2, tmp_path: Path) -> None:
    """Unchanged key ⇒ unchanged pages, for every field of a post outside `summary_inputs`.

    One post's field is changed at a time (and its token with it); every family
    whose key stayed the same must plan pages with the same paths and
    fingerprints. A family that read such a field directly, not through the
    post's summary, fails here. Only the post's own page (and, for tags, the tag
    families) may change key.
    """
    import dataclasses

    from generator.core.model import SiteModel
    from generator.plan.pages import Planner, fingerprint, summary_inputs

    site, _, _ = warm2
    model = Builder(BuildOptions(site, tmp_path / "fresh", as_of=AS_OF, jobs=1)).build().model
    assert model is not None
    post = next(p for p in model.posts if p.tags and p.meetings and p.branch)
    tokens = {p.source: f"t-{p.source}" for p in model.posts}

    def families(m: SiteModel, toks: dict[str, str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
        return {f.id: (f.key, [(spec.path, fingerprint(spec.template, spec.context)) for spec in f.make()]) for f in Planner(m, {}, None, toks).families()}

    before = families(model, tokens)
    shown = {"title", "unit", "slug", "date", "section", "meetings", "branch", "category", "draft", "source"}
    assert len(summary_inputs(post)) == len(shown) - 1  # source: the post's identity, not a field it shows
    for f in dataclasses.fields(post):
        if f.name in shown:
            continue
        value = getattr(post, f.name)
        if isinstance(value, tuple) and not value:  # another post's value (attachments are objects)
            donor = "attachments" if f.name == "extra_files" else f.name  # both tuples of Attachment (the post page reads both)
            other = next((getattr(q, donor) for q in model.posts if getattr(q, donor)), ("变",))
        else:
            other = (not value) if isinstance(value, bool) else value + 1 if isinstance(value, int) else value + "变" if isinstance(value, str) else ()
        changed = dataclasses.replace(post, **{f.name: other})
        m = dataclasses.replace(model, posts=tuple(changed if p is post else p for p in model.posts))
        after = families(m, {**tokens, post.source: "t-changed"})
        moved = {fid for fid in before.keys() | after.keys() if before.get(fid, ("",))[0] != after.get(fid, ("",))[0]}
        allowed = {f"post:{post.source}"} | ({fid for fid in moved if fid == "tags" or fid.startswith("tag:")} if f.name == "tags" else set())
        assert moved == allowed, (f.name, moved - allowed)
        for fid in before.keys() - moved:
            assert after[fid] == before[fid], f"{fid} shows Post.{f.name} but its key does not hold it (plan.summary_inputs)"


def test_state_is_pickled_straight_to_its_file_and_vouched_for_by_its_hash(warm, tmp_path: Path) -> None:
    import hashlib
    import pickle

    from generator.write import state as state_module

    _site, out, _builder = warm
    st = state_module.load_state(out)
    assert st is not None
    saved = state_module.save_state(out, st)
    data = (out / state_module.STATE_FILE).read_bytes()
    assert saved.digest == hashlib.sha256(data).hexdigest()
    assert saved.state is st and saved.current(out)
    assert pickle.loads(data)[0] == state_module.STATE_VERSION
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    broken = state_module.BuildState(pages={"x": Unpicklable()})  # type: ignore[dict-item]
    with pytest.raises(RuntimeError):
        state_module.save_state(out, broken)
    assert (out / state_module.STATE_FILE).read_bytes() == data  # the old state stays whole
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]


def _state_unpickles(monkeypatch) -> list[str]:
    """Record every time a build unpickles the state file."""
    import pickle

    from generator.write import state as state_module

    seen: list[str] = []
    real = pickle.load

    def load(fh, *args, **kwargs):
        if str(getattr(fh, "name", "")).endswith(state_module.STATE_FILE):
            seen.append(fh.name)
        return real(fh, *args, **kwargs)

    monkeypatch.setattr(state_module.pickle, "load", load)
    return seen


def test_a_builder_reuses_the_state_it_saved(warm, tmp_path: Path, monkeypatch) -> None:
    """serve's builder keeps its saved state in memory: an edit is built without unpickling it, and correctly."""
    site, out, builder = warm
    seen = _state_unpickles(monkeypatch)
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    rendered, _ = rebuild_and_compare(site, out, builder, tmp_path)
    assert rendered == {"jx/c/index.html"}
    assert seen == []  # (the clean build compared with is another folder and reads none)
    # a new builder (a new process) has only the file
    edit(site, "content/jx/2026/c.md", "请准时参加。", "请按时参加。")
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    assert len(seen) == 1


def test_a_kept_state_is_not_used_once_another_build_replaced_the_file(warm, tmp_path: Path, monkeypatch) -> None:
    site, out, builder = warm
    seen = _state_unpickles(monkeypatch)
    # another process builds an edit into the same folder, then the edit is undone
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    edit(site, "content/jx/2026/c.md", "请准时参加。", "请参加。")
    # the first builder's kept state describes the page as it is again; the page on disk is the edited one
    rendered, changed = rebuild_and_compare(site, out, builder, tmp_path)
    assert rendered == changed == {"jx/c/index.html"}
    assert len(seen) == 2  # the other builder read the file, then this one read what the other wrote


def test_a_deferred_state_is_saved_when_asked_and_meanwhile_carried_in_memory(warm, tmp_path: Path) -> None:
    """serve's builder returns before saving the state; the next build starts from it in memory, one that fails keeps it."""
    from generator.write import state as state_module

    site, out, _ = warm
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1, defer_search=True, defer_save=True))
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    result = builder.build()
    assert result.ok and set(result.rendered) == {"jx/c/index.html"}
    assert not (out / state_module.STATE_FILE).exists()  # withdrawn before the commit, not saved yet
    builder.save_deferred()
    assert (out / state_module.STATE_FILE).is_file() and (out / state_module.KEY_FILE).is_file()
    edit(site, "content/jx/2026/c.md", "请准时参加。", "请按时参加。")
    assert set(builder.build().rendered) == {"jx/c/index.html"}
    # not saved this time: the next builds start from the state in memory, incremental still
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: [未闭合")
    assert not builder.build().ok  # fails before its commit: keeps the state it started from
    edit(site, "content/jx/2026/a.md", "title: [未闭合", "title: 三月支部委员会")
    edit(site, "content/jx/2026/a.md", "学习。", "学习党章。")
    assert set(builder.build().rendered) == {"jx/a/index.html"}
    assert not (out / state_module.STATE_FILE).exists()
    builder.save_deferred()
    builder.update_search()
    assert tree(out) == clean_build(site, tmp_path / "clean")
    # and the saved state is a whole one: a new builder's edit is incremental
    edit(site, "content/jx/2026/c.md", "请按时参加。", "请参加。")
    assert set(Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().rendered) == {"jx/c/index.html"}


def test_a_deferred_state_is_dropped_once_another_build_wrote_the_folder(warm, tmp_path: Path) -> None:
    """The in-memory state of a defer_save build no longer describes the folder after another build: not used, not saved."""
    from generator.write import state as state_module

    site, out, _ = warm
    serving = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1, defer_search=True, defer_save=True))
    edit(site, "content/jx/2026/a.md", "学习。", "学习党章。")
    assert serving.build().ok  # its state in memory only
    # another process builds an edit into the same folder, then the edit is undone
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    edit(site, "content/jx/2026/c.md", "请准时参加。", "请参加。")
    # the kept state describes c's page as it is again; on disk it is the edited one
    assert "jx/c/index.html" in serving.build().rendered
    serving.update_search()
    assert tree(out) == clean_build(site, tmp_path / "clean")
    serving.save_deferred()
    # once more with the other build last: the kept state is not saved over the other build's
    edit(site, "content/jx/2026/a.md", "学习党章。", "学习党章党规。")
    assert serving.build().ok
    edit(site, "content/jx/2026/c.md", "请参加。", "请准时参加。")
    assert Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1)).build().ok
    saved = (out / state_module.STATE_FILE).read_bytes()
    serving.save_deferred()
    assert (out / state_module.STATE_FILE).read_bytes() == saved


def test_title_edit_plans_only_the_list_pages_that_show_the_post(tmp_path: Path) -> None:
    """Each page of a paginated list is its own family: the other pages of the list are not planned."""
    site = write_site(tmp_path / "site", dict(BASE), config="[site]\npage_size = 1\n")
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    first = builder.build()
    assert first.ok, [p.format() for p in first.problems]
    # 支部生活 of jx, one post a page: b (newer) on the front page, a on page 1 (the oldest)
    assert {"jx/branch-life/index.html", "jx/branch-life/page/1/index.html"} <= set(first.planned)
    edit(site, "content/jx/2026/a.md", "title: 三月支部委员会", "title: 三月支部委员会会议纪要")
    planned = _planned_after(site, out, builder, tmp_path)
    assert {"jx/branch-life/page/1/index.html", "sections/branch-life/page/1/index.html", "jx/a/index.html", "jx/b/index.html"} <= planned
    assert "jx/branch-life/index.html" not in planned and "sections/branch-life/index.html" not in planned


def test_a_new_post_plans_the_front_page_of_its_lists_not_the_numbered_ones(tmp_path: Path) -> None:
    """Numbered pages count from the oldest post: a new post changes no numbered page, except the few below a page that splits off."""
    files = dict(BASE)
    for i in range(12):
        files[f"content/jx/2026/n{i:02d}.md"] = post_text(f"通知{i:02d}", f"2026-01-{i + 1:02d}", "通知公告", "请参加。")
    site = write_site(tmp_path / "site", files, config="[site]\npage_size = 2\n")
    out = tmp_path / "out"
    builder = Builder(BuildOptions(site, out, as_of=AS_OF, jobs=1))
    assert builder.build().ok
    # 通知公告 of jx: n00–n11 and c, 13 posts: pages 1–5 the oldest ten, the front page the newest three.
    # A fourteenth splits page 6 off the front page: its links reach pages 2–5, not page 1.
    (site / "content/jx/2026/e.md").write_text(post_text("五月通知", "2026-05-20", "通知公告", "新通知。"), encoding="utf-8")
    planned = {p for p in _planned_after(site, out, builder, tmp_path) if p.startswith("jx/notices/")}
    assert planned == {"jx/notices/index.html", *(f"jx/notices/page/{k}/index.html" for k in range(2, 7))}
    assert "通知11" in (out / "jx/notices/page/6/index.html").read_text("utf-8")
    # a fifteenth: the front page alone, in every list it is in
    (site / "content/jx/2026/f.md").write_text(post_text("六月通知", "2026-06-20", "通知公告", "新通知。"), encoding="utf-8")
    planned = _planned_after(site, out, builder, tmp_path)
    assert {"jx/notices/index.html", "sections/notices/index.html", "archive/2026/06/index.html"} <= planned
    assert not {p for p in planned if "/page/" in p}, sorted(planned)


def test_commit_puts_files_where_folders_and_links_were(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "a" / "page.html" / "inner").mkdir(parents=True)
    (out / "a" / "page.html" / "inner" / "x.html").write_text("old")
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    (out / "b").mkdir()
    (out / "b" / "link.html").symlink_to(elsewhere, target_is_directory=True)
    writer = write_module.Writer(out)
    pages = {"a/page.html": b"A", "b/link.html": b"B", "c/d/e.html": b"E", "c/d/f.html": b"F"}
    for rel, data in pages.items():
        assert writer.put(rel, data)
    report = writer.commit(set(pages), set())
    assert sorted(report.written) == sorted(pages)
    assert {rel: (out / rel).read_bytes() for rel in pages} == pages
    assert not (out / "b" / "link.html").is_symlink()
    assert (elsewhere / "keep.txt").read_text() == "not ours"  # the link was replaced, never followed
    assert not (out / write_module.STAGING).exists()
