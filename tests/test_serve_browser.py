"""Entry: ``liangshai serve`` in a real headless Chromium (Debian chromium via Playwright).

The page must reload by itself after a save, show the error overlay while the
site does not build (also on a fresh page load), and do both under a strict
Content-Security-Policy — which is why the reload script is served from a URL
and never inlined.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, post_text
from playwright.sync_api import Page, expect
from test_serve import POST, basic_site, serve  # noqa: F401  (serve is the fixture)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\">"


def open_listening(page: Page, url: str) -> None:
    """Go to ``url`` and return once the injected script's event stream has answered.

    Only locators and network events are used: under the strict CSP, Playwright
    cannot evaluate strings in the page either.
    """
    with page.expect_response(lambda r: r.url.endswith("/__liangshai/events"), timeout=TIMEOUT_MS):
        page.goto(url)


def reload_listening(page: Page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/__liangshai/events"), timeout=TIMEOUT_MS):
        page.reload()


def test_page_reloads_with_the_new_text_after_a_save(tmp_path: Path, serve, page) -> None:  # noqa: F811  (the fixture)
    site = basic_site(tmp_path / "site")
    p = serve(site)
    # listening before the save, so the test is about reloading, not about a late first load
    open_listening(page, f"http://127.0.0.1:{p.port}{POST}")
    expect(page.locator("main")).to_contain_text("原来的正文")
    page.evaluate("window.__beforeSave = true")

    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="浏览器里看到的新正文。"), encoding="utf-8")

    expect(page.locator("main")).to_contain_text("浏览器里看到的新正文", timeout=TIMEOUT_MS)
    assert page.evaluate("window.__beforeSave") is None  # a real reload, not a patched DOM
    assert "原来的正文" not in page.inner_text("main")


def test_overlay_lists_errors_and_clears_when_fixed_under_a_strict_csp(tmp_path: Path, serve, page) -> None:  # noqa: F811  (the fixture)
    base = (REPO / "themes/default/templates/base.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in base
    site = basic_site(tmp_path / "site", **{"themes/default/templates/base.html": base.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n' + CSP, 1)})
    p = serve(site)
    assert CSP in p.text(POST)

    open_listening(page, f"http://127.0.0.1:{p.port}{POST}")
    expect(page.locator("main")).to_contain_text("原来的正文")
    assert page.locator("#liangshai-overlay").count() == 0

    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", date="2026-13-45", body="坏掉的正文。"), encoding="utf-8")
    overlay = page.locator("#liangshai-overlay")
    overlay.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = overlay.inner_text()
    assert "生成失败" in text and "content/jx/a.md:3: 错误：" in text and "2026-13-45" in text
    assert "原来的正文" in page.inner_text("main")  # the last good page is still there underneath

    # a page opened while the build is failing shows the overlay at once
    reload_listening(page)
    page.locator("#liangshai-overlay").wait_for(state="visible", timeout=TIMEOUT_MS)

    (site / "content/jx/a.md").write_text(post_text(title="甲篇会议纪要", body="改好以后的正文。"), encoding="utf-8")
    expect(page.locator("main")).to_contain_text("改好以后的正文", timeout=TIMEOUT_MS)
    page.locator("#liangshai-overlay").wait_for(state="detached", timeout=TIMEOUT_MS)
