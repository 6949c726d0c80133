"""Commands: the ``site.toml`` that ``liangshai init`` writes — every default, spelled out.

Made from the defaults in `core.settings` (never a copy of them), so the file
a new site starts with cannot drift from what the tool does without it: each
section, meeting, category, threshold, privacy setting and limit is written as
an editable setting with a Chinese comment. A default that is "not set" (a date
such as ``lag_since``) is written as a commented-out example. Parsing the file
gives exactly the default `SiteConfig` (tests/test_init.py).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields

from generator.core.privacy import RULES
from generator.core.settings import LIMIT_KEYS, CompareConfig, Meeting, SiteConfig

_LEVELS = {"branch": "支部的会议", "unit": "单位（二级党组织）的会议"}
_EVERY = {"month": "每月一次", "quarter": "每季度一次", "year": "每年一次"}

# [site]: comment per key, in the order written.
_SITE_COMMENTS = {
    "title": "网站名称，显示在每页顶部和浏览器标签上",
    "base_url": "网站的完整访问地址，例如 \"http://dangjian.example.edu.cn/\"；不写则不生成订阅源（atom.xml）和 sitemap.xml",
    "timezone": "时区：文章日期和统计截止日期按这个时区计算",
    "theme": "主题：themes/ 下的文件夹名；default 是自带的主题，站点的 themes/default/ 可以覆盖其中的个别模板",
    "page_size": "列表页每页显示的文章数",
    "latest": "首页每个栏目显示的最新文章数",
}

# [compare]: comment per key, and an example for a key whose default is "not set".
_COMPARE_COMMENTS = {
    "green": "完成率不低于此值显示为绿色（0 到 1 之间）",
    "yellow": "完成率不低于此值显示为黄色，低于则为红色（不能大于 green）",
    "stale_days": "超过这么多天没有新文章，单位标记为“久未更新”",
    "lag_since": "公开时滞（会议到记录上网的天数）从这一天起统计；不写则统计全部",
    "start": "考核起点：在这一天之前结束的考核期不考核（网站启用的日期）",
}
_DATE_EXAMPLE = dt.date(2026, 1, 1)


def toml_value(value: object) -> str:
    """A TOML literal for a default value (text, number, truth value, date or list of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (int, float, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _setting(key: str, value: object, comment: str) -> list[str]:
    """``key = value`` under its comment; a default that is not set (None) is a commented-out example."""
    lines = [f"# {comment}"] if comment else []
    if value is None:
        lines.append(f"# {key} = {toml_value(_DATE_EXAMPLE)}")
    else:
        lines.append(f"{key} = {toml_value(value)}")
    return lines


def _whole_list(name: str, what: str) -> list[str]:
    """``[<list>_config] replace = true``: the file writes every default, so its list is the whole list
    (an entry deleted here is gone from the site, as one would expect of a file that shows them all)."""
    return [
        f"# replace = true：下面写出的就是全部{what}，删去一项即不再使用它；",
        f"# 改为 false（或删去这一段）则写出的{what}与晾晒默认的{what}合并。",
        f"[{name}_config]",
        "replace = true",
        "",
    ]


def _header(title: str) -> list[str]:
    return [
        "# 晾晒站点配置（由 liangshai init 生成）。",
        "# 下面写出了全部默认设置，可以直接修改；删去的设置项使用默认值（栏目、会议、分类见各自的说明）。",
        "# 改完后运行 liangshai check 检查；文字要加英文双引号，日期不加引号（如 2026-01-01）。",
        "",
        "# 文章分类（文章的 category 从中选择）。这一行必须写在所有 [段] 之前。",
        f"categories = {toml_value(SiteConfig.categories)}",
        "",
        *_whole_list("categories", "分类"),
        "[site]",
        *(line for f in fields(SiteConfig) if f.name in _SITE_COMMENTS for line in _setting(f.name, title if f.name == "title" else f.default, _SITE_COMMENTS[f.name])),
        "",
    ]


def _sections(config: SiteConfig) -> list[str]:
    lines = ["# 栏目：name 是显示的名称，key 用于网址（小写字母、数字和 -）。", *_whole_list("sections", "栏目")]
    for s in config.sections:
        lines += ["[[sections]]", f"name = {toml_value(s.name)}", f"key = {toml_value(s.key)}", ""]
    return lines


def _meeting(m: Meeting, config: SiteConfig) -> list[str]:
    section_names = [config.section_by_key(k).name for k in m.sections]
    lines = ["[[meetings]]", f"name = {toml_value(m.name)}", f"key = {toml_value(m.key)}", f"level = {toml_value(m.level)}  # {_LEVELS[m.level]}"]
    if m.every is None:
        lines.append("# every 不写：不按期召开，不计入完成率")
    else:
        lines.append(f"every = {toml_value(m.every)}  # {_EVERY[m.every]}")
    lines.append(f"sections = {toml_value(section_names)}  # 记录发在这些栏目中才算召开")
    lines.append(f"aliases = {toml_value(m.aliases)}  # 这种会议的其他叫法")
    return [*lines, ""]


def _meetings(config: SiteConfig) -> list[str]:
    lines = [
        "# 会议类型：level 是 branch（支部）或 unit（单位）；every 是 month、quarter 或 year，",
        "# 对标页按它计算每个支部应开的次数；key 用于网址和数据文件，不要随意修改。",
        *_whole_list("meetings", "会议"),
    ]
    for m in config.meetings:
        lines += _meeting(m, config)
    return lines


def _compare(config: SiteConfig) -> list[str]:
    lines = ["# 对标（比较各单位、各支部的完成情况）", "[compare]"]
    for f in fields(CompareConfig):
        lines += _setting(f.name, getattr(config.compare, f.name), _COMPARE_COMMENTS.get(f.name, ""))
    return [*lines, ""]


def _privacy(config: SiteConfig) -> list[str]:
    rules = "、".join(f"{rule}（{label}，默认 {level}）" for rule, (label, level) in RULES.items())
    return [
        "# 个人信息和涉密标识检查",
        "[privacy]",
        "# 允许公开的号码（如党办电话），不报告",
        f"allow = {toml_value(config.privacy.allow)}",
        "# 无法读取的附件（加密、损坏、超出限制）：error 不发布；warning 只警告，由人工核对",
        f"unreadable = {toml_value(config.privacy.unreadable)}",
        "# 各规则的级别（error、warning 或 off），不写则用默认级别。规则：",
        f"# {rules}",
        '# severity = { address = "off" }',
        "",
    ]


def _limits(config: SiteConfig) -> list[str]:
    lines = ["# 每个文件的读取上限：超出时报错，一个异常的文件不会拖慢整个生成", "[limits]"]
    for key, (label, _least) in LIMIT_KEYS.items():
        lines.append(f"{key} = {toml_value(getattr(config.limits, key))}  # {label}")
    return [*lines, ""]


def _images(config: SiteConfig) -> list[str]:
    return [
        "# 大图片：超过 max_kb（KB）的 JPG、PNG、WebP 在网页上显示缩小的副本（最长边 max_px 像素），原图作为附件供下载",
        "[images]",
        f"max_kb = {config.images.max_kb}",
        f"max_px = {config.images.max_px}",
        "",
    ]


def _gate() -> list[str]:
    return [
        "# 共享仓库的权限：这些 git 用户名或电子邮箱可以修改全部文件；",
        "# 各单位文件夹由其 _unit.toml 的 editors 修改（liangshai check --authors、liangshai codeowners）",
        "[gate]",
        "admins = []",
    ]


def _cms() -> list[str]:
    """``[cms]`` has no default (no editor is published): a commented-out example."""
    return [
        "",
        "# 网页编辑器（/admin/）：写上这一段，liangshai build 就生成在浏览器里填表写文章的页面，",
        "# 各单位用学校代码托管服务器的账号登录，保存即提交（见 README“在浏览器里写”）",
        "# [cms]",
        '# backend = "gitlab"                        # gitlab 或 gitea',
        '# base_url = "https://git.example.edu.cn"   # 代码托管服务器的地址',
        '# repo = "dangwei/gongkai"                  # 仓库：组/项目',
        '# branch = "main"',
        '# app_id = "0123456789abcdef"               # 在服务器上登记的 OAuth 应用的 ID（PKCE 登录，不需要密钥）',
    ]


def default_site_toml(title: str | None = None) -> str:
    """The text of a new site's ``site.toml``: every default of `SiteConfig` (``title`` replacing the default title)."""
    config = SiteConfig()
    lines = [
        *_header(title if title is not None else config.title),
        *_sections(config),
        *_meetings(config),
        *_compare(config),
        *_privacy(config),
        *_limits(config),
        *_images(config),
        *_gate(),
        *_cms(),
    ]
    return "\n".join(lines) + "\n"
