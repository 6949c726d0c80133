"""Benchmark: read the git history of a 10,000-post repository.

Creates (in a temporary folder) a git repository with 10,000 post files added
over 200 commits — with some edits and renames along the way, as real history
has — then times `generator.load.history.read_history` and counts the git processes
it starts. Usage::

    python bench/history.py [--posts 10000] [--commits 200] [--repeat 3]

Prints the seconds of each run; the number that matters is one ``git log``
pass whatever the number of posts (plus one ``git rev-parse`` probe).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.load import history

POST = "---\ntitle: 支部委员会会议纪要 {n}\ndate: {date}\nsection: 支部生活\nmeeting: 支部委员会\nbranch: b{b}\n---\n第 {n} 次会议。\n"


def git(repo: Path, *args: str, date: str | None = None, stdin: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.edu.cn", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.edu.cn"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, input=stdin, text=True)


def make_repo(root: Path, posts: int, commits: int) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    per = -(-posts // commits)
    n = 0
    start = 1767225600  # 2026-01-01 00:00 UTC
    for c in range(commits):
        batch = []
        for _ in range(per):
            if n >= posts:
                break
            unit = f"u{n % 20:02d}"
            day = 1 + (n % 28)
            month = 1 + (n * 12 // posts)
            path = root / "content" / unit / "2026" / f"p{n:05d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(POST.format(n=n, date=f"2026-{month:02d}-{day:02d}", b=n % 7), encoding="utf-8")
            batch.append(path)
            n += 1
        if c and c % 10 == 0:  # every tenth commit also edits one older post and renames another
            old = root / "content" / "u00" / "2026" / f"p{(c * 7) % n:05d}.md"
            if old.exists():
                old.write_text(old.read_text(encoding="utf-8") + "\n修订。\n", encoding="utf-8")
            victim = root / "content" / "u01" / "2026" / f"p{(c * 13) % n:05d}.md"
            if victim.exists():
                git(root, "mv", str(victim.relative_to(root)), str(victim.relative_to(root)).replace(".md", "-renamed.md"))
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"batch {c}", date=f"@{start + c * 86400} +0800")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="liangshai-bench-") as tmp:
        repo = Path(tmp)
        t0 = time.perf_counter()
        make_repo(repo, args.posts, args.commits)
        print(f"created {args.posts} posts in {args.commits} commits in {time.perf_counter() - t0:.1f} s")

        calls: list[tuple[str, ...]] = []
        real_run = subprocess.run

        def counting_run(cmd, *a, **kw):  # count the processes read_history starts
            calls.append(tuple(cmd))
            return real_run(cmd, *a, **kw)

        tz = ZoneInfo("Asia/Shanghai")
        times = []
        for _ in range(args.repeat):
            calls.clear()
            history.subprocess.run = counting_run
            try:
                t = time.perf_counter()
                h = history.read_history(repo, tz)
                times.append(time.perf_counter() - t)
            finally:
                history.subprocess.run = real_run
        assert h.available, h.reason
        files = len(h.first_added)
        logs = sum(1 for c in calls if "log" in c)
        print(f"read_history: {files} files with a first-add time; git processes per call: {len(calls)} ({logs} git log)")
        print("seconds: " + ", ".join(f"{t:.3f}" for t in times) + f" (best {min(times):.3f})")
        if files != args.posts:
            print(f"warning: expected {args.posts} files, history has {files}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
