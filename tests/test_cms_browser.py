"""The browser editor (issue 22) in a real headless Chromium: ``liangshai serve --cms`` end to end,
and the demo's generated configuration loaded by Decap CMS for both git backends.

One browser (the session's), one module. Every request the page makes is recorded:
none may leave 127.0.0.1 (no CDN, fonts or analytics). With LIANGSHAI_CMS_SHOTS set
to a folder, the editor test also saves the README's screenshots there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write_site
from playwright.sync_api import Page, Route, expect
from test_cms import CMS, DECAP_SAVED, SIGN_IN_PDF
from test_serve import serve  # noqa: F401  (the fixture)

from generator.load.config import load_config, parse_config
from generator.render.cms import admin_pages, backend_config, vendor_files
from generator.serve.cms_backend import _units

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
SHOTS = os.environ.get("LIANGSHAI_CMS_SHOTS")
TITLE = "教工党支部2026年11月第二次支部委员会会议纪要"


def watch_requests(page: Page) -> tuple[list[str], list[str]]:
    """Every URL the page asks for, and every uncaught page error."""
    urls: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return urls, errors


def outside(urls: list[str], origin: str) -> list[str]:
    return [u for u in urls if not u.startswith((origin + "/", "data:", "blob:", "about:"))]


def shot(page: Page, name: str) -> None:
    """A README screenshot, in 64 colours (a few dozen KB), when LIANGSHAI_CMS_SHOTS names a folder."""
    if SHOTS:
        from PIL import Image

        path = Path(SHOTS) / name
        page.screenshot(path=str(path))
        Image.open(path).convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path, optimize=True)


def choose(page: Page, label: str, option: str) -> None:
    """A Decap select (react-select): open it by its label, type, take the first match."""
    page.locator(f"label:has-text('{label}')").first.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def fill_record(page: Page) -> None:
    page.get_by_label("标题").fill(TITLE)
    page.locator("input[type=datetime-local]").fill("2026-11-20T14:30")
    choose(page, "栏目", "支部生活")
    choose(page, "会议", "支部委员会")
    choose(page, "支部", "第一教工党支部")
    choose(page, "分类", "组织生活")
    page.get_by_label("标签").fill("三会一课,支部委员会")
    page.get_by_label("摘要").fill("研究发展党员等2项议题。")
    page.locator("[data-slate-editor=true]").click()
    page.keyboard.type("会议研究了发展党员工作。")


def attach(page: Page, pdf: Path) -> None:
    page.get_by_role("button", name="新增附件").click()
    page.get_by_role("button", name="选择文件").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_text("上传", exact=True).click()
    chooser.value.set_files(str(pdf))
    page.get_by_role("button", name="选用已选中项目").click()


def test_a_unit_writes_a_record_in_the_browser_and_the_preview_shows_it(tmp_path: Path, serve, page: Page) -> None:  # noqa: F811  (the fixture)
    site = write_site(tmp_path / "site", {"content/jx/2026/a.md": "---\ntitle: 甲篇\ndate: 2026-03-05\nsection: 支部生活\n---\n原来的正文。\n"}, config='[site]\ntitle = "机械学院晾晒预览"\nbase_url = "http://dj.example.edu.cn/"\n')
    pdf = tmp_path / "签到表.pdf"
    pdf.write_bytes(SIGN_IN_PDF.read_bytes())
    p = serve(site, "--cms")
    origin = f"http://127.0.0.1:{p.port}"
    urls, errors = watch_requests(page)

    page.goto(f"{origin}/admin/")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("甲篇")).to_be_visible(timeout=TIMEOUT_MS)  # the working copy's posts, listed
    shot(page, "cms-list.png")
    page.get_by_role("button", name="快速新建").click()
    page.get_by_role("menuitem", name="机械工程学院党委").click()  # the unit, from the drop-down
    fill_record(page)
    attach(page, pdf)
    expect(page.get_by_text("媒体资源")).to_have_count(0)
    page.get_by_label("标题").scroll_into_view_if_needed()
    shot(page, "cms-edit.png")
    page.get_by_role("button", name="发布").click()
    page.get_by_text("立即发布").click()

    saved = site / "content/jx/2026/jx-jg1-2026-11-20"
    p.wait_served("/jx/jx-jg1-2026-11-20/index.html", TITLE)  # the watcher rebuilt: the preview shows the post
    assert (saved / "index.md").read_text(encoding="utf-8") == DECAP_SAVED
    assert (saved / "签到表.pdf").read_bytes() == SIGN_IN_PDF.read_bytes()
    check = run_cli("check", str(site))
    assert check.returncode == 0 and "检查通过：0 个错误，0 个警告" in check.stdout, check.stdout + check.stderr
    assert "签到表.pdf" in p.text("/jx/jx-jg1-2026-11-20/index.html")

    # a mistake saved on disk reaches the editor's page as the preview's overlay, without reloading the form
    (site / "content/jx/2026/bad.md").write_text("---\ntitle: 坏\ndate: 2026-13-45\nsection: 支部生活\n---\n", encoding="utf-8")
    expect(page.locator("#liangshai-overlay")).to_contain_text("2026-13-45", timeout=TIMEOUT_MS)
    (site / "content/jx/2026/bad.md").unlink()
    expect(page.locator("#liangshai-overlay")).to_have_count(0, timeout=TIMEOUT_MS)

    assert outside(urls, origin) == [] and errors == []


@pytest.mark.parametrize("backend", ["gitlab", "gitea"])
def test_the_demo_configuration_loads_in_decap_for_each_backend(page: Page, backend: str) -> None:
    """The demo's /admin/ as build makes it, served by routing (no server): Decap reads the
    configuration, finds no error in it, and offers the sign-in of the school's server."""
    config = parse_config((REPO / "site.toml").read_bytes() + b"\n" + CMS.format(backend=backend).encode())
    assert config.cms is not None
    files = admin_pages(config, _units(REPO, load_config(REPO)), {}, backend_config(config.cms))
    vendored = {p.name: p for p in vendor_files()}
    origin = "http://127.0.0.1:9"

    def answer(route: Route) -> None:
        name = route.request.url.removeprefix(f"{origin}/admin/") or "index.html"
        if name in files:
            route.fulfill(status=200, body=files[name], content_type="text/html" if name.endswith(".html") else "text/yaml" if name.endswith(".yml") else "text/javascript")
        elif name in vendored:
            route.fulfill(status=200, path=str(vendored[name]), content_type="text/javascript")
        else:
            route.fulfill(status=404, body="")

    urls, errors = watch_requests(page)
    page.route(f"{origin}/**", answer)
    page.goto(f"{origin}/admin/")
    expect(page.get_by_role("button", name={"gitlab": "使用 GitLab 登录", "gitea": "使用 Gitea 登录"}[backend])).to_be_visible(timeout=TIMEOUT_MS)
    assert "配置" not in page.inner_text("body") and errors == []  # Decap names a config error "配置错误"
    assert outside(urls, origin) == []
