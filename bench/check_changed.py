#!/usr/bin/env python3
"""Gate benchmark (issue 20): ``liangshai check --changed`` on a large repository.

    python bench/check_changed.py                  # 10,000 posts, 5 runs
    python bench/check_changed.py --posts 1000 --runs 3 --full

Uses the cached corpus of bench/run.py (bench/corpus.py, committed in a git
repository on ``main`` under bench/out/), changes the body of one post
without committing it, and times ``python -m generator check --changed`` in a
fresh subprocess from the site folder: the default base is the merge base with
main, so exactly the one edited post is parsed, plus the site-wide rules. Reports
the median wall time of ``--runs`` runs (target: under 2 s at 10,000 posts);
``--full`` also times one full ``check`` for comparison. The corpus is put back
afterwards. Not a test: the figure is printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (bench/run.py: the cached corpus)

TARGET_S = 2.0


def timed(site: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "generator", "check", *args], cwd=site, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - t0, proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time `liangshai check --changed` with one post changed.")
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--full", action="store_true", help="also time one full check")
    args = ap.parse_args(argv)
    site, made = run.ensure_corpus(args.posts, args.seed)
    if made is not None:
        print(f"corpus: {args.posts} posts generated in {made:.1f} s at {site}")
    post = run.pick_post(site)
    original = post.read_bytes()
    try:
        post.write_bytes(original + "\n补充一段正文，用于检查改动。\n".encode())
        times = []
        for _ in range(args.runs):
            seconds, proc = timed(site, "--changed")
            if proc.returncode != 0 or "1 篇" not in proc.stdout + proc.stderr:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                print("check --changed did not check exactly one post", file=sys.stderr)
                return 1
            times.append(seconds)
        med = statistics.median(times)
        verdict = "ok" if med < TARGET_S else "OVER TARGET"
        print(f"check --changed, {args.posts} posts, 1 changed: median {med:.2f} s of {args.runs} runs ({', '.join(f'{t:.2f}' for t in times)}); target < {TARGET_S:.0f} s: {verdict}")
        if args.full:
            seconds, proc = timed(site)
            print(f"full check, {args.posts} posts: {seconds:.2f} s (exit {proc.returncode})")
    finally:
        post.write_bytes(original)
        run.restore_corpus(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
