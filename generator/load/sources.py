"""Load stage: discover what is under ``content/`` and stat it.

Finds unit folders, their ``_unit.toml``, every post (``*.md`` at any depth)
and every other file (attachments), with sizes and modification stamps.
Symlinks are never followed out of a unit folder: a link that leads outside is
recorded so the parse stage can refuse to publish it. Only regular files with
UTF-8, printable names are taken; anything else is a located error. The only
contents read here are attachments (`attachments.read_document`, memoised): the text
of documents, so the parse stage can scan them for personal data without touching
the disk, and whether images can be published without their metadata; post
bytes are read by the builder.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import Problem, error, warning
from generator.core.model import PLANS_DIR, PROJECTS_FILE, UNIT_FILE, FileFacts
from generator.load.attachments import DocumentText, read_document, reader_key
from generator.load.config import DEFAULT_LIMITS, LimitsConfig

CONTENT = "content"
# Editor droppings and OS metadata: never content.
_IGNORED = re.compile(r"(^\.|^~|~$|\.swp$|\.swx$|\.tmp$|^#.*#$|^\.#|^Thumbs\.db$|^desktop\.ini$)", re.IGNORECASE)


_IGNORED_ENDINGS = ("~", ".swp", ".swx", ".tmp")  # `_IGNORED`'s, matched on the lowercased name
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})


def ignored_name(name: str) -> bool:
    """Whether `_IGNORED` matches: by string tests, 10 times faster than the pattern (every name, every build; issue 23)."""
    if "\n" in name:
        return bool(_IGNORED.search(name))  # ("$" also matches before a final line break: the pattern's own reading)
    if name[:1] in (".", "~") or (len(name) > 1 and name[0] == "#" and name[-1] == "#"):
        return True
    lower = name.lower()
    return lower.endswith(_IGNORED_ENDINGS) or lower in _IGNORED_NAMES


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SUSPECT = re.compile("[\x00-\x1f\x7f" + "".join(sorted(_BIDI)) + "]")  # any character _name_problem refuses


def _name_problem(name: str) -> str | None:
    """Why a file or folder name cannot be published, or None when it can."""
    if name.isascii() and name.isprintable():
        return None  # most names (issue 23: two checks of every name on every build): no control or bidi character, valid UTF-8
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        # os.fsdecode kept undecodable bytes as surrogates: a zip made on a
        # Chinese Windows PC and unpacked here has GBK names.
        return "文件名不是 UTF-8 编码（常见于在 Windows 上用 GBK 编码打包的压缩文件），请在本机重新命名这个文件"
    if _SUSPECT.search(name) is None:  # the common case, one regex scan per name
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "文件名含有换行等控制字符，请重新命名这个文件"
    if any(c in _BIDI for c in name):
        # "签到表\u202Efdp.exe" shows as "签到表exe.pdf": a classic disguise
        return "文件名含有改变文字方向的不可见字符（如 U+202E），显示出来的名字与真实的名字不同，请重新命名这个文件"
    return None


# Unit folder names become the first segment of every URL of the unit: plain
# lowercase ASCII only, so no two folders can look alike (a Cyrillic "а" in
# "wаiyu" beside "waiyu"), differ only in case (two outputs on a case-insensitive
# disk) or need percent-encoding. README「单位文件夹」documents the alphabet.
UNIT_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
UNIT_NAME_RULE = "只能使用小写英文字母 a-z、数字 0-9、连字符“-”和下划线“_”，并以字母或数字开头，例如 jixie、waiyu、jisuanji-2"


def unit_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a unit folder (Chinese, naming the characters), or None."""
    if UNIT_NAME_RE.fullmatch(name):
        return None
    bad = sorted({c for c in name if not ("a" <= c <= "z" or "0" <= c <= "9" or c in "-_")}, key=name.index)
    if bad:
        shown = "、".join(f"“{c}”（U+{ord(c):04X}）" if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}" for c in bad)
        what = f"含有不允许的字符 {shown}"
    else:
        what = "不能以“-”或“_”开头"
    lower = name.lower()
    hint = f"，例如改为“{lower}”" if lower != name and UNIT_NAME_RE.fullmatch(lower) else ""
    return f"单位文件夹名“{name}”{what}。单位文件夹名用于网址，{UNIT_NAME_RULE}。请把文件夹改名{hint}（网址会随之改变）"


def _shown(name: str) -> str:
    """A printable form of a name that may carry undecodable bytes or control characters."""
    raw = os.fsencode(name).decode("utf-8", "replace")
    return "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in raw)


@dataclass(frozen=True)
class Stamp:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Sources:
    site_dir: Path
    units: tuple[str, ...]  # unit slugs (folder names) that have a _unit.toml, sorted
    posts: tuple[str, ...]  # site-relative paths of *.md under unit folders, sorted
    files: dict[str, FileFacts]  # every file under content/, site-relative
    stamps: dict[str, Stamp]
    problems: tuple[Problem, ...]
    # 目标管理 inputs (issue 18): every file under content/_plans/ and content/<unit>/_plans/, and each
    # content/<unit>/_projects.toml, sorted; stamped like the rest, never posts or attachments (`load.plans`)
    plans: tuple[str, ...] = ()

    def documents(self) -> dict[str, tuple[Stamp, DocumentText]]:
        """The text read from PDF/DOCX files, keyed for `discover(known=...)` next time."""
        return {rel: (self.stamps[rel], f.text) for rel, f in self.files.items() if f.text is not None}


# (size, mtime_ns) of regular files that are no symlinks, keyed by their full path: what a walk
# just before this one saw (`build.quick.scan`), so `discover` need not stat them again.
Seen = Mapping[str, tuple[int, int]]


def discover(
    site_dir: Path, known: dict[str, tuple[Stamp, DocumentText]] | None = None, limits: LimitsConfig = DEFAULT_LIMITS, seen: Seen | None = None
) -> Sources:
    """``known``: document text from the previous build, reused while the stamp (and the
    reader and `[limits]` it was read with) is the same. ``seen``: stamps taken by a walk
    just before (a file it does not list is stat'ed as usual)."""
    site_dir = site_dir.resolve()
    root = site_dir / CONTENT
    if not root.is_dir():
        return Sources(site_dir, (), (), {}, {}, (error(CONTENT, 1, f"找不到 {CONTENT}/ 文件夹：站点文件夹 {site_dir} 中应当有 content/，每个单位一个子文件夹。"),))
    found = _Discovery(site_dir, known or {}, limits, seen or {})
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        found.top_entry(entry)
    return found.sources()


class _Discovery:
    """What one walk over content/ has found so far, in the order it was found."""

    def __init__(self, site_dir: Path, known: dict[str, tuple[Stamp, DocumentText]], limits: LimitsConfig, seen: Seen) -> None:
        self.site_dir = site_dir
        self.seen = seen
        self.known = known
        self.limits = limits
        self.reader = reader_key(limits)
        self.problems: list[Problem] = []
        self.units: list[str] = []
        self.posts: list[str] = []
        self.files: dict[str, FileFacts] = {}
        self.stamps: dict[str, Stamp] = {}
        self.plans: list[str] = []

    def sources(self) -> Sources:
        return Sources(self.site_dir, tuple(self.units), tuple(sorted(self.posts)), self.files, self.stamps, tuple(self.problems), tuple(sorted(self.plans)))

    def top_entry(self, entry: os.DirEntry[str]) -> None:
        """One entry directly under content/: a unit folder is walked, anything else refused or skipped."""
        if ignored_name(entry.name):
            return
        why = _name_problem(entry.name)
        if why is not None:
            self.problems.append(error(f"{CONTENT}/{_shown(entry.name)}", 1, why + "。"))
            return
        rel = f"{CONTENT}/{entry.name}"
        if entry.is_file(follow_symlinks=False):
            if entry.name.endswith(".md"):
                self.problems.append(error(rel, 1, "文章不能直接放在 content/ 下，要放进所属单位的文件夹，例如 content/jixie/。"))
            return
        if entry.is_symlink():
            self.problems.append(error(rel, 1, "单位文件夹不能是链接（symlink），请放入真实的文件夹。"))
            return
        if entry.name == PLANS_DIR and entry.is_dir():
            self._plan_files(entry.path, rel)  # the school's plan frameworks and 评议 results: never a unit
            return
        if entry.name.startswith("_") and not os.path.isfile(f"{entry.path}/{UNIT_FILE}"):
            return  # an underscore folder is never a unit (one with a _unit.toml is told why, below)
        if entry.is_dir() and self._is_unit(entry, rel):
            self.units.append(entry.name)
            self._walk_unit(entry.path, rel, Path(entry.path).resolve())

    def _is_unit(self, entry: os.DirEntry[str], rel: str) -> bool:
        unit_file = Path(entry.path) / UNIT_FILE
        if not unit_file.is_file():
            self.problems.append(
                error(rel, 1, f"文件夹 {rel}/ 缺少 {UNIT_FILE}：每个单位文件夹都要有 {UNIT_FILE}，写明 name（单位名称）、kind（类型）和 [[branches]]（支部）。")
            )
            return False
        why = unit_name_problem(entry.name)
        if why is not None:
            # one error for the folder; its posts are not read (each would only repeat it)
            self.problems.append(error(rel, 1, why + "。"))
            return False
        if unit_file.is_symlink() and Path(entry.path).resolve() not in unit_file.resolve().parents:
            self.problems.append(error(f"{rel}/{UNIT_FILE}", 1, f"{UNIT_FILE} 是指向单位文件夹以外的链接（symlink），不能读取。请放入真实的文件。"))
            return False
        return True

    def _walk_unit(self, path: str, rel: str, unit_real: Path) -> None:
        walk_errors: list[OSError] = []
        prefix = len(str(self.site_dir)) + 1
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False, onerror=walk_errors.append):
            reldir = dirpath[prefix:].replace(os.sep, "/")
            self._prune_folders(dirpath, reldir, dirnames, unit_real)
            if reldir == rel and PLANS_DIR in dirnames:
                # the unit's yearly plans: read by load.plans, never posts or attachments
                dirnames.remove(PLANS_DIR)
                self._plan_files(f"{dirpath}/{PLANS_DIR}", f"{rel}/{PLANS_DIR}")
            for name in sorted(filenames):
                if not ignored_name(name):
                    self._file(dirpath, reldir, name, rel, unit_real)
        for exc in walk_errors:
            where = Path(exc.filename).relative_to(self.site_dir).as_posix() if exc.filename else rel
            self.problems.append(error(_shown(where), 1, f"无法读取这个文件夹（{exc.strerror}），其中的文章没有检查。请检查文件夹权限。"))

    def _prune_folders(self, dirpath: str, reldir: str, dirnames: list[str], unit_real: Path) -> None:
        """Keep in ``dirnames`` (in place, so os.walk follows it) only the folders to descend into."""
        for d in list(dirnames):
            why = _name_problem(d)
            if why is not None:
                dirnames.remove(d)
                self.problems.append(error(f"{_shown(reldir)}/{_shown(d)}", 1, why.replace("文件", "文件夹", 1).replace("这个文件", "这个文件夹") + "。"))
        dirnames[:] = sorted(d for d in dirnames if not ignored_name(d))
        for d in list(dirnames):
            full = Path(dirpath) / d
            if full.is_symlink():
                dirnames.remove(d)
                target = full.resolve()
                if not (target == unit_real or unit_real in target.parents):
                    self.problems.append(error(f"{reldir}/{d}", 1, "这个文件夹是指向单位文件夹以外的链接（symlink），不能发布。请把文件复制进来。"))
                else:
                    self.problems.append(warning(f"{reldir}/{d}", 1, "文件夹链接（symlink）不会被读取，请使用真实的文件夹。"))

    def _file(self, dirpath: str, reldir: str, name: str, rel: str, unit_real: Path) -> None:
        why = _name_problem(name)
        if why is not None:
            self.problems.append(error(f"{_shown(reldir)}/{_shown(name)}", 1, why + "。"))
            return
        rel_file = f"{reldir}/{name}"
        full_str = f"{dirpath}/{name}"
        st = self._stat(full_str, rel_file)
        if st is None:
            return
        size, mtime_ns, link = st
        escapes = link and unit_real not in Path(full_str).resolve().parents
        if name == UNIT_FILE and reldir == rel:
            return
        if name == PROJECTS_FILE and reldir == rel:
            self.plans.append(rel_file)
            self.stamps[rel_file] = Stamp(size, mtime_ns)
            return
        text = None if escapes or name.endswith(".md") else self._document(rel_file, full_str, size, mtime_ns)
        self.files[rel_file] = FileFacts(size, escapes, text)
        self.stamps[rel_file] = Stamp(size, mtime_ns)
        if name.endswith(".md"):
            if escapes:
                self.problems.append(error(rel_file, 1, "这篇文章是指向单位文件夹以外的链接（symlink），不能发布。"))
            else:
                self.posts.append(rel_file)

    def _plan_files(self, path: str, rel: str) -> None:
        """The regular files directly in a _plans folder (its subfolders are not read)."""
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            if ignored_name(entry.name) or _name_problem(entry.name) is not None or not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            rel_file = f"{rel}/{entry.name}"
            self.plans.append(rel_file)
            self.stamps[rel_file] = Stamp(st.st_size, st.st_mtime_ns)

    def _stat(self, full_str: str, rel_file: str) -> tuple[int, int, bool] | None:
        """The size and mtime_ns of a regular file (through a symlink) and whether it is a link; None, and a problem, otherwise."""
        seen = self.seen.get(full_str)
        if seen is not None:
            return seen[0], seen[1], False
        # One lstat per file (10,000 posts: this loop is most of a no-op build);
        # a second stat only for the rare symlink.
        try:
            st = os.lstat(full_str)
            link = stat.S_ISLNK(st.st_mode)
            if link:
                st = os.stat(full_str)
        except OSError:
            self.problems.append(error(rel_file, 1, "这是一个失效的链接（symlink），指向的文件不存在。"))
            return None
        if not stat.S_ISREG(st.st_mode):
            # a FIFO or device would hang or break the build when read
            self.problems.append(error(rel_file, 1, "这不是普通文件（可能是管道或设备文件），不能发布，请删除。"))
            return None
        return st.st_size, st.st_mtime_ns, link

    def _document(self, rel_file: str, full_str: str, size: int, mtime_ns: int) -> DocumentText | None:
        seen = self.known.get(rel_file)
        if seen is not None and seen[0] == Stamp(size, mtime_ns) and getattr(seen[1], "reader", "") == self.reader:
            return seen[1]  # unchanged since the last build: no PDF parsing
        # documents' text, images' and office files' publishability (None for other files)
        return read_document(Path(full_str), size, mtime_ns, self.limits)
