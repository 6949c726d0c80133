"""Core: the site's settings as every stage reads them — the frozen `SiteConfig` and its parts.

The types and their defaults only (DOMAIN.md); reading and checking ``site.toml``
is the load stage's (`load.config.parse_config`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

CONFIG_NAME = "site.toml"


@dataclass(frozen=True)
class Section:
    name: str
    key: str


@dataclass(frozen=True)
class Meeting:
    name: str
    key: str
    level: str  # "branch" | "unit"
    every: str | None  # "month" | "quarter" | "year" | None
    # Section keys whose posts count as a record of this meeting (cadence, lag,
    # by_meeting). Elsewhere (a 通知公告 announcing a 主题党日) the meeting is only
    # mentioned, not recorded. Empty only for a Meeting made by hand; the loader
    # always fills it (default: `default_sections`).
    sections: tuple[str, ...] = ()
    # Other names authors write for this meeting (支委会 for 支部委员会), accepted
    # silently in a post's ``meeting``; ``aliases = [...]`` in its [[meetings]] entry.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompareConfig:
    green: float = 0.9
    yellow: float = 0.7
    stale_days: int = 30
    lag_since: dt.date | None = None
    # [compare] start: a slot whose period ends before this day is not due (a site adopted
    # in December is not behind for January); posts dated before it still meet due slots
    start: dt.date | None = None


# The privacy scan's rules (core.privacy), rule -> (Chinese label, default severity):
# here, so that reading site.toml's [privacy] does not compile the scan's patterns.
PRIVACY_RULES: dict[str, tuple[str, str]] = {
    "id18": ("18 位公民身份号码", "error"),
    "id18-invalid": ("疑似 18 位身份号码（校验位不符）", "warning"),
    "id15": ("15 位公民身份号码", "error"),
    "mobile": ("手机号码", "error"),
    "bankcard": ("银行卡号", "error"),
    "secret": ("涉密标识", "error"),
    "address": ("疑似家庭住址", "warning"),
}


@dataclass(frozen=True)
class PrivacyConfig:
    # Numbers a site lists as public (the 党办 phone): never reported.
    allow: tuple[str, ...] = ()
    # rule name -> "error" | "warning" | "off"
    severity: tuple[tuple[str, str], ...] = ()
    # An attachment the scan cannot read (password, damage, over the limits): "error"
    # (default: nothing is published unchecked) or "warning" for sites that accept
    # the risk and check such files by hand.
    unreadable: str = "error"

    def severity_of(self, rule: str, default: str) -> str:
        return dict(self.severity).get(rule, default)


@dataclass(frozen=True)
class LimitsConfig:
    """Budgets for every file a build reads (``[limits]``): beyond them a file is a located
    error, so one hostile or accidental file cannot make every build slow or exhaust memory."""

    post_kb: int = 256  # a post file (front-matter + body)
    markdown_nesting: int = 32  # brackets, emphasis, quotes and list levels in one paragraph
    document_mb: int = 64  # an attachment that is read (PDF, Word, Excel, CSV, TXT) or cleaned (images)
    document_pages: int = 500  # pages of one PDF
    document_text_kb: int = 4096  # text extracted from one attachment (thousand characters)
    document_unpacked_mb: int = 32  # one PDF page's content or one part inside a .docx/.xlsx, decompressed
    document_seconds: int = 10  # reading one attachment
    image_megapixels: int = 50  # width × height of an image, read from its header


@dataclass(frozen=True)
class ImagesConfig:
    """``[images]``: a photo (JPEG, PNG, WebP) over ``max_kb`` is published as a web-sized copy,
    at most ``max_px`` on its longest side, and the original beside it as a download."""

    max_kb: int = 1024
    max_px: int = 2000


# The budgets when site.toml has no [limits]: the default argument of every reader.
DEFAULT_LIMITS = LimitsConfig()


@dataclass(frozen=True)
class PlansConfig:
    """``[plans]`` (目标管理, issue 18)."""

    # the 在线评议 link on each unit's 述职 page; "{unit}" is replaced by the unit's folder name ("" = no link)
    evaluation_url: str = ""


LIMIT_KEYS: dict[str, tuple[str, int]] = {
    "post_kb": ("文章文件大小（KB）", 16),
    "markdown_nesting": ("正文嵌套层数", 4),
    "document_mb": ("附件大小（MB）", 1),
    "document_pages": ("PDF 页数", 1),
    "document_text_kb": ("附件文字量（千字）", 16),
    "document_unpacked_mb": ("解压后大小（MB）", 1),
    "document_seconds": ("读取一个附件的时间（秒）", 1),
    "image_megapixels": ("图片像素（百万）", 1),
}


DEFAULT_SECTIONS = (
    Section("通知公告", "notices"),
    Section("党建动态", "news"),
    Section("支部生活", "branch-life"),
    Section("特色阵地", "features"),
)

# Where a meeting's record is published unless its [[meetings]] entry says
# ``sections = [...]``: branch meetings in 支部生活, the unit's own in 党建动态.
DEFAULT_MEETING_SECTIONS = {"branch": "branch-life", "unit": "news"}

# The everyday names of the default meetings, by key: a [[meetings]] entry without
# ``aliases`` keeps those of its key (unless another meeting is called so).
DEFAULT_MEETING_ALIASES: dict[str, tuple[str, ...]] = {
    "member-meeting": ("党员大会", "支部大会"),
    "committee": ("支委会", "支委会议"),
    "group": ("小组会", "党小组会议"),
    "theme-day": ("主题党日活动",),
    "unit-committee": ("党委会议",),
    "joint-meeting": ("联席会", "党政联席会议"),
    "study-group": ("中心组", "理论学习中心组", "中心组学习会"),
}

DEFAULT_MEETINGS = tuple(
    Meeting(name, key, level, every, sections, DEFAULT_MEETING_ALIASES.get(key, ()))
    for name, key, level, every, sections in (
        ("支部党员大会", "member-meeting", "branch", "quarter", ("branch-life",)),
        ("支部委员会", "committee", "branch", "month", ("branch-life",)),
        ("党小组会", "group", "branch", "month", ("branch-life",)),
        ("党课", "lecture", "branch", "quarter", ("branch-life",)),
        ("主题党日", "theme-day", "branch", "month", ("branch-life",)),
        ("组织生活会", "life-meeting", "branch", "year", ("branch-life",)),
        ("党委会", "unit-committee", "unit", "month", ("news",)),
        ("党政联席会", "joint-meeting", "unit", None, ("news",)),
        ("中心组学习", "study-group", "unit", None, ("news",)),
    )
)

# The umbrella term for the branch's regular meetings, and the keys of the four it covers.
UMBRELLA_MEETINGS: dict[str, tuple[str, ...]] = {"三会一课": ("member-meeting", "committee", "group", "lecture")}

DEFAULT_CATEGORIES = ("理论学习", "推进工作", "组织生活", "队伍建设", "特色阵地", "服务群众", "作风廉政", "计划总结", "通知公示")

# The meeting whose slots only exist for branches with 党小组 (``groups = true``).
GROUP_MEETING_KEY = "group"


CMS_BACKENDS = ("gitlab", "gitea")


@dataclass(frozen=True)
class CmsConfig:
    """``[cms]``: the git server the browser editor (``/admin/``, `render.cms`) signs in to
    with PKCE and commits to; read by `load.cms_config`."""

    backend: str  # one of CMS_BACKENDS
    base_url: str  # the server's address, e.g. https://git.example.edu.cn (sign-in pages)
    api_root: str  # its API, e.g. https://git.example.edu.cn/api/v4
    repo: str  # "group/project"
    branch: str = "main"
    app_id: str = ""  # the OAuth application's id on that server (PKCE: no secret)


@dataclass(frozen=True)
class SiteConfig:
    title: str = "党建工作公开晾晒"
    base_url: str = ""
    timezone: str = "Asia/Shanghai"
    theme: str = "default"
    page_size: int = 20
    latest: int = 5
    sections: tuple[Section, ...] = DEFAULT_SECTIONS
    meetings: tuple[Meeting, ...] = DEFAULT_MEETINGS
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    compare: CompareConfig = field(default_factory=CompareConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    # [gate] admins: git user names or e-mail addresses that may change every file
    # (site.toml, themes/, every unit's folder); see gate.py
    admins: tuple[str, ...] = ()
    plans: PlansConfig = field(default_factory=PlansConfig)
    # [cms]: the browser editor at /admin/; None (no [cms] table) publishes no editor
    cms: CmsConfig | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def section(self, word: str) -> Section | None:
        for s in self.sections:
            if word in (s.name, s.key):
                return s
        return None

    def meeting(self, word: str) -> Meeting | None:
        """The meeting called ``word``: its name, key or one of its aliases."""
        for m in self.meetings:
            if word in (m.name, m.key):
                return m
        return next((m for m in self.meetings if word in m.aliases), None)

    def meeting_by_key(self, key: str) -> Meeting:
        """The meeting of a key taken from this config (a post's or branch's
        validated keys); a key from anywhere else must go through `meeting`."""
        return next(m for m in self.meetings if m.key == key)

    def section_by_key(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def recorded_meetings(self, meetings: tuple[str, ...], section: str) -> tuple[str, ...]:
        """The meeting keys a post in ``section`` records (the rest it only mentions)."""
        return tuple(k for k in meetings if section in self.meeting_by_key(k).sections)

    @property
    def base_path(self) -> str:
        """The URL path the site is served under ("/" or "/sub/"), from base_url."""
        m = re.match(r"^[a-z]+://[^/]+(/.*)?$", self.base_url)
        path = (m.group(1) if m else None) or "/"
        return path if path.endswith("/") else path + "/"
