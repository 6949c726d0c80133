"""Render stage: the browser editor at ``/admin/`` — Decap CMS, its configuration made from the content model.

`admin_files` gives the files ``build`` publishes when ``site.toml`` has a
``[cms]`` table: ``admin/index.html``, ``admin/config.yml``, ``admin/admin.js``
(the site's stylesheet and a preview shaped like a post page) and the vendored
Decap CMS bundle (``render/decap/``, see ``scripts/vendor_cms.py``). The
preview server serves the same page with `local_config` for ``serve --cms``.

The configuration (`cms_config`) has one folder collection per unit
(``content/<unit>``), so the 支部 drop-down lists that unit's branches only.
A post is saved as a bundle, ``<year>/<branch or unit>-<date>/index.md``, the
way units file a record with attachments by hand, and its attachments beside
it (``media_folder: ""``), named in ``attachments`` by file name. Field values
are written as units write them: the section's and meetings' names, the
branch's id, the date as ``2026-03-05 14:30`` (`parse.fields.parse_date`).
Output is deterministic: the same model gives the same bytes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import yaml

from generator.core.model import Unit
from generator.core.settings import CmsConfig, SiteConfig
from generator.plan.pages import FileSpec

ADMIN = "admin"
# The vendored Decap CMS bundle (package data) and the page's own script beside this module.
VENDOR_DIR = Path(__file__).resolve().parent / "decap"
ADMIN_JS = Path(__file__).resolve().parent / "admin.js"
OWNER = "site.toml"

# The date as parse.fields.parse_date reads it and units write it (dayjs tokens).
DATE_FORMAT = "YYYY-MM-DD HH:mm"

_COMMIT_MESSAGES = {
    "create": "新建文章“{{slug}}”（{{collection}}）",
    "update": "修改文章“{{slug}}”（{{collection}}）",
    "delete": "删除文章“{{slug}}”（{{collection}}）",
    "uploadMedia": "上传附件“{{path}}”",
    "deleteMedia": "删除附件“{{path}}”",
}


def vendor_files() -> list[Path]:
    """The vendored bundle's files the browser loads (not the notes about them)."""
    return sorted(p for p in VENDOR_DIR.iterdir() if p.is_file() and p.name != "VENDOR.md")


def backend_config(cms: CmsConfig) -> dict[str, object]:
    """Decap's ``backend``: PKCE sign-in against the school's GitLab or Gitea, no server of ours."""
    backend: dict[str, object] = {"name": cms.backend, "repo": cms.repo, "branch": cms.branch}
    if cms.backend == "gitlab":
        backend["auth_type"] = "pkce"  # Gitea's backend always signs in with PKCE
    backend.update(app_id=cms.app_id, base_url=cms.base_url, api_root=cms.api_root, commit_messages=dict(_COMMIT_MESSAGES))
    return backend


def cms_config(config: SiteConfig, units: tuple[Unit, ...], backend: dict[str, object], local_url: str | None = None) -> dict[str, object]:
    """The whole Decap configuration; ``local_url``: the preview server's local-backend API (``serve --cms``)."""
    data: dict[str, object] = {"backend": backend}
    if local_url is not None:
        data["local_backend"] = {"url": local_url, "allowed_hosts": [_hostname(local_url)]}
    data.update(
        locale="zh_Hans",
        # Uploads belong to a post (the collection's media_folder); the shared library is
        # content/ itself, where the build publishes nothing, and the local backend refuses.
        media_folder="content",
        public_folder="",
        # Unicode file names (the default): attachments keep their Chinese names (签到表.pdf);
        # a post's file name is made of the branch id and the date only, ASCII anyway.
        slug={"encoding": "unicode", "clean_accents": False, "sanitize_replacement": "-"},
        collections=[_collection(config, u) for u in sorted(units, key=lambda u: (u.order, u.slug))],
    )
    # The link at the top right: the site as published, or in serve --cms the preview itself.
    site_url = local_url.split("/__liangshai/", 1)[0] + "/" if local_url is not None else config.base_url
    if site_url:
        data["site_url"] = site_url
        data["display_url"] = site_url
    return data


def _hostname(url: str) -> str:
    """The host of ``url`` as the browser's ``location.hostname`` gives it (IPv6 in brackets)."""
    host = url.split("//", 1)[1].split("/", 1)[0]
    return host[: host.index("]") + 1] if host.startswith("[") else host.split(":", 1)[0]


def _collection(config: SiteConfig, unit: Unit) -> dict[str, object]:
    return {
        "name": unit.slug,
        "label": unit.name,
        # the unit's name in the 快速新建 drop-down (where a plain "文章" would repeat for every unit)
        "label_singular": unit.name,
        "description": f"{unit.name}的文章，保存在 content/{unit.slug}/。保存后预览网站自动更新；发布前请在预览里核对。",
        "folder": f"content/{unit.slug}",
        # {{year}} (UTC) only names the folder; the file name takes the date as written (local time)
        "path": "{{year}}/{{slug}}/index",
        "slug": "{{fields.branch | default('" + unit.slug + "')}}-{{fields.date | date('YYYY-MM-DD')}}",
        "extension": "md",
        "format": "frontmatter",
        "create": True,
        "delete": True,
        "media_folder": "",
        "public_folder": "",
        "summary": "{{fields.date | date('YYYY-MM-DD')}}　{{title}}",
        "sortable_fields": ["date", "title"],
        "fields": _fields(config, unit),
    }


def _fields(config: SiteConfig, unit: Unit) -> list[dict[str, object]]:
    sections = [s.name for s in config.sections]
    return [
        {"label": "标题", "name": "title", "widget": "string", "hint": "写在一行里，例如：计算机科学与技术学院教工党支部2026年11月支部委员会会议纪要"},
        {
            "label": "日期和时间",
            "name": "date",
            "widget": "datetime",
            "format": DATE_FORMAT,
            "date_format": "YYYY-MM-DD",
            "time_format": "HH:mm",
            "hint": "会议或活动的日期和开始时间（北京时间），不是今天的日期。",
        },
        {"label": "栏目", "name": "section", "widget": "select", "options": sections, "default": sections[0] if sections else "", "hint": "发在哪个栏目：会议纪要和活动记录一般放在支部生活，通知和公示放在通知公告。"},
        {
            "label": "会议",
            "name": "meeting",
            "widget": "select",
            "multiple": True,
            "required": False,
            "options": [m.name for m in config.meetings],
            "hint": "这条记录是哪种会议的纪要（可以选多个，例如主题党日同时是党课）；不是会议记录就不选。",
        },
        {
            "label": "支部",
            "name": "branch",
            "widget": "select",
            "required": False,
            "options": [{"label": b.name, "value": b.id} for b in unit.branches],
            "hint": "支部的会议必须选支部；单位党委自己的会议和通知不选。",
        },
        {"label": "分类", "name": "category", "widget": "select", "required": False, "options": list(config.categories), "hint": "按工作内容归类，用于统计“理论学习类 N 条”。"},
        {"label": "标签", "name": "tags", "widget": "list", "required": False, "hint": "用英文逗号分隔，例如：三会一课,主题党日"},
        {"label": "摘要", "name": "summary", "widget": "text", "required": False, "hint": "一两句话，显示在列表里；不写则取正文开头。"},
        {
            "label": "附件",
            "name": "attachments",
            "widget": "list",
            "required": False,
            "hint": "签到表、照片、PDF 等，保存在文章旁边；公开前请确认不含身份证号、手机号等个人信息。",
            "field": {"label": "文件", "name": "file", "widget": "file", "choose_url": False},
        },
        {"label": "正文", "name": "body", "widget": "markdown", "hint": "纪要写要点（时间、地点、主持人、应到实到人数、议题、议定事项），不写缺席原因。"},
    ]


def config_yaml(data: dict[str, object]) -> str:
    """The configuration as ``config.yml`` (one line per value, Chinese as is, keys in the order given)."""
    head = "# 由 liangshai 根据 site.toml 的 [cms] 和各单位的 _unit.toml 生成，请不要手工修改。\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=2**31 - 1)


def admin_html(title: str, style_url: str, units: tuple[Unit, ...], icon_url: str = "") -> str:
    """``admin/index.html``: the bundle, then ``admin.js`` with the site's stylesheet URL,
    the collections to preview as posts, and the branches' names (the preview shows names, not ids)."""
    esc = html.escape
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>在浏览器里写 - {esc(title)}</title>\n"
        '<link href="config.yml" type="text/yaml" rel="cms-config-url">\n'
        + (f'<link rel="icon" href="{esc(icon_url)}" type="image/svg+xml">\n' if icon_url else "")
        +         "</head>\n<body>\n"
        '<script src="decap-cms.js"></script>\n'
        f'<script src="admin.js" data-style="{esc(style_url)}" data-collections="{esc(json.dumps([u.slug for u in units]))}"'
        f' data-branches="{esc(json.dumps({b.id: b.name for u in units for b in u.branches}, ensure_ascii=False, sort_keys=True))}"></script>\n'
        "</body>\n</html>\n"
    )


def admin_pages(config: SiteConfig, units: tuple[Unit, ...], assets: dict[str, str], backend: dict[str, object], local_url: str | None = None) -> dict[str, bytes]:
    """The generated files of ``admin/`` by name: index.html, config.yml, admin.js.

    ``assets``: the theme's published files by name (`render.assets`); the page takes the
    stylesheet and icon from the site's root path (`SiteConfig.base_path`).
    """
    root = config.base_path if local_url is None else "/"
    style, icon = (root + assets[n] if n in assets else "" for n in ("style.css", "favicon.svg"))
    data = cms_config(config, units, backend, local_url)
    ordered = tuple(sorted(units, key=lambda u: (u.order, u.slug)))
    return {
        "index.html": admin_html(config.title, style, ordered, icon).encode("utf-8"),
        "config.yml": config_yaml(data).encode("utf-8"),
        "admin.js": ADMIN_JS.read_bytes(),
    }


def admin_files(config: SiteConfig, units: tuple[Unit, ...], assets: dict[str, str]) -> list[FileSpec]:
    """What ``build`` publishes under ``admin/``; nothing without ``[cms]``."""
    if config.cms is None:
        return []
    made = admin_pages(config, units, assets, backend_config(config.cms))
    specs = [FileSpec(f"{ADMIN}/{name}", OWNER, data=data) for name, data in made.items()]
    specs += [FileSpec(f"{ADMIN}/{p.name}", OWNER, source=p) for p in vendor_files()]
    return specs
