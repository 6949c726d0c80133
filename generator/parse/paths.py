"""Parse stage: where a post lives and what it refers to — its slug, confined paths, linked documents.

Pure string work over site-relative paths and the load stage's `FileFacts`;
nothing here reads the disk.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote

from generator.core.model import FileFacts


def post_slug(relpath: str) -> tuple[str, bool]:
    """Slug of a post and whether it is a bundle (``<slug>/index.md``).

    The slug is NFC-normalised: a Mac writes file names decomposed (NFD), and the
    same name must give the same URL, and collide with its composed twin.
    """
    parts = relpath.split("/")
    if parts[-1] == "index.md" and len(parts) >= 4:  # content/<unit>/<slug>/index.md at least
        return unicodedata.normalize("NFC", parts[-2]), True
    return unicodedata.normalize("NFC", posixpath.splitext(parts[-1])[0]), False


def _attachment_kind(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return {
        ".pdf": "PDF 文档",
        ".doc": "Word 文档",
        ".docx": "Word 文档",
        ".xls": "Excel 表格",
        ".xlsx": "Excel 表格",
        ".ppt": "PPT 演示文稿",
        ".pptx": "PPT 演示文稿",
        ".jpg": "图片",
        ".jpeg": "图片",
        ".png": "图片",
        ".gif": "图片",
        ".webp": "图片",
        ".zip": "压缩包",
        ".txt": "文本",
    }.get(ext, "文件")


def confine(base_dir: str, target: str, inside: str) -> tuple[str | None, str | None]:
    """Resolve ``target`` (as written, relative to ``base_dir``) and keep it under ``inside``.

    Returns (site-relative path, None) or (None, why not, in Chinese). Windows
    paths, drive letters, UNC shares, absolute paths and ``..`` that climbs out
    of ``inside`` are all refused, each with its own explanation.
    """
    if re.match(r"^[A-Za-z]:[\\/]", target) or target.startswith("\\\\"):
        return None, "是 Windows 电脑上的路径（如 C:\\… 或 \\\\服务器\\…），网站上无法访问"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", target):
        return None, "是网址而不是文件"
    if target.startswith("/"):
        return None, "是绝对路径（以 / 开头）"
    if "\\" in target:
        return None, "用了反斜杠“\\”分隔文件夹，请改用“/”"
    joined = posixpath.normpath(posixpath.join(base_dir, target))
    if not (joined + "/").startswith(inside.rstrip("/") + "/") or joined == inside.rstrip("/"):
        where = " content 文件夹" if inside == "content" else f"本单位的文件夹 {inside}/"
        return None, f"用“..”跳出了{where}"
    return joined, None


# Markdown links and images, reference definitions and raw HTML href/src: the
# documents a body may publish, found without rendering it (parse stays cheap).
_BODY_REF_RE = re.compile(
    r"\]\(\s*<?([^)\s>]+)"  # [text](target) and ![alt](target)
    r"|^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)"  # [id]: target
    r"|(?:href|src)\s*=\s*[\"']?([^\"'\s>]+)",  # raw HTML
    re.MULTILINE | re.IGNORECASE,
)


def _body_documents(body: str, base_dir: str, unit_dir: str, files: dict[str, FileFacts], body_line: int = 1) -> list[tuple[str, int]]:
    """Files the body links to or shows, with the line of their first mention."""
    # Each kind of reference holds "](", "]:" or "=": a body with none has none (most posts; the
    # regex, tried at every character of ~2,000, took ~50 µs a post, these three tests ~4).
    if "](" not in body and "]:" not in body and "=" not in body:
        return []
    out: dict[str, int] = {}
    for m in _BODY_REF_RE.finditer(body):
        ref = unquote(next(g for g in m.groups() if g is not None)).split("#", 1)[0].split("?", 1)[0]
        if ref.endswith(".md") or not ref:
            continue
        path, _ = confine(base_dir, ref, unit_dir)
        if path is not None and path in files and path not in out:
            out[path] = body_line + body.count("\n", 0, m.start())
    return list(out.items())


def lookup_file(files: dict[str, FileFacts], target: str) -> tuple[str, FileFacts] | None:
    """The file at ``target``, also when it and the front-matter differ only in Unicode form."""
    if target in files:
        return target, files[target]
    nfc = unicodedata.normalize("NFC", target)
    for path, facts in files.items():
        if unicodedata.normalize("NFC", path) == nfc:
            return path, facts
    return None
