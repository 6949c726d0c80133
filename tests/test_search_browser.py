"""Search in a real headless Chromium: the demo site, served over HTTP with the production CSP.

The demo site (the repository root) is built once per test run (conftest.demo_build;
while the bundled theme lacks the search markup of test_search.THEME_EDITS, its
content is copied into a site with that markup and built here instead) and
served at / and under /sub/. Expected results are
computed from the content, never copied from what the engine returned.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import REPO, free_port
from test_search import with_search_theme

from generator.build.builder import Builder, BuildOptions

pytestmark = pytest.mark.browser

AS_OF = dt.date(2026, 11, 27)
# The header nginx sends (deploy/nginx.conf): no inline script or style; WebAssembly allowed.
CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        p = urlsplit(path).path
        if not p.startswith(self.prefix):
            return str(Path(self.directory) / ".not-under-prefix")
        return super().translate_path("/" + p[len(self.prefix) :])

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@contextmanager
def serve(directory: Path, prefix: str = "/"):
    handler = type("Handler", (_Handler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    """(model, output folder) of the demo site with the search markup.

    The bundled theme has the markup: the shared CLI build of the demo
    (conftest.demo_build, read only) and the model conftest.demo_model loads.
    Otherwise the content is copied into a site with the THEME_EDITS and built here.
    """
    if not any((REPO / "content").glob("*/_unit.toml")):
        pytest.fail("the demo site has no units under content/")
    if not any(with_search_theme(tmp_path_factory.mktemp("theme-probe")).rglob("*")):
        return request.getfixturevalue("demo_model"), request.getfixturevalue("demo_build")
    root = tmp_path_factory.mktemp("demo")
    site = root / "site"
    shutil.copytree(REPO / "content", site / "content")
    if (REPO / "site.toml").exists():
        shutil.copy(REPO / "site.toml", site / "site.toml")
    with_search_theme(site)
    out = root / "out"
    result = Builder(BuildOptions(site, out, as_of=AS_OF)).build()
    assert result.ok, [p.format() for p in result.problems if p.is_error][:10]
    return result.model, out


@pytest.fixture(scope="module")
def server(demo):
    with serve(demo[1]) as base:
        yield base


@pytest.fixture
def watched(page):
    """The page, failing the test on any script error, CSP violation or failed request."""
    errors: list[str] = []
    watch(page, errors)
    yield page
    assert not errors, errors


def watch(page, errors: list[str]) -> None:
    def console(m) -> None:
        # the theme has no favicon: the browser's own /favicon.ico request is not the search's
        if m.type == "error" and not (m.location or {}).get("url", "").endswith("/favicon.ico"):
            errors.append(f"console {m.type}: {m.text} ({(m.location or {}).get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    def failed(r) -> None:
        # the browser fetches the icon on its own schedule, after the load event: a test that
        # navigates on at once (the header's search form) aborts it, which is no fault of the site
        if not ("/favicon." in r.url and "ERR_ABORTED" in (r.failure or "")):
            errors.append(f"failed: {r.url} ({r.failure})")

    page.on("requestfailed", failed)


def wait_done(page) -> None:
    page.wait_for_selector('#search-status[data-state="done"]', timeout=20000)


def search(page, base: str, query: str = "", **params: str) -> list[dict]:
    qs = "&".join(f"{k}={quote(v)}" for k, v in {"q": query, **params}.items() if v)
    page.goto(f"{base}search/index.html?{qs}")
    wait_done(page)
    return shown(page)


def shown(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#search-results li",
        """items => items.map(li => ({
            href: li.querySelector("a.post-title").getAttribute("href"),
            url: li.querySelector("a.post-title").href,
            title: li.querySelector("a.post-title").textContent,
            unit: (li.querySelector(".unit") || {}).textContent,
            column: (li.querySelector(".section") || {}).textContent,
            date: (li.querySelector("time") || {getAttribute: () => null}).getAttribute("datetime"),
            meetings: Array.from(li.querySelectorAll(".badge.meeting")).map(b => b.textContent),
            excerpt: li.querySelector(".excerpt").innerHTML,
        }))""",
    )


def total(page) -> int:
    text = page.text_content("#search-status")
    m = re.search(r"找到 (\d+) 篇", text)
    return int(m.group(1)) if m else 0


def key_of(result: dict) -> str:
    """The result's post as "<unit>/<slug>" (from its relative link)."""
    return result["href"].removeprefix("../").removesuffix("/index.html")


class Content:
    """What the demo content says, to compute expected results."""

    def __init__(self, model):
        self.model = model
        self.meeting_names = {m.key: m.name for m in model.config.meetings}
        self.posts = {f"{p.unit}/{p.slug}": p for p in model.posts}

    def keys(self, pred) -> set[str]:
        return {k for k, p in self.posts.items() if pred(p)}

    def title_has(self, q: str) -> set[str]:
        return self.keys(lambda p: q in p.title)

    def text_has(self, q: str) -> set[str]:
        return self.keys(lambda p: q in p.title or q in self.model.bodies[p.source].text)

    def of_meeting(self, name: str) -> set[str]:
        return self.keys(lambda p: name in [self.meeting_names[k] for k in p.meetings])

    def of_unit(self, name: str) -> set[str]:
        return self.keys(lambda p: self.model.unit(p.unit).name == name)


@pytest.fixture(scope="module")
def content(demo) -> Content:
    return Content(demo[0])


def assert_first(results: list[dict], expected: set[str], query: str, k: int = 5) -> None:
    assert expected, f"the demo content no longer has “{query}”: choose another query"
    n = min(k, len(expected))
    got = [key_of(r) for r in results[:n]]
    assert len(got) == n and set(got) <= expected, (query, [r["title"] for r in results[:n]])


@pytest.mark.parametrize("query", ["党史", "宪法"])
def test_two_character_word_finds_the_posts_titled_with_it_first(watched, server, content, query) -> None:
    results = search(watched, server, query)
    assert_first(results, content.title_has(query), query)
    # every result on the page has the word verbatim somewhere (title or body)
    assert {key_of(r) for r in results} <= content.text_has(query)
    assert all(f"<mark>{query}</mark>" in r["excerpt"] or query in r["title"] for r in results)


@pytest.mark.parametrize("query", ["敬老爱老", "意识形态"])
def test_four_character_phrase_finds_the_posts_titled_with_it_first(watched, server, content, query) -> None:
    results = search(watched, server, query)
    assert_first(results, content.title_has(query), query)
    assert {key_of(r) for r in results[:3]} <= content.text_has(query)


@pytest.mark.parametrize("query", ["组织生活会", "党政联席会"])
def test_meeting_name_finds_records_of_that_meeting_first(watched, server, content, query) -> None:
    results = search(watched, server, query)
    expected = content.of_meeting(query) | content.title_has(query)
    assert_first(results, expected, query, k=10)
    assert key_of(results[0]) in content.of_meeting(query)
    assert total(watched) >= len(content.of_meeting(query))


def test_unit_name_finds_that_units_posts_first(watched, server, content) -> None:
    query = "外国语学院党委"
    results = search(watched, server, query)
    assert_first(results, content.of_unit(query), query, k=10)
    assert all(r["unit"] == query for r in results)


def test_result_shows_title_unit_column_date_and_highlighted_excerpt(watched, server, content) -> None:
    results = search(watched, server, "党史")
    first = content.posts[key_of(results[0])]
    r = results[0]
    assert r["title"] == first.title
    assert r["unit"] == content.model.unit(first.unit).name
    assert r["column"] == content.model.config.section_by_key(first.section).name
    assert r["date"] == first.day.isoformat()
    assert watched.text_content("#search-results li time") == f"{first.day.year}年{first.day.month}月{first.day.day}日"
    assert "<mark>" in r["excerpt"] and "<script" not in r["excerpt"] and "\u200b" not in r["excerpt"]
    # the link opens the post
    watched.click("#search-results li a.post-title")
    watched.wait_for_load_state()
    assert watched.text_content("h1") == first.title


def test_each_filter_narrows_the_results(watched, server, content) -> None:
    query = "主题党日"
    search(watched, server, query)
    everything = total(watched)
    assert everything > 20
    for key, field in (("unit", "unit"), ("column", "column"), ("year", "date"), ("meeting", "meetings")):
        select = watched.locator(f"#search-f-{key}")
        values = [v for v in select.evaluate("s => Array.from(s.options).map(o => o.value)") if v]
        assert len(values) >= 2, key
        value = values[-1] if key != "meeting" else "党课"
        select.select_option(value)
        wait_done(watched)
        narrowed = total(watched)
        assert 0 < narrowed < everything, (key, value, narrowed, everything)
        for r in shown(watched):
            if key == "year":
                assert r["date"].startswith(value)
            elif key == "meeting":
                assert value in r["meetings"]
            else:
                assert r[field] == value
        assert f"{key}={quote(value)}" in watched.url
        select.select_option("")
        wait_done(watched)
        assert total(watched) == everything


def test_filters_alone_list_exactly_the_matching_posts(watched, server, content) -> None:
    # no query: a filter lists every post that has the value, newest first
    search(watched, server, "", unit="外国语学院党委")
    assert total(watched) == len(content.of_unit("外国语学院党委"))
    search(watched, server, "", meeting="组织生活会", year="2025")
    expected = content.of_meeting("组织生活会") & content.keys(lambda p: p.day.year == 2025)
    assert total(watched) == len(expected)
    results = shown(watched)
    assert {key_of(r) for r in results} <= expected
    dates = [r["date"] for r in results]
    assert dates == sorted(dates, reverse=True)
    assert watched.input_value("#search-f-meeting") == "组织生活会" and watched.input_value("#search-f-year") == "2025"


def test_typing_searches_and_more_results_load(watched, server, content) -> None:
    search(watched, server)
    assert "请输入关键词" in watched.text_content("#search-status")
    watched.fill("#search-q", "组织生活会")
    wait_done(watched)
    assert len(shown(watched)) == 10 and total(watched) > 20
    assert "q=%E7%BB%84%E7%BB%87%E7%94%9F%E6%B4%BB%E4%BC%9A" in watched.url
    watched.click("#search-more button")
    wait_done(watched)
    results = shown(watched)
    assert len(results) == 20 and len({r["href"] for r in results}) == 20
    watched.select_option("#search-f-sort", "date")
    wait_done(watched)
    dates = [r["date"] for r in shown(watched)]
    assert dates == sorted(dates, reverse=True)
    watched.fill("#search-q", "没有这个词语的文章吧")
    wait_done(watched)
    assert shown(watched) == [] and "没有找到" in watched.text_content("#search-status")


def test_header_search_box_is_a_plain_form_to_the_search_page(watched, server, content) -> None:
    watched.goto(f"{server}jisuanji/index.html")
    watched.fill("#site-search-q", "党史")
    watched.press("#site-search-q", "Enter")
    watched.wait_for_url(re.compile(r"/search/index\.html\?q=%E5%85%9A%E5%8F%B2$"))
    wait_done(watched)
    assert watched.input_value("#search-q") == "党史"
    assert_first(shown(watched), content.title_has("党史"), "党史")


def test_opening_the_page_fetches_only_the_manifest_and_pagefind_js(page, server, demo, content) -> None:
    """The menus come from units.json; shard indexes and filter files are fetched when a search needs them."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(urlsplit(r.url).path))
    errors: list[str] = []
    watch(page, errors)
    manifest = json.loads((demo[1] / "pagefind/units.json").read_text("utf-8"))
    shards = manifest["shards"]
    first = f"/pagefind/{shards[0]['unit']}/{shards[0]['year']}/"
    search(page, server)
    assert "请输入关键词" in page.text_content("#search-status")
    assert [p for p in requests if p.startswith("/pagefind/")] == ["/pagefind/units.json", first + "pagefind.js"], requests
    # the menus list the content's values with their counts
    unit = "外国语学院党委"
    options = page.eval_on_selector_all("#search-f-unit option", "os => os.map(o => [o.value, o.textContent])")
    assert [unit, f"{unit}（{len(content.of_unit(unit))}）"] in options
    years = page.eval_on_selector_all("#search-f-year option", "os => os.map(o => o.value)")
    assert set(years) == {""} | {str(p.day.year) for p in content.model.posts}
    # a filter: only the shards with that unit's posts are merged (and the first, Pagefind's own), only the unit filter's files fetched
    requests.clear()
    page.select_option("#search-f-unit", unit)
    wait_done(page)
    assert total(page) == len(content.of_unit(unit)) and {r["unit"] for r in shown(page)} == {unit}
    folder = next(s["unit"] for s in shards if unit in s["filters"]["unit"])
    entries = {p.split("/")[2] + "/" + p.split("/")[3] for p in requests if p.endswith("/pagefind-entry.json")}
    assert entries == {f"{s['unit']}/{s['year']}" for s in shards if s["unit"] == folder} | {f"{shards[0]['unit']}/{shards[0]['year']}"}, entries
    assert len(entries) < len(shards)
    filter_files = [p for p in requests if "/filter/" in p]
    assert filter_files and len(filter_files) <= len(entries), filter_files  # one file (the unit filter) per shard at most
    # then a query: the other shards are merged too; the filter still narrows
    page.fill("#search-q", "主题党日")
    wait_done(page)
    results = shown(page)
    assert results and {r["unit"] for r in results} == {unit}
    assert not errors, errors


def test_search_works_under_a_sub_path(page, demo, content) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(urlsplit(r.url).path))
    errors: list[str] = []
    watch(page, errors)
    with serve(demo[1], "/sub/") as base:
        results = search(page, base, "敬老爱老")
        assert_first(results, content.title_has("敬老爱老"), "敬老爱老")
        assert all(p.startswith("/sub/") for p in requests if p != "/favicon.ico"), requests
        # the shard indexes (unit, year) listed in the manifest, all merged: fragments come from several
        shards = json.loads((demo[1] / "pagefind/units.json").read_text("utf-8"))["shards"]
        assert len({s["unit"] for s in shards}) >= 2 and len({s["year"] for s in shards}) >= 2
        assert all(f"/sub/pagefind/{s['unit']}/{s['year']}/pagefind-entry.json" in set(requests) for s in shards)
        assert "/sub/pagefind/units.json" in requests
        # the WebAssembly is loaded once, from the first shard
        assert [p for p in requests if p.endswith(".pagefind") and "/wasm." in p] == [f"/sub/pagefind/{shards[0]['unit']}/{shards[0]['year']}/wasm.unknown.pagefind"]
        fragment_shards = {tuple(p.split("/")[3:5]) for p in requests if re.match(r"/sub/pagefind/[^/]+/[^/]+/fragment/", p)}
        assert len(fragment_shards) >= 2, fragment_shards
        page.click("#search-results li a.post-title")
        page.wait_for_load_state()
        assert urlsplit(page.url).path.startswith("/sub/") and page.text_content("h1") == results[0]["title"]
    assert not errors, errors


def test_page_opened_from_disk_explains_why_search_cannot_load(page, demo) -> None:
    page.goto((demo[1] / "search" / "index.html").as_uri() + "?q=党史")
    page.wait_for_selector('#search-status[data-state="error"]', timeout=20000)
    assert "请通过网站地址" in page.text_content("#search-status")


def test_the_search_benchmark_measures_a_first_search_of_every_shard(browser, demo, content) -> None:
    """bench/search_browser.py, the reader's side of the shard layout (issue 23): a one-word search merges every
    shard, so its requests include each shard's entry file; it counts what the page shows."""
    from conftest import load_bench_script

    bench = load_bench_script("search_browser")
    out = demo[1]
    with bench.served(out) as base:
        found = bench.first_search(browser, base, "党史")
        nothing = bench.first_search(browser, base, "没有这样的词语")
    assert bench.shards(out) == len(json.loads((out / "pagefind/units.json").read_text("utf-8"))["shards"]) > 1
    assert found.results == min(10, len(content.text_has("党史"))) > 0
    assert found.requests >= bench.shards(out) + 3 and found.kilobytes > 0  # the page, units.json, pagefind.js and an entry per shard
    assert found.seconds > 0 and nothing.results == 0
    assert "| 党史 |" in bench.report(out, [found, found])
