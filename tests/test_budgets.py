"""Budgets for every file (issue 16, item 8): small files that used to stall a build.

Each case is the reproduction from the issue, generated here, added to a site
that has already been built once; the real CLI (`python -m generator build`)
runs in a subprocess under a tiny wrapper that reports its wall time and the
peak resident memory of the process tree. Every case must end in a located
Chinese error, exit code 1, no traceback, and the last good output untouched.

Time and memory are measured and printed (run with ``-s`` to see them; the
figures are in the closing note of issue 16), not asserted as timings: only a
sanity bound of 300 MB on memory — the issue's own acceptance figure — is
checked, since memory does not depend on how busy the machine is.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, post_text, write_site
from hostile_files import docx_with_paragraphs, jpeg_declaring, pdf_shared_huge_stream, png_without_iend

AS_OF = "2026-11-27"
MEMORY_BOUND_MB = 300

# Runs the command and prints its wall time and the peak RSS (KB) of its process tree.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": proc.returncode, "out": proc.stdout, "err": proc.stderr, "seconds": time.perf_counter() - start, "peak_kb": peak}))
"""


@dataclass(frozen=True)
class Budget:
    files: Callable[[], dict[str, str | bytes]]
    path: str  # where the error points
    line: int
    fragments: tuple[str, ...]


def _post(body: str = "正文。", **extra: object) -> str:
    return post_text("通知", "2026-03-05", "通知公告", body, **extra)


BUDGETS: dict[str, Budget] = {
    # 24 KB of nested brackets: 27.6 s before, quadratic
    "markdown-brackets-24kb": Budget(lambda: {"content/jx/b.md": _post("[" * 12000 + "a" + "]" * 12000)}, "content/jx/b.md", 6, ("方括号“[”嵌套了超过 32 层", "markdown_nesting")),
    # 100 KB of them: past 120 s before
    "markdown-brackets-100kb": Budget(lambda: {"content/jx/b.md": _post("[" * 50000 + "a" + "]" * 50000)}, "content/jx/b.md", 6, ("方括号",)),
    # unclosed "![" and "<a " runs: the same scan in Python-Markdown's inline parser and HTML block reader
    "markdown-image-openers": Budget(lambda: {"content/jx/b.md": _post("![" * 12000)}, "content/jx/b.md", 6, ("没有配对的“[”或“<”", "上限 2,000,000 步")),
    "markdown-unclosed-tags": Budget(lambda: {"content/jx/b.md": _post("<a " * 8000)}, "content/jx/b.md", 6, ("8000 个没有配对的“[”或“<”",)),
    # a 50 MB post: 104 s and 1.03 GB before
    "post-50mb": Budget(lambda: {"content/jx/b.md": _post("公开晾晒。" * (50 * 1024 * 1024 // 15))}, "content/jx/b.md", 1, ("超过上限 256 KB", "post_kb")),
    # a ~110 KB PDF whose 20 pages share one 56 MB text stream: past 120 s at 382 MB before
    "pdf-shared-56mb-stream": Budget(
        lambda: {"content/jx/b/index.md": _post(attachments="[大.pdf]"), "content/jx/b/大.pdf": pdf_shared_huge_stream(20, 56)},
        "content/jx/b/index.md", 5, ("附件“大.pdf”", "页面内容解压后超过 8 MB", "document_unpacked_mb", "unreadable_ok: [大.pdf]"),
    ),
    # a 110 KB DOCX whose document.xml is 50 MB of empty paragraphs: 298 s and 1.98 GB before
    "docx-50mb-empty-paragraphs": Budget(
        lambda: {"content/jx/b/index.md": _post(attachments="[空.docx]"), "content/jx/b/空.docx": docx_with_paragraphs(0, 50)},
        "content/jx/b/index.md", 5, ("附件“空.docx”", "word/document.xml 解压后有 50 MB", "document_unpacked_mb"),
    ),
    # the same shape under the unpacked limit: streamed (memory stays flat), stopped by the time budget
    "docx-2m-empty-paragraphs-with-low-time-budget": Budget(
        lambda: {"site.toml": "[limits]\ndocument_seconds = 1\n", "content/jx/b/index.md": _post(attachments="[空.docx]"), "content/jx/b/空.docx": docx_with_paragraphs(0, 31)},
        "content/jx/b/index.md", 5, ("附件“空.docx”", "读取超过 1 秒（site.toml [limits] document_seconds），没有读完", "document_seconds"),
    ),
    # one page with 7 MB of text operators (under the unpacked budget): the time budget stops it inside the page
    "pdf-one-page-7mb-content-time-budget": Budget(
        lambda: {"site.toml": "[limits]\ndocument_seconds = 2\n", "content/jx/b/index.md": _post(attachments="[长.pdf]"), "content/jx/b/长.pdf": pdf_shared_huge_stream(1, 7)},
        "content/jx/b/index.md", 5, ("附件“长.pdf”", "读取超过 2 秒", "document_seconds"),
    ),
    # an 833-byte-class malformed JPEG declaring 12000×12000: 1.73 GB before
    "jpeg-malformed-12000x12000": Budget(
        lambda: {"content/jx/b/index.md": _post("![照片](照片.jpg)"), "content/jx/b/照片.jpg": jpeg_declaring(12000, 12000)},
        "content/jx/b/index.md", 6, ("附件“照片.jpg”的尺寸是 12000×12000", "image_megapixels", "没有发布"),
    ),
    # a PNG of 13000×13000 without IEND: 14.4 s and 1.36 GB before
    "png-13000x13000-no-iend": Budget(
        lambda: {"content/jx/b/index.md": _post(attachments="[图.png]"), "content/jx/b/图.png": png_without_iend(13000, 13000, 600)},
        "content/jx/b/index.md", 5, ("附件“图.png”的尺寸是 13000×13000", "image_megapixels"),
    ),
    # item 9: a malformed JPEG over Pillow's decompression-bomb guard (limit raised past it): an error, never copied as is
    "jpeg-malformed-over-pillow-guard": Budget(
        lambda: {"site.toml": "[limits]\nimage_megapixels = 1000\n", "content/jx/b/index.md": _post(attachments="[照片.jpg]"), "content/jx/b/照片.jpg": jpeg_declaring(14000, 14000)},
        "content/jx/b/index.md", 5, ("附件“照片.jpg”是已损坏的 JPEG 图片（尺寸过大）", "位置信息", "没有发布"),
    ),
}

GOOD = {"content/jx/a.md": post_text("好文章", "2026-03-04", "通知公告", "上一次成功发布的内容。")}


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".liangshai")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def good_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A site and its output from a successful build, copied by every case."""
    root = tmp_path_factory.mktemp("good")
    site = write_site(root / "site", dict(GOOD))
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "--as-of", AS_OF, "-q"], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return site, out


FIGURES: dict[str, tuple[float, float]] = {}


@pytest.mark.parametrize("name", list(BUDGETS))
def test_budget_case_ends_in_a_located_error_and_publishes_nothing(name: str, good_output: tuple[Path, Path], tmp_path: Path) -> None:
    case = BUDGETS[name]
    site, out = tmp_path / "site", tmp_path / "out"
    shutil.copytree(good_output[0], site)
    shutil.copytree(good_output[1], out)
    before = _tree_digest(out)
    files = case.files()
    if "site.toml" in files:
        (site / "site.toml").write_text(str(files.pop("site.toml")), encoding="utf-8")
    write_site(site, files)
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "--as-of", AS_OF]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    run = json.loads(proc.stdout)
    peak_mb = run["peak_kb"] / 1024
    FIGURES[name] = (run["seconds"], peak_mb)
    print(f"\n[budget] {name}: {run['seconds']:.2f} s, peak {peak_mb:.0f} MB")
    log = run["out"] + run["err"]
    assert run["rc"] == 1, log
    assert "Traceback" not in log, log
    expected = f"{case.path}:{case.line}: 错误："
    lines = [line for line in log.splitlines() if line.startswith(expected)]
    assert any(all(f in line for f in case.fragments) for line in lines), f"expected {expected} with {case.fragments}, got:\n{log[:3000]}"
    assert _tree_digest(out) == before, "the last good output must be untouched"
    assert peak_mb < MEMORY_BOUND_MB, f"{name}: peak {peak_mb:.0f} MB"


def test_budgets_are_configurable_and_validated(tmp_path: Path) -> None:
    """A larger [limits] post_kb lets a big post through; a bad value is a located config error."""
    import datetime as dt

    from generator.build.builder import Builder, BuildOptions

    body = "公开晾晒。" * (300 * 1024 // 15)  # ~300 KB: over the default 256 KB
    site = write_site(tmp_path / "big", {"content/jx/b.md": _post(body)}, config="[limits]\npost_kb = 512\n")
    result = Builder(BuildOptions(site, tmp_path / "out", as_of=dt.date(2026, 11, 27))).build()
    assert result.ok, "\n".join(p.format() for p in result.problems)
    site = write_site(tmp_path / "bad", {"content/jx/b.md": _post()}, config="[limits]\npost_kb = 0\nimage_megapixel = 5\n")
    result = Builder(BuildOptions(site, tmp_path / "out2", as_of=dt.date(2026, 11, 27))).build()
    got = sorted(p.format() for p in result.problems)
    assert any(g.startswith("site.toml:2: 错误：[limits] post_kb") and "不小于 16 的整数" in g for g in got), got
    assert any(g.startswith("site.toml:3: 错误：[limits] 中未知的配置项“image_megapixel”，是不是“image_megapixels”？") for g in got), got


# ---------------------------------------------------------------------------
# the Markdown pre-check on its own: what real posts contain passes, the shapes that stall do not

LEGIT_BODIES = {
    "fill-in-blanks": "姓名：________  电话：________\n\n签字：____________________________________________",
    "many-links-one-list": "\n".join(f"- [第 {i} 期学习材料](材料{i}.pdf)" for i in range(400)),
    "bold-heavy-paragraph": "，".join(f"**要点{i}**" for i in range(80)),
    "snake-case-and-code": "变量 `file_name_here` 与 __init__ 以及 snake_case_word。" * 200,
    "table-of-links": "| 名称 | 链接 |\n|--|--|\n" + "\n".join(f"| 第{i}项 | [查看](x{i}.md) |" for i in range(300)),
    "horizontal-rules": "***\n\n---\n\n___\n\n* * *",
    "nested-list-5": "".join("    " * i + "- 项\n" for i in range(5)),
    "quote-3": "> > > 引用",
    "less-than-signs": "如果 a<b 且 b < c，则 a<c。" * 300,
}


def test_markdown_precheck_passes_what_real_posts_contain() -> None:
    from generator.load.config import LimitsConfig
    from generator.parse.budgets import markdown_problems

    for name, body in LEGIT_BODIES.items():
        assert markdown_problems(body, 6, "a.md", LimitsConfig()) == [], name


def test_markdown_precheck_cost_model_tracks_what_python_markdown_scans() -> None:
    """Balanced links cost their own length; one stray "[" costs the rest of its paragraph only."""
    from generator.load.config import LimitsConfig
    from generator.parse.budgets import MARKDOWN_COST, markdown_problems

    stray = "[" + "文" * (MARKDOWN_COST // 2)  # one opener, a paragraph of a million characters: allowed
    assert markdown_problems(stray, 6, "a.md", LimitsConfig(post_kb=8192)) == []
    blocks = "\n\n".join(["[" * 30 + "a"] * 400)  # 30 openers per paragraph, 400 paragraphs: each paragraph is cheap
    assert markdown_problems(blocks, 6, "a.md", LimitsConfig()) == []
    many = "[" * 1500 + "文" * 1000  # 1,500 openers each scanning ~2,000 characters: refused, at its line
    got = markdown_problems("正文\n\n" + many, 6, "a.md", LimitsConfig(markdown_nesting=2000))
    assert [(p.line, "1500 个没有配对" in p.message) for p in got] == [(8, True)]
