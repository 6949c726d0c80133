"""The browser editor (issue 22) at the string level: [cms] in site.toml, the Decap
configuration made from the content model, and the local backend of ``serve --cms``.

The browser itself is driven in test_cms_browser.py; here everything is in process
and takes milliseconds.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import REPO, UNIT_TOML, one_post, site_files, write_site

from generator.core.errors import ConfigError
from generator.load.config import load_config, parse_config
from generator.render.cms import admin_files, admin_pages, backend_config, cms_config, config_yaml
from generator.serve.cms_backend import LocalBackend, _units

# A real PDF of the demo (a sign-in sheet), readable by the privacy scan.
SIGN_IN_PDF = REPO / "content/jisuanji/2026/js-bks-2026-04-theme-day/签到表.pdf"
CMS = '[cms]\nbackend = "{backend}"\nbase_url = "https://git.example.edu.cn/"\nrepo = "dangwei/gongkai"\napp_id = "a1b2c3"\n'

# What Decap CMS 3.16.3 wrote for the record the browser test creates (its YAML writer, byte for byte).
DECAP_SAVED = """---
title: 教工党支部2026年11月第二次支部委员会会议纪要
date: 2026-11-20 14:30
section: 支部生活
meeting:
  - 支部委员会
branch: jx-jg1
category: 组织生活
tags:
  - 三会一课
  - 支部委员会
summary: 研究发展党员等2项议题。
attachments:
  - 签到表.pdf
---
会议研究了发展党员工作。
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(text.encode("utf-8"))
    return [p.format() for p in exc.value.problems]


def test_cms_table_is_read_with_the_api_root_of_its_backend() -> None:
    lab = parse_config(CMS.format(backend="gitlab").encode()).cms
    assert lab is not None and (lab.base_url, lab.api_root, lab.branch) == ("https://git.example.edu.cn", "https://git.example.edu.cn/api/v4", "main")
    tea = parse_config((CMS.format(backend="gitea") + 'branch = "pages"\n').encode()).cms
    assert tea is not None and (tea.api_root, tea.branch) == ("https://git.example.edu.cn/api/v1", "pages")
    assert parse_config(b"[site]\n").cms is None


def test_bad_cms_values_are_located_chinese_errors_naming_the_choices() -> None:
    found = errors_of('[site]\ntitle = "x"\n[cms]\nbackend = "github"\nbase_url = "git.example.edu.cn"\nrepo = "gongkai"\napp_id = "a b"\nbrnach = "main"\n')
    assert found[0] == "site.toml:4: 错误：[cms] backend 不支持“github”，是不是“gitlab”？可用的有：gitlab、gitea（学校自建的代码托管服务器）。"
    assert found[1].startswith("site.toml:5: 错误：[cms] base_url（代码托管服务器的地址）应当是以 http:// 或 https:// 开头的网址")
    assert found[2].startswith("site.toml:6: 错误：[cms] repo（仓库）应当写成“组/项目”")
    assert found[3].startswith("site.toml:7: 错误：[cms] app_id 应当是")
    assert found[4] == "site.toml:8: 错误：[cms] 中未知的配置项“brnach”，是不是“branch”？可用的有：backend、base_url、api_root、repo、branch、app_id。"
    assert errors_of('[cms]\nbackend = "gitea"\n')[0].startswith("site.toml:1: 错误：[cms] 缺少 base_url、repo、app_id：例如")
    assert errors_of('cms = "gitlab"\n')[0].startswith("site.toml:1: 错误：[cms] 应当是一个表")


@pytest.fixture(scope="module")
def demo():
    config = load_config(REPO)
    return config, _units(REPO, config)


def test_demo_configuration_has_a_collection_per_unit_with_its_branches(demo) -> None:
    config, units = demo
    cms = parse_config(CMS.format(backend="gitlab").encode()).cms
    assert cms is not None
    data = cms_config(config, units, backend_config(cms))
    collections = data["collections"]
    assert [c["name"] for c in collections] == [u.slug for u in sorted(units, key=lambda u: (u.order, u.slug))]
    by_name = {c["name"]: c for c in collections}
    js = by_name["jisuanji"]
    assert (js["folder"], js["path"], js["media_folder"], js["public_folder"]) == ("content/jisuanji", "{{year}}/{{slug}}/index", "", "")
    assert js["slug"] == "{{fields.branch | default('jisuanji')}}-{{fields.date | date('YYYY-MM-DD')}}"
    fields = {f["name"]: f for f in js["fields"]}
    assert list(fields) == ["title", "date", "section", "meeting", "branch", "category", "tags", "summary", "attachments", "body"]
    assert fields["date"]["format"] == "YYYY-MM-DD HH:mm"
    assert fields["section"]["options"] == ["通知公告", "党建动态", "支部生活", "特色阵地"]
    assert fields["meeting"]["multiple"] is True and "支部委员会" in fields["meeting"]["options"]
    assert fields["branch"]["options"] == [{"label": b.name, "value": b.id} for b in next(u for u in units if u.slug == "jisuanji").branches]
    assert fields["category"]["options"] == list(config.categories)
    assert fields["attachments"]["field"]["widget"] == "file"
    assert all(f["label"] and not f["label"].isascii() for f in js["fields"])  # Chinese labels
    assert data["locale"] == "zh_Hans" and data["backend"]["auth_type"] == "pkce"


def test_backends_and_the_written_file_are_deterministic(demo) -> None:
    config, units = demo
    lab = backend_config(parse_config(CMS.format(backend="gitlab").encode()).cms)  # type: ignore[arg-type]
    tea = backend_config(parse_config(CMS.format(backend="gitea").encode()).cms)  # type: ignore[arg-type]
    assert lab["name"] == "gitlab" and tea["name"] == "gitea" and "auth_type" not in tea  # Gitea signs in with PKCE always
    assert tea["api_root"] == "https://git.example.edu.cn/api/v1" and tea["base_url"] == "https://git.example.edu.cn"
    text = config_yaml(cms_config(config, units, tea))
    assert text == config_yaml(cms_config(config, tuple(reversed(units)), tea))
    assert yaml.safe_load(text)["backend"]["repo"] == "dangwei/gongkai"
    assert "local_backend" not in text and "\n  - name: title\n" not in text  # one line per value, block style
    local = yaml.safe_load(config_yaml(cms_config(config, units, tea, local_url="http://localhost:8000/__liangshai/cms/api/v1")))
    assert local["local_backend"] == {"url": "http://localhost:8000/__liangshai/cms/api/v1", "allowed_hosts": ["localhost"]}
    ipv6 = yaml.safe_load(config_yaml(cms_config(config, units, tea, local_url="http://[::1]:8000/__liangshai/cms/api/v1")))
    assert ipv6["local_backend"]["allowed_hosts"] == ["[::1]"] and ipv6["site_url"] == "http://[::1]:8000/"


def test_admin_is_published_only_with_cms_and_uses_the_site_stylesheet(demo) -> None:
    config, units = demo
    assert admin_files(config, units, {"style.css": "assets/style.abc.css"}) == []
    with_cms = parse_config((CMS.format(backend="gitea") + '[site]\nbase_url = "http://dj.example.edu.cn/gk/"\n').encode())
    specs = {s.path: s for s in admin_files(with_cms, units, {"style.css": "assets/style.abc.css"})}
    assert {"admin/index.html", "admin/config.yml", "admin/admin.js", "admin/decap-cms.js", "admin/LICENSE"} <= set(specs)
    page = specs["admin/index.html"].data.decode()  # type: ignore[union-attr]
    assert 'data-style="/gk/assets/style.abc.css"' in page and '<script src="decap-cms.js"></script>' in page and "//" not in page.replace("<!DOCTYPE", "")
    pages = admin_pages(with_cms, units, {"style.css": "assets/style.abc.css"}, backend_config(with_cms.cms))  # type: ignore[arg-type]
    assert pages["index.html"] == specs["admin/index.html"].data


def test_what_decap_writes_passes_check_unchanged(tmp_path: Path) -> None:
    rel = "content/jx/2026/jx-jg1-2026-11-20"
    files = site_files(tmp_path, {f"{rel}/签到表.pdf": SIGN_IN_PDF.read_bytes()})
    problems, html = one_post(DECAP_SAVED.encode(), files, rel=f"{rel}/index.md")
    assert [p.format() for p in problems] == []
    assert html is not None and "发展党员" in html


# -- the local backend --------------------------------------------------------


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    site = write_site(tmp_path / "site", {"content/jx/2026/a.md": "---\ntitle: 甲\n---\n", "content/jx/2026/b/index.md": "---\ntitle: 乙\n---\n", "outside.md": "x"})
    return LocalBackend(site)


def call(backend: LocalBackend, action: str, **params: object) -> tuple[int, object]:
    answer = backend.handle(json.dumps({"action": action, "params": params}).encode())
    return answer.status, json.loads(answer.body)


def test_local_backend_answers_decap_servers_actions(backend: LocalBackend) -> None:
    assert call(backend, "info")[1] == {"repo": "site", "publish_modes": ["simple"], "type": "local_fs"}
    status, entries = call(backend, "entriesByFolder", folder="content/jx", extension="md", depth=3)
    assert status == 200 and [e["file"]["path"] for e in entries] == ["content/jx/2026/a.md", "content/jx/2026/b/index.md"]  # type: ignore[index, union-attr]
    assert call(backend, "entriesByFolder", folder="content/jx", extension="md", depth=2)[1][0]["data"] == "---\ntitle: 甲\n---\n"  # type: ignore[index]
    assert call(backend, "getEntry", path="content/jx/2026/zz.md")[1] == {"data": None, "file": {"path": "content/jx/2026/zz.md", "label": None, "id": None}}
    pdf = base64.b64encode(b"%PDF-1.4 x").decode()
    status, _ = call(
        backend,
        "persistEntry",
        dataFiles=[{"path": "content/jx/2026/c/index.md", "raw": DECAP_SAVED, "slug": "c"}],
        assets=[{"path": "content/jx/2026/c/签到表.pdf", "content": pdf, "encoding": "base64"}],
        options={"commitMessage": "x"},
    )
    folder = backend.site / "content/jx/2026/c"
    assert status == 200 and (folder / "index.md").read_text(encoding="utf-8") == DECAP_SAVED and (folder / "签到表.pdf").read_bytes() == b"%PDF-1.4 x"
    assert [m["name"] for m in call(backend, "getMedia", mediaFolder="content/jx/2026/c")[1]] == ["签到表.pdf"]  # type: ignore[index, union-attr]
    assert call(backend, "getMedia", mediaFolder="content")[1] == []
    assert call(backend, "deleteFiles", paths=["content/jx/2026/c/index.md", "content/jx/2026/c/签到表.pdf"])[0] == 200
    assert not folder.exists() and (backend.site / "content/jx/2026").is_dir()
    assert call(backend, "getDeployPreview", collection="jx", slug="a")[1] is None
    assert call(backend, "nope")[0] == 422 and backend.handle(b"{").status == 400


@pytest.mark.parametrize(
    "path",
    ["content/jx/../../outside.md", "/etc/passwd", "content/jx/_unit.toml", "outside.md", "content/zz/2026/a.md", "content/jx/.git/config", "content\\jx\\a.md", "content/jx"],
)
def test_local_backend_refuses_paths_outside_a_unit_folder(backend: LocalBackend, path: str) -> None:
    status, answer = call(backend, "persistMedia", asset={"path": path, "content": "eA==", "encoding": "base64"})
    assert status == 422 and any(word in answer["error"] for word in ("不合法", "只能读写", "不存在")), answer  # type: ignore[index]
    assert (backend.site / "outside.md").read_text() == "x" and (backend.site / "content/jx/_unit.toml").read_text(encoding="utf-8") == UNIT_TOML


def test_local_backend_refuses_a_symlink_leading_out(backend: LocalBackend, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", backend.site / "content/jx/link")
    status, answer = call(backend, "persistMedia", asset={"path": "content/jx/link/x.pdf", "content": "eA==", "encoding": "base64"})
    assert status == 422 and "链接" in answer["error"] and not (tmp_path / "elsewhere/x.pdf").exists()  # type: ignore[index]


def test_preview_serves_the_editor_and_takes_api_posts_only_from_its_own_page(tmp_path: Path) -> None:
    """``serve --cms`` over HTTP, in process: /admin/ with local_backend at the page's origin, the
    reload script told to keep the form; the API refuses other origins, other types, other paths."""
    import http.client

    from generator.serve.server import PreviewServer, preview_builder

    site = write_site(tmp_path / "site", {"content/jx/2026/a.md": "---\ntitle: 甲\ndate: 2026-03-05\nsection: 支部生活\n---\n正文。\n"}, config=CMS.format(backend="gitlab"))
    server = PreviewServer(preview_builder(site, out=tmp_path / "out"), port=0, log=lambda m, error=False: None, cms=True)

    def ask(method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("Location") or ""

    with server:
        port = server._httpd.server_address[1]  # type: ignore[union-attr]
        host = f"127.0.0.1:{port}"
        status, page, _ = ask("GET", "/admin/")
        assert status == 200 and b"<script data-liangshai-keep src=\"/__liangshai/reload.js\"" in page and b'src="decap-cms.js"' in page
        assert ask("GET", "/admin")[::2] == (301, "/admin/")
        config = yaml.safe_load(ask("GET", "/admin/config.yml")[1])
        assert config["local_backend"]["url"] == f"http://{host}/__liangshai/cms/api/v1" and config["backend"]["name"] == "gitlab"
        # the build itself published the editor for the git server (no local_backend in it)
        built = (tmp_path / "out/admin/config.yml").read_text(encoding="utf-8")
        assert "local_backend" not in built and "repo: dangwei/gongkai" in built and (tmp_path / "out/admin/decap-cms.js").is_file()
        assert ask("GET", "/admin/decap-cms.js")[0] == 200 and ask("GET", "/admin/nothing.js")[0] == 404
        info = json.dumps({"action": "info"}).encode()
        assert json.loads(ask("POST", "/__liangshai/cms/api/v1", info, **{"Content-Type": "application/json", "Origin": f"http://{host}"})[1])["type"] == "local_fs"
        assert ask("POST", "/__liangshai/cms/api/v1", info, **{"Content-Type": "application/json", "Origin": "http://evil.example"})[0] == 403
        assert ask("POST", "/__liangshai/cms/api/v1", info, **{"Content-Type": "text/plain"})[0] == 403
        assert ask("POST", "/api/v1", info, **{"Content-Type": "application/json"})[0] == 404
        assert ask("POST", "/__liangshai/cms/api/v1", info, **{"Content-Type": "application/json", "Host": "evil.example"})[0] == 403


def test_a_unit_folder_may_not_take_the_editors_path(tmp_path: Path) -> None:
    from generator.core.settings import SiteConfig
    from generator.load.sources import discover
    from generator.load.units import load_units

    site = write_site(tmp_path / "site", {"content/admin/_unit.toml": UNIT_TOML})
    units, problems = load_units(site, SiteConfig(), discover(site))
    assert "admin" not in units and problems[0].format().startswith("content/admin/_unit.toml:1: 错误：单位文件夹名“admin”与网站自身的页面路径冲突")


def test_the_editor_is_refused_on_an_address_the_network_sees(tmp_path: Path) -> None:
    from generator.serve.server import PreviewServer, ServeError, preview_builder

    site = write_site(tmp_path / "site", {})
    with pytest.raises(ServeError, match="--cms 只能在本机使用"):
        PreviewServer(preview_builder(site, out=tmp_path / "out"), host="0.0.0.0", port=0, cms=True)
