#!/usr/bin/env python3
"""Make the demo site's git repository, with a dated history, and build it.

The demo content in ``content/`` was written in one go, so the checkout's own
history says every post was committed on the same day: the 对标 page's
"公开时滞" (days from a meeting to the first commit of its record) would be
meaningless there, and ``site.toml`` switches it off with ``lag_since``.

This script copies ``site.toml`` and ``content/`` into a fresh repository
(default ``build/demo-site/``, inside the git-ignored ``build/``) and commits
them as units would have: each post on its date plus a lag of 0–10 days
(0 for about one post in four), a unit's usual lag plus a per-post spread,
both taken from a hash of the names, so the history is the same on every
machine (same commit ids too). Posts committed on the same day share one
commit (about 400 commits instead of 1,390), written with ``git fast-import``
in one process. The copy's ``site.toml`` drops ``lag_since``: this history is
the one the lag is meant to be read from. Then it builds the site into
``build/demo/`` with the installed ``liangshai`` (the same Python's
``generator`` package, so a wheel install builds it too).

    python3 scripts/make_demo.py                     # build/demo-site/ → build/demo/
    python3 scripts/make_demo.py --as-of 2026-11-27  # fixed 统计截止日期
    python3 scripts/make_demo.py --site DIR --out DIR --no-build

Only git and the standard library are used here; nothing is imported from the
checkout, so a wheel's ``generator`` is the one that builds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = ".liangshai-demo"  # only a folder this script made is ever deleted by it
TZ = dt.timezone(dt.timedelta(hours=8))  # the demo's site timezone (Asia/Shanghai, no DST)
COMMIT_HOUR = 22  # late evening: a same-day commit is never before the meeting's own day
AUTHOR = "演示数据 <demo@example.edu.cn>"
_DATE_RE = re.compile(r"^(?:date|日期)\s*:\s*['\"]?(\d{4})-(\d{1,2})-(\d{1,2})", re.M)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def lag_days(rel: str) -> int:
    """Days from a post's date to its commit: 0–10, deterministic from its path.

    A unit's usual delay (0–4 days, from its folder name) plus a spread of 0–6
    days per post; one post in four is committed the same day.
    """
    unit = rel.split("/")[1]
    h = _hash(rel)
    if h % 4 == 0:
        return 0
    return _hash(unit) % 5 + (h >> 8) % 7


def post_date(path: Path) -> dt.date:
    text = path.read_text("utf-8")
    head = text.split("---", 2)[1] if text.startswith("---") else ""
    m = _DATE_RE.search(head)
    if not m:
        raise SystemExit(f"{path}: 找不到 date 字段，无法决定它的提交日期。")
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def plan_commits(site: Path) -> tuple[list[str], dict[dt.date, list[str]]]:
    """(files of the first commit, commit day → files): a bundle's files go with its index.md."""
    content = site / "content"
    posts: dict[str, Path] = {}  # rel of the file that carries the date → its folder (bundle) or itself
    for md in sorted(content.rglob("*.md")):
        rel = md.relative_to(site).as_posix()
        posts[rel] = md.parent if md.name == "index.md" else md
    bundle_of = {p: rel for rel, p in posts.items() if p.is_dir()}
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    first: list[str] = []
    dated = {rel: post_date(site / rel) + dt.timedelta(days=lag_days(rel)) for rel in posts}
    for f in sorted(p for p in site.rglob("*") if p.is_file() and ".git" not in p.relative_to(site).parts):
        rel = f.relative_to(site).as_posix()
        if rel == MARKER:
            continue
        owner = rel if rel in posts else next((bundle_of[d] for d in f.parents if d in bundle_of), None)
        if owner is None:
            first.append(rel)  # site.toml, _unit.toml: before every post
        else:
            by_day[dated[owner]].append(rel)
    return first, dict(sorted(by_day.items()))


def _stamp(day: dt.date, hour: int) -> str:
    when = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)
    return f"{int(when.timestamp())} +0800"


def fast_import_stream(site: Path, first: list[str], by_day: dict[dt.date, list[str]]) -> bytes:
    out = bytearray()

    def data(raw: bytes) -> None:
        out.extend(b"data %d\n" % len(raw) + raw + b"\n")

    # the configuration and the units' files: the day before the first record
    start = (min(by_day) if by_day else dt.date(2026, 1, 1)) - dt.timedelta(days=1)
    commits = [(start, "导入站点配置与单位信息", first, COMMIT_HOUR)]
    commits += [(day, f"公开 {day.isoformat()} 的记录（{len(files)} 个文件）", files, COMMIT_HOUR) for day, files in by_day.items()]
    for _n, (day, message, files, hour) in enumerate(commits, 1):
        out.extend(b"commit refs/heads/main\n")
        stamp = _stamp(day, hour).encode()
        out.extend(b"author " + AUTHOR.encode() + b" " + stamp + b"\n")
        out.extend(b"committer " + AUTHOR.encode() + b" " + stamp + b"\n")
        data(message.encode("utf-8"))
        for rel in files:
            mode = b"100755" if os.access(site / rel, os.X_OK) else b"100644"
            out.extend(b"M " + mode + b" inline " + rel.encode("utf-8") + b"\n")
            data((site / rel).read_bytes())
        out.extend(b"\n")
    return bytes(out)


def git(site: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "LC_ALL": "C", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", *args], cwd=site, input=stdin, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} 失败：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def make_site(site: Path, source: Path = REPO) -> int:
    """Copy the demo into ``site`` and give it its dated history; returns the number of commits."""
    if site.exists():
        if not (site / MARKER).exists():
            raise SystemExit(f"{site} 已存在且不是本脚本生成的演示仓库，不会删除它。请换一个 --site 文件夹。")
        shutil.rmtree(site)
    site.mkdir(parents=True)
    (site / MARKER).write_text("由 scripts/make_demo.py 生成，可以整个删除。\n", encoding="utf-8")
    shutil.copytree(source / "content", site / "content")
    config = (source / "site.toml").read_text("utf-8")
    # This history is the one the lag is read from: the checkout's migration cut-off does not apply.
    config = re.sub(r"(?m)^lag_since\s*=.*$", "# lag_since：演示仓库由 scripts/make_demo.py 按日期逐日提交，全部记录都计算公开时滞。", config)
    (site / "site.toml").write_text(config, encoding="utf-8")
    (site / ".gitignore").write_text(f"/build/\n/{MARKER}\n", encoding="utf-8")
    first, by_day = plan_commits(site)
    git(site, "init", "-q", "-b", "main")
    git(site, "fast-import", "--quiet", "--date-format=raw", stdin=fast_import_stream(site, [".gitignore", *first], by_day))
    git(site, "reset", "-q")  # the index to HEAD: the work tree already holds the same files
    if git(site, "status", "--porcelain"):
        raise SystemExit("演示仓库提交后仍有未提交的文件，请检查 scripts/make_demo.py。")
    return 1 + len(by_day)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成带提交历史的演示仓库并生成网站")
    ap.add_argument("--site", type=Path, default=REPO / "build" / "demo-site", help="演示仓库（默认 build/demo-site）")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "demo", help="生成的网站（默认 build/demo）")
    ap.add_argument("--as-of", default=None, help="统计截止日期 YYYY-MM-DD（默认今天）")
    ap.add_argument("--no-build", action="store_true", help="只生成演示仓库，不生成网站")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    commits = make_site(args.site.resolve())
    print(f"已生成演示仓库 {args.site}：{commits} 个提交，用时 {time.perf_counter() - started:.2f} 秒。")
    if args.no_build:
        return 0
    cmd = [sys.executable, "-m", "generator", "build", str(args.site.resolve()), "-o", str(args.out.resolve())]
    if args.as_of:
        cmd += ["--as-of", args.as_of]
    # cwd: the demo repository, so `-m generator` is the installed package, not a checkout's folder
    return subprocess.run(cmd, cwd=args.site, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
