"""Atom feeds, sitemap.xml and robots.txt: parsed with the real feedparser and xml.etree."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from conftest import post_text, run_cli, write_site

from generator.build.builder import Builder, BuildOptions

BASE = "http://dangjian.example.edu.cn/sub/"
CONFIG = f'[site]\ntitle = "测试党建网"\nbase_url = "{BASE}"\n'
A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

SECOND_UNIT = """\
name = "外国语学院党委"
kind = "教学单位"
order = 20
[[branches]]
id = "wy-jg"
name = "外国语学院教工党支部"
kind = "教职工"
"""


def _posts() -> dict[str, str]:
    """25 posts in unit jx over 25 days (so a feed must drop the oldest 5), 3 in unit wy."""
    files: dict[str, str] = {"content/wy/_unit.toml": SECOND_UNIT}
    start = dt.datetime(2026, 1, 1, 9, 0)
    for i in range(25):
        when = start + dt.timedelta(days=i, hours=i % 5)
        section = "支部生活" if i % 2 else "党建动态"
        extra = {"meeting": "支部委员会", "branch": "jx-jg1"} if section == "支部生活" else {}
        files[f"content/jx/2026/p{i:02d}.md"] = post_text(
            f"机械学院第{i + 1}号工作动态", when.strftime("%Y-%m-%d %H:%M"), section, f"第{i + 1}篇正文，介绍支部工作。", **extra
        )
    for i in range(3):
        files[f"content/wy/2026/w{i}.md"] = post_text(f"外国语学院动态{i + 1}", f"2025-12-0{i + 1}", "党建动态", "外语学院正文。")
    files["content/wy/2026/中文名.md"] = post_text("中文文件名的文章", "2026-01-15", "通知公告", "正文。")
    return files


def build(tmp_path: Path, config: str | None = CONFIG, files: dict[str, str] | None = None, name: str = "out"):
    site = write_site(tmp_path / f"site-{name}", files or _posts(), config=config)
    out = tmp_path / name
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31))).build()
    assert result.ok, [p.format() for p in result.problems]
    return result, out


def newest(result, **where) -> list:
    posts = [p for p in result.model.posts if all(getattr(p, k) == v for k, v in where.items())]
    return posts[:20]


def url_of(p) -> str:
    return BASE + quote(f"{p.unit}/{p.slug}/index.html")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("feeds"))


@pytest.mark.parametrize(
    "path,where,html",
    [
        ("atom.xml", {}, "index.html"),
        ("jx/atom.xml", {"unit": "jx"}, "jx/index.html"),
        ("wy/atom.xml", {"unit": "wy"}, "wy/index.html"),
        ("sections/branch-life/atom.xml", {"section": "branch-life"}, "sections/branch-life/index.html"),
        ("sections/news/atom.xml", {"section": "news"}, "sections/news/index.html"),
        ("sections/features/atom.xml", {"section": "features"}, "sections/features/index.html"),
    ],
)
def test_feed_parses_and_holds_the_newest_posts_in_order(built, path, where, html) -> None:
    result, out = built
    expected = newest(result, **where)
    feed = feedparser.parse((out / path).read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == BASE + path
    assert feed.feed.language == "zh-CN"
    assert {(l.rel, l.href) for l in feed.feed.links} >= {("self", BASE + path), ("alternate", BASE + html)}
    assert [e.link for e in feed.entries] == [url_of(p) for p in expected]
    assert [e.id for e in feed.entries] == [e.link for e in feed.entries]
    assert [e.title for e in feed.entries] == [p.title for p in expected]
    for entry, p in zip(feed.entries, expected, strict=False):
        assert entry.updated == p.date.isoformat()
        assert entry.summary
        assert entry.author == result.model.unit(p.unit).name
    if expected:
        # never the wall clock: the newest entry's date
        assert feed.feed.updated == max(p.date for p in expected).isoformat()
    else:
        assert feed.feed.updated == "2026-03-31T00:00:00+08:00"


def test_site_feed_keeps_only_twenty(built) -> None:
    result, out = built
    feed = feedparser.parse((out / "atom.xml").read_bytes())
    assert len(result.model.posts) > 20 and len(feed.entries) == 20
    assert feed.entries[0].title == "机械学院第25号工作动态"
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_atom_is_well_formed_with_required_elements(built) -> None:
    _, out = built
    for path in ("atom.xml", "jx/atom.xml", "sections/notices/atom.xml"):
        root = ET.fromstring((out / path).read_bytes())
        assert root.tag == f"{A}feed"
        for tag in ("id", "title", "updated", "author"):
            assert root.find(f"{A}{tag}") is not None, (path, tag)
        assert root.find(f"{A}author/{A}name").text == "测试党建网"
        for entry in root.findall(f"{A}entry"):
            for tag in ("id", "title", "updated", "link", "summary", "author"):
                assert entry.find(f"{A}{tag}") is not None, (path, tag)
            dt.datetime.fromisoformat(entry.find(f"{A}updated").text)  # RFC 3339 with offset
            assert entry.find(f"{A}updated").text.endswith("+08:00")
    # percent-encoded Chinese file name, in a valid absolute URL
    notices = ET.fromstring((out / "wy/atom.xml").read_bytes())
    links = [e.find(f"{A}link").get("href") for e in notices.findall(f"{A}entry")]
    assert BASE + "wy/%E4%B8%AD%E6%96%87%E5%90%8D/index.html" in links


def test_entry_categories_are_column_and_meetings(built) -> None:
    _, out = built
    feed = feedparser.parse((out / "sections/branch-life/atom.xml").read_bytes())
    assert {t.term for t in feed.entries[0].tags} == {"支部生活", "支部委员会"}


def test_sitemap_lists_every_html_page_but_404(built) -> None:
    result, out = built
    root = ET.fromstring((out / "sitemap.xml").read_bytes())
    assert root.tag == f"{SM}urlset"
    locs = [u.find(f"{SM}loc").text for u in root.findall(f"{SM}url")]
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert "404.html" in pages and "search/index.html" in pages
    assert sorted(locs) == sorted(BASE + quote(p) for p in pages if p != "404.html")
    assert len(locs) == len(set(locs))
    lastmod = {u.find(f"{SM}loc").text: u.find(f"{SM}lastmod") for u in root.findall(f"{SM}url")}
    p = result.model.posts[0]
    assert lastmod[url_of(p)].text == p.day.isoformat()


def test_robots_points_to_the_sitemap(built) -> None:
    _, out = built
    robots = (out / "robots.txt").read_text("utf-8")
    assert "User-agent: *" in robots
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_without_base_url_feeds_and_sitemap_are_skipped_with_a_warning(tmp_path: Path) -> None:
    result, out = build(tmp_path, config='[site]\ntitle = "测试党建网"\n')
    assert not (out / "atom.xml").exists()
    assert not (out / "jx/atom.xml").exists()
    assert not (out / "sections/news/atom.xml").exists()
    assert not (out / "sitemap.xml").exists()
    robots = (out / "robots.txt").read_text("utf-8")
    assert "User-agent: *" in robots and "Sitemap" not in robots
    warnings = [p for p in result.problems if "base_url" in p.message]
    assert len(warnings) == 1
    w = warnings[0]
    assert (w.path, w.line, w.is_error) == ("site.toml", 1, False)
    assert "已跳过 Atom 订阅源" in w.message and 'base_url = "http://' in w.message


def test_warning_is_printed_with_file_and_line(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/2026/a.md": post_text()})
    proc = run_cli("build", str(site), "-o", str(tmp_path / "out"), "--as-of", "2026-03-31")
    assert proc.returncode == 0, proc.stderr
    assert "site.toml:1: 警告：没有设置 [site] base_url，已跳过 Atom 订阅源" in proc.stdout + proc.stderr


def test_feeds_are_deterministic_and_removed_when_base_url_goes(tmp_path: Path) -> None:
    files = _posts()
    _, a = build(tmp_path, files=files, name="a")
    _, b = build(tmp_path, files=files, name="b")
    for path in ("atom.xml", "jx/atom.xml", "sections/news/atom.xml", "sitemap.xml", "robots.txt"):
        assert (a / path).read_bytes() == (b / path).read_bytes(), path
    # a later build of the same site without base_url prunes the feeds it wrote before
    site = tmp_path / "site-a"
    (site / "site.toml").write_text('[site]\ntitle = "测试党建网"\n', encoding="utf-8")
    result = Builder(BuildOptions(site, a, as_of=dt.date(2026, 3, 31))).build()
    assert result.ok
    assert not (a / "atom.xml").exists() and not (a / "jx/atom.xml").exists() and not (a / "sitemap.xml").exists()
    assert "Sitemap" not in (a / "robots.txt").read_text("utf-8")


def test_base_url_without_trailing_slash(tmp_path: Path) -> None:
    _, out = build(tmp_path, config='[site]\nbase_url = "http://x.example.edu.cn/dj"\n')
    feed = feedparser.parse((out / "atom.xml").read_bytes())
    assert feed.feed.id == "http://x.example.edu.cn/dj/atom.xml"
    assert all(e.link.startswith("http://x.example.edu.cn/dj/") for e in feed.entries)


def test_an_edit_remakes_only_the_feeds_showing_the_post_and_the_sitemap_only_when_pages_come_or_go(tmp_path, monkeypatch) -> None:
    from generator.plan import feeds

    made: list[str] = []
    real_feed, real_sitemap = feeds.atom_feed, feeds.sitemap_bytes
    monkeypatch.setattr(feeds, "atom_feed", lambda model, planner, path, *rest: made.append(path) or real_feed(model, planner, path, *rest))
    monkeypatch.setattr(feeds, "sitemap_bytes", lambda *args: made.append("sitemap.xml") or real_sitemap(*args))
    site = write_site(tmp_path / "site", _posts(), config=CONFIG)
    out = tmp_path / "out"
    options = BuildOptions(site, out, as_of=dt.date(2026, 3, 31))
    assert Builder(options).build().ok and "sitemap.xml" in made and "wy/atom.xml" in made
    made.clear()
    newest_jx = site / "content/jx/2026/p24.md"  # in the school's feed, jx's and 党建动态's
    newest_jx.write_text(newest_jx.read_text("utf-8").replace("第25篇正文", "第25篇正文（改）"), "utf-8")
    assert Builder(options).build().ok
    assert sorted(made) == ["atom.xml", "jx/atom.xml", "sections/news/atom.xml"]
    made.clear()
    (site / "content/wy/2026/w9.md").write_text(post_text("外国语学院新动态", "2025-11-01", "党建动态", "正文。"), "utf-8")
    assert Builder(options).build().ok
    assert "sitemap.xml" in made and "wy/atom.xml" in made and "jx/atom.xml" not in made
    _, clean = build(tmp_path, name="clean", files={**_posts(), "content/wy/2026/w9.md": (site / "content/wy/2026/w9.md").read_text("utf-8"), "content/jx/2026/p24.md": newest_jx.read_text("utf-8")})
    for path in ("atom.xml", "jx/atom.xml", "wy/atom.xml", "sections/news/atom.xml", "sitemap.xml"):
        assert (out / path).read_bytes() == (clean / path).read_bytes(), path
