"""End to end: `liangshai publish` → real nginx with deploy/nginx.conf → headless Chromium.

The demo site (repository root, ``--as-of 2026-11-27``) is published into a
fresh web root; nginx serves it at ``/`` and, through the sub-path example of
deploy/nginx.conf, at ``/sub/``. A second test publishes release after release while
readers fetch pages and their stylesheets through nginx.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import REPO, post_text, run_cli, write_site
from nginx_util import public_dir, require_nginx, running_nginx

pytestmark = [pytest.mark.nginx]

AS_OF = "2026-11-27"
CSP_REQUIRED = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
]
CSP_SPY = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def _units() -> list[str]:
    content = REPO / "content"
    assert content.is_dir(), "仓库根目录的示例站点 content/ 不存在"
    units = sorted(d.name for d in content.iterdir() if (d / "_unit.toml").exists())
    assert units, "示例站点 content/ 里还没有单位"
    return units


@pytest.fixture(scope="module")
def demo():
    """The demo site published into a web root nginx can read; yields (webroot, release dir)."""
    require_nginx()
    _units()
    with public_dir() as root:
        webroot = root / "www"
        proc = run_cli("publish", str(REPO), "--to", str(webroot), "--as-of", AS_OF)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield webroot, (webroot / "current").resolve()


@pytest.fixture(scope="module")
def server(demo):
    webroot, _ = demo
    with running_nginx(webroot, subpath="/sub/") as nginx:
        yield nginx
        assert "[emerg]" not in nginx.error_log() and "[crit]" not in nginx.error_log(), nginx.error_log()


def _read(path: Path) -> str:
    return path.read_text("utf-8") if path.is_file() else ""


def find_pages(release: Path) -> dict[str, str]:
    """URL paths of the page kinds the browser test visits (taken from the demo build)."""
    units = _units()
    unit = next(u for u in units if (release / u / "index.html").exists())
    column = next(
        f"/{u}/{key}/"
        for u in units
        for key in ("branch-life", "news", "notices", "features")
        if 'class="post-list"' in _read(release / u / key / "index.html")
    )
    attachment = next(
        f"/{p.parent.relative_to(release).as_posix()}/"
        for u in units
        for p in sorted((release / u).glob("*/index.html"))
        if 'class="attachments"' in p.read_text("utf-8")
    )
    return {
        "home": "/",
        "unit": f"/{unit}/",
        "column": column,
        "section": "/sections/branch-life/",
        "attachment": attachment,
        "compare": "/compare/",
    }


class Recorder:
    """Every request, console message, page error and CSP violation of one page."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.console: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text, (m.location or {}).get("url", ""))))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.add_init_script(CSP_SPY)

    def console_errors(self, allow_404_of: str | None = None) -> list[str]:
        out = []
        for kind, text, url in self.console:
            if kind != "error":
                continue
            if allow_404_of and "status of 404" in text and url.rstrip("/") == allow_404_of.rstrip("/"):
                continue  # Chromium logs the 404 of the document itself
            out.append(f"{text} ({url})")
        return out


def check_page(page, server, path: str, *, status: int = 200, prefix: str = "/") -> Recorder:
    rec = Recorder(page)
    response = page.goto(server.url(path), wait_until="load")
    assert response is not None and response.status == status, f"{path}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    # nothing leaves the server, and (under a sub-path) nothing leaves the sub-path
    origin = f"http://127.0.0.1:{server.port}"
    outside = [u for u in rec.requests if not u.startswith(origin + "/")]
    assert not outside, f"{path}: 请求离开了本站：{outside}"
    off_prefix = [u for u in rec.requests if not urllib.parse.urlsplit(u).path.startswith(prefix)]
    assert not off_prefix, f"{path}: 请求离开了 {prefix}：{off_prefix}"
    assert not rec.errors, f"{path}: 脚本错误 {rec.errors}"
    # Chromium cancels its own favicon fetch when a page rewrites its URL
    # (search.js keeps the query in the address bar): an abort, not a failure.
    failed = [f for f in rec.failed if not (re.search(r"/assets/favicon\.svg ", f) and "ERR_ABORTED" in f)]
    assert not failed, f"{path}: 请求失败 {failed}"
    assert rec.console_errors(allow_404_of=server.url(path) if status == 404 else None) == [], path
    assert page.evaluate("window.__csp") == [], f"{path}: 违反 CSP"
    # the stylesheet was fetched (200) and applied
    css = [u for u in rec.requests if re.search(r"/assets/style\.[0-9a-f]+\.css$", u)]
    assert css, f"{path}: 没有加载样式表"
    rules = page.evaluate("Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0)")
    assert rules > 10, f"{path}: 样式表没有生效（{rules} 条规则）"
    assert page.evaluate("getComputedStyle(document.querySelector('.skip')).position") != "static", f"{path}: 主题样式没有生效"
    assert page.locator("h1").count() >= 1 or path == "/", path
    return rec


def check_search(page, server, path: str, prefix: str = "/") -> None:
    rec = check_page(page, server, path, prefix=prefix)
    page.fill("#search-q", "主题党日")
    page.press("#search-q", "Enter")
    page.wait_for_selector("#search-results li", timeout=20000)
    page.wait_for_load_state("networkidle")
    assert page.locator("#search-results li").count() >= 1
    assert page.evaluate("window.__csp") == [], f"{path}: 搜索违反 CSP"
    assert not rec.errors and rec.console_errors() == [], f"{path}: {rec.errors} {rec.console_errors()}"
    origin = f"http://127.0.0.1:{server.port}"
    assert all(u.startswith(origin + prefix) for u in rec.requests), [u for u in rec.requests if not u.startswith(origin + prefix)]
    assert any("/pagefind/" in u for u in rec.requests), "搜索没有加载 Pagefind 索引"


def test_headers_cache_gzip_and_hidden_files(server, demo):
    _, release = demo
    status, h, body = server.get("/", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-encoding"] == "gzip" and "Accept-Encoding" in h.get("vary", "")
    csp = h["content-security-policy"]
    for directive in CSP_REQUIRED:
        assert directive in csp, directive
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "etag" in h and "server" in h and "/" not in h["server"], "不应暴露 nginx 版本"

    page = (release / "index.html").read_text("utf-8")
    css = re.search(r'href="(assets/style\.[0-9a-f]{10}\.css)"', page).group(1)
    js = re.search(r'src="(assets/site\.[0-9a-f]{10}\.js)"', page).group(1)
    for asset, kind in ((css, "text/css"), (js, "application/javascript")):
        status, h, body = server.get("/" + asset, {"Accept-Encoding": "gzip"})
        assert status == 200, asset
        assert h["content-type"].startswith(kind) and "charset=utf-8" in h["content-type"]
        assert h["cache-control"] == "public, max-age=31536000, immutable"
        assert h["content-encoding"] == "gzip"
    # revalidation of an HTML page is cheap
    etag = server.get("/")[1]["etag"]
    assert server.get("/", {"If-None-Match": etag})[0] == 304

    # hidden files and directory listings are not served
    for path in ("/.liangshai-release.json", "/assets/.x", "/sub/.liangshai-release.json"):
        status, h, body = server.get(path)
        assert status == 404, path
        assert "页面不存在".encode() in body
    status, _, body = server.get("/assets/")
    assert status in (403, 404) and b"Index of" not in body
    assert server.get("/releases/")[0] == 404, "只有 current 对外，releases/ 不可访问"

    # the theme's 404 page, with the security headers too
    status, h, body = server.get("/no/such/page/")
    assert status == 404
    assert "页面不存在".encode() in body
    assert "content-security-policy" in h and h["x-content-type-options"] == "nosniff"
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["content-security-policy"] == csp, "every page but the editor has the strict policy"

    # the browser editor (/admin/, only built with [cms]) gets the policy Decap CMS needs;
    # nothing else does, not even a path that merely contains "admin/"
    # (a file must exist: a 404 is answered by /404.html, whose $uri gets the strict policy)
    editor = release / "admin" / "index.html"
    editor.parent.mkdir()
    try:
        editor.write_text("<!doctype html><title>编辑器</title>", "utf-8")
        status, h, _ = server.get("/admin/")
        assert status == 200
        admin_csp = h["content-security-policy"]
    finally:
        editor.unlink()
        editor.parent.rmdir()
    assert "'unsafe-eval'" in admin_csp and "style-src 'self' 'unsafe-inline'" in admin_csp
    assert "object-src 'none'" in admin_csp and "frame-ancestors 'self'" in admin_csp
    assert server.get("/x/admin/")[1]["content-security-policy"] == csp

    # a folder without its slash: a relative redirect (works behind proxies and sub-paths)
    unit = _units()[0]
    status, h, _ = server.get(f"/{unit}")
    assert status == 301 and h["location"] == f"/{unit}/"


def test_demo_site_in_chromium_behind_nginx(server, demo, page):
    _, release = demo
    pages = find_pages(release)
    for kind, path in pages.items():
        check_page(page, server, path)
        if kind == "home":
            assert page.title().strip()
            assert page.locator(f'a[href="{_units()[0]}/index.html"]').count() >= 1 or page.locator("main a").count() > 5

    # a post with an attachment: follow the link, get the file
    check_page(page, server, pages["attachment"])
    links = page.locator("section.attachments a")
    assert links.count() >= 1
    href = links.first.evaluate("a => a.href")
    assert href.startswith(server.base + "/"), href
    result = page.evaluate("url => fetch(url).then(r => r.arrayBuffer().then(b => [r.status, b.byteLength]))", href)
    local = release / urllib.parse.unquote(urllib.parse.urlsplit(href).path.lstrip("/"))
    assert result == [200, local.stat().st_size], (href, result)

    # the comparison index: its sortable tables are enhanced by site.js under the CSP
    check_page(page, server, pages["compare"])
    assert page.locator("table").count() >= 1, "对标页应当有表格"
    if page.locator("table[data-sortable]").count():
        assert page.locator("table[data-sortable] th button.sort").count() >= 1, "site.js 没有运行"

    # site search (Pagefind: WebAssembly under script-src 'self' 'wasm-unsafe-eval')
    if (release / "search" / "index.html").exists():
        check_search(page, server, "/search/")

    # the 404 page: status 404 and the theme's content, styles and links working from any depth
    check_page(page, server, "/no/such/deep/page/", status=404)
    assert "页面不存在" in page.locator("h1").inner_text()
    page.locator("main a").first.click()
    page.wait_for_load_state("load")
    assert page.url == server.url("/index.html")


def test_demo_site_under_a_sub_path(server, demo, page):
    _, release = demo
    pages = find_pages(release)
    for kind in ("home", "unit", "column", "attachment", "compare"):
        check_page(page, server, "/sub" + pages[kind], prefix="/sub/")
    # navigation by relative links stays under /sub/
    check_page(page, server, "/sub/", prefix="/sub/")
    page.locator("header.site-header a.brand").click()
    page.wait_for_load_state("load")
    assert urllib.parse.urlsplit(page.url).path.startswith("/sub/")
    if (release / "search" / "index.html").exists():
        check_search(page, server, "/sub/search/", prefix="/sub/")
    status, _h, body = server.get("/sub/no-such-page/")
    assert status == 404 and "页面不存在".encode() in body


# -- releases while readers read ---------------------------------------------------

# Each publish is a fresh process building the site (~4 s here, while two readers run): 8 switches under
# continuous reads, besides the deterministic read-before / stylesheet-after case, at 40 s of the suite's
# time rather than the 90 s 20 switches took (the 15-minute CI budget).
RELEASES = 8
TITLE_RE = re.compile(r"第 (\d+) 次发布的动态")
CSS_RE = re.compile(r"release (\d+)")


def release_site(root: Path, n: int) -> Path:
    return write_site(
        root,
        {
            "content/jx/2026/committee-03.md": post_text(title="三月支部委员会", date="2026-03-05", branch="jx-jg1", meeting="支部委员会"),
            "content/jx/2026/dongtai.md": post_text(title=f"第 {n} 次发布的动态", date="2026-04-01", section="党建动态", body=f"第 {n} 次发布。"),
            "themes/default/static/style.css": f"/* release {n} */\n.skip {{ position: absolute; }}\n",
        },
    )


def test_readers_never_see_a_mixed_release(tmp_path):
    require_nginx()
    with public_dir() as root:
        webroot = root / "www"
        site = release_site(tmp_path / "site", 0)

        def publish(n: int) -> None:
            release_site(site, n)
            proc = run_cli("publish", str(site), "--to", str(webroot), "--as-of", AS_OF, "--keep", "3")
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "已发布" in proc.stdout, proc.stdout

        publish(0)
        with running_nginx(webroot) as nginx:

            def read(path: str) -> tuple[int, int]:
                """(release number of the page, release number of its stylesheet)."""
                status, _, body = nginx.get(path)
                assert status == 200, f"{path}: {status}"
                html = body.decode("utf-8")
                page_n = int(TITLE_RE.search(html).group(1))
                href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
                css_path = urllib.parse.urljoin(path, href)
                status, _headers, css = nginx.get(css_path)
                assert status == 200, f"{path} → {css_path}: {status}"
                return page_n, int(CSS_RE.search(css.decode()).group(1))

            # deterministic case first: a page read just before a switch, its CSS just after
            status, _, body = nginx.get("/jx/dongtai/")
            old_css = urllib.parse.urljoin("/jx/dongtai/", re.search(r'<link rel="stylesheet" href="([^"]+)"', body.decode()).group(1))
            publish(1)
            status, _, css = nginx.get(old_css)
            assert status == 200 and b"release 0" in css, "切换后，上一版本页面的样式表必须仍然可用"
            assert read("/jx/dongtai/") == (1, 1)

            stop = threading.Event()
            problems: list[str] = []
            seen: set[int] = set()
            reads = [0]

            def reader() -> None:
                paths = ["/jx/dongtai/", "/", "/jx/", "/sections/news/"]
                i = 0
                while not stop.is_set():
                    path = paths[i % len(paths)]
                    i += 1
                    try:
                        page_n, css_n = read(path)
                    except Exception as exc:
                        problems.append(f"{path}: {type(exc).__name__}: {exc}")
                        continue
                    reads[0] += 1
                    seen.add(page_n)
                    if page_n != css_n:
                        problems.append(f"{path}: 页面来自第 {page_n} 版，样式表来自第 {css_n} 版")
                    time.sleep(0.002)  # leave some CPU to the publisher on a small machine

            threads = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
            for t in threads:
                t.start()
            t0 = time.perf_counter()
            try:
                for n in range(2, RELEASES + 2):
                    publish(n)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=30)
            seconds = time.perf_counter() - t0
            assert not problems, problems[:10]
            assert reads[0] > 100, f"读者只读了 {reads[0]} 次"
            assert len(seen) >= RELEASES // 2, f"读者只见到 {sorted(seen)} 这些版本，没有真正跨越切换"
            assert read("/jx/dongtai/") == (RELEASES + 1, RELEASES + 1)
            assert len([p for p in (webroot / "releases").iterdir()]) == 3
            errors = [line for line in nginx.error_log().splitlines() if "[error]" in line or "[crit]" in line]
            assert not errors, errors[:10]
            print(f"{RELEASES} releases in {seconds:.1f}s, {reads[0]} page+stylesheet reads, releases seen: {len(seen)}")
