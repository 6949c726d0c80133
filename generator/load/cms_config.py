"""Load stage: the ``[cms]`` table of ``site.toml`` → `CmsConfig` (the browser editor's git server).

Called by `load.config.parse_config` with the same line finder and problem list,
so a bad value is one more located Chinese error among the file's others::

    [cms]
    backend = "gitlab"                      # gitlab 或 gitea
    base_url = "https://git.example.edu.cn" # 代码托管服务器的地址
    repo = "dangwei/gongkai"                # 仓库（组/项目）
    branch = "main"                         # 默认 main
    app_id = "8f3c…"                        # 在服务器上登记的 OAuth 应用 ID（PKCE 登录，无需密钥）
    # api_root = "https://git.example.edu.cn/api/v4"  # 默认按 backend 由 base_url 推出

Without the table the site publishes no editor (`SiteConfig.cms` is None).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from generator.core.errors import choices_text, did_you_mean
from generator.core.settings import CMS_BACKENDS, CmsConfig

# The API under the server's address when api_root is not written.
DEFAULT_API = {"gitlab": "/api/v4", "gitea": "/api/v1"}

_KEYS = ("backend", "base_url", "api_root", "repo", "branch", "app_id")
_URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
# group/project; GitLab allows subgroups (a/b/c), Gitea owner/name.
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
_BRANCH_RE = re.compile(r"^[^\s~^:?*\[\\]+$")
_APP_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

_EXAMPLE = '例如\n[cms]\nbackend = "gitlab"\nbase_url = "https://git.example.edu.cn"\nrepo = "dangwei/gongkai"\napp_id = "在服务器上登记的应用 ID"'

_MESSAGES = {
    "base_url": "[cms] base_url（代码托管服务器的地址）应当是以 http:// 或 https:// 开头的网址，例如 \"https://git.example.edu.cn\"，现在是 {value!r}。",
    "api_root": "[cms] api_root（服务器的 API 地址）应当是以 http:// 或 https:// 开头的网址，例如 \"https://git.example.edu.cn/api/v4\"，现在是 {value!r}；通常不用写。",
    "repo": "[cms] repo（仓库）应当写成“组/项目”，例如 \"dangwei/gongkai\"，只用字母、数字、点、横线和下划线，现在是 {value!r}。",
    "branch": "[cms] branch（分支）应当是不含空格的分支名，例如 \"main\"，现在是 {value!r}。",
    "app_id": "[cms] app_id 应当是在代码托管服务器上登记本站点 /admin/ 为回调地址的 OAuth 应用的 ID（只含字母、数字、点、横线和下划线），现在是 {value!r}。",
}
_PATTERNS = {"base_url": _URL_RE, "api_root": _URL_RE, "repo": _REPO_RE, "branch": _BRANCH_RE, "app_id": _APP_ID_RE}
_REQUIRED = ("backend", "base_url", "repo", "app_id")


def parse_cms(data: dict, find: Callable[..., int], bad: Callable[[int, str], None]) -> CmsConfig | None:
    """The ``[cms]`` table of parsed ``site.toml`` ``data``; None when absent or wrong (each problem to ``bad``)."""
    if "cms" not in data:
        return None
    raw = data["cms"]
    if not isinstance(raw, dict):
        bad(find("", "cms"), f"[cms] 应当是一个表（[cms] 段），{_EXAMPLE}")
        return None
    values: dict[str, str] = {}
    ok = True
    for key, value in raw.items():
        line = find("cms", key)
        if key not in _KEYS:
            bad(line, f"[cms] 中未知的配置项“{key}”" + did_you_mean(key, _KEYS) + f"可用的有：{choices_text(_KEYS)}。")
            ok = False
        elif (problem := _value_problem(key, value)) is not None:
            bad(line, problem)
            ok = False
        else:
            values[key] = value.strip().rstrip("/") if key in ("base_url", "api_root") else value.strip()
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        bad(find("cms"), f"[cms] 缺少 {choices_text(missing)}：{_EXAMPLE}")
        ok = False
    if not ok:
        return None
    backend = values["backend"]
    return CmsConfig(
        backend=backend,
        base_url=values["base_url"],
        api_root=values.get("api_root") or values["base_url"] + DEFAULT_API[backend],
        repo=values["repo"],
        branch=values.get("branch", "main"),
        app_id=values["app_id"],
    )


def _value_problem(key: str, value: object) -> str | None:
    if key == "backend":
        if isinstance(value, str) and value.strip() in CMS_BACKENDS:
            return None
        shown = value if isinstance(value, str) else repr(value)
        return f"[cms] backend 不支持“{shown}”" + did_you_mean(str(shown), CMS_BACKENDS) + f"可用的有：{choices_text(CMS_BACKENDS)}（学校自建的代码托管服务器）。"
    if not isinstance(value, str) or not _PATTERNS[key].match(value.strip()):
        return _MESSAGES[key].format(value=value)
    return None
