#!/usr/bin/env python3
"""Where an incremental build's time goes: one edit scenario under cProfile (issue 23).

    python bench/profile_edit.py --posts 10000 --scenario body
    python bench/profile_edit.py --posts 50000 --scenario noop --scenario body

For each scenario: the corpus (run.py's, cached) is built once if its output
folder has no state, the edit is made, one ``python -m cProfile -m generator
build … -q`` process runs, the edit is undone and the site rebuilt (untimed).
It prints, per stage of the builder, the cumulative seconds and their share
of the whole process, and the call counts that grow with the corpus (posts
unpickled, family keys, pages planned). Shares and counts hold under load, when
wall seconds on a shared machine do not. The stats stay in
``bench/out/profile-edit-N-SCENARIO.pstats``.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as R

# (label, file suffix, function name): the builder's stages, in build order
STAGES = (
    ("no-op key (read it, hash the state file)", "write/state.py", "load_key"),
    ("discover sources (stat every file)", "load/sources.py", "discover"),
    ("input key", "build/builder.py", "input_key"),
    ("load the state (unpickle)", "write/state.py", "load_state_noted"),
    ("load: reuse parses, parse the changed", "build/builder.py", "load"),
    ("model (slugs, history, SiteModel)", "build/builder.py", "_model"),
    ("plan (family keys, reuse)", "build/builder.py", "_plan"),
    ("  of which family keys", "plan/pages.py", "families"),
    ("render the families to make", "build/builder.py", "_make"),
    ("finish (feeds, sitemap, collisions)", "build/builder.py", "_finish"),
    ("commit (write changed files)", "build/builder.py", "_commit"),
    ("save the state (pickle, write)", "write/state.py", "save_state"),
    ("search index (Pagefind, the shard)", "search/index.py", "index_output"),
)


def _find(stats: pstats.Stats, suffix: str, name: str) -> tuple[int, float]:
    calls, cum = 0, 0.0
    for (filename, _, func), (_, nc, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and filename.endswith(suffix):
            calls, cum = calls + nc, max(cum, ct)
    return calls, cum


def profile_scenario(code: R.Code, posts: int, seed: int, scenario: str) -> str:
    site, _ = R.ensure_corpus(posts, seed)
    out = R.OUT / f"build-{posts}-s{seed}"
    if not any(out.glob(".liangshai-state*")):
        R.log(f"[{posts}] building the output first (cold)")
        cold = code.build(site, out)
        if not cold.ok:
            raise SystemExit(f"profile_edit.py: the cold build failed:\n{cold.error}")
        print(f"cold build of {posts:,} posts (not profiled): {cold.seconds:.1f} s wall, {cold.cpu or 0:.1f} s CPU, peak RSS {cold.rss_mb or 0:.0f} MB\n")
    undo = R._edit(scenario, site, code, seed, "post.html")
    prof = R.OUT / f"profile-edit-{posts}-{scenario}.pstats"
    cmd = code.build_cmd(site, out)
    t0 = time.perf_counter()
    try:
        res = subprocess.run(R.profiled(cmd, prof), cwd=code.root, env=code.env, capture_output=True, text=True, check=False)
    finally:
        if undo:
            undo()
    seconds = time.perf_counter() - t0
    if undo:
        code.build(site, out)
    if res.returncode != 0:
        return f"profiled build failed:\n{res.stderr[-1500:]}\n"
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"### {posts:,} posts, {scenario}: {seconds:.2f} s wall under cProfile, {total:.2f} s profiled\n",
             "| stage | calls | cumulative s | share |", "|---|---:|---:|---:|"]
    for label, suffix, name in STAGES:
        calls, cum = _find(stats, suffix, name)
        if calls:
            lines.append(f"| {label} | {calls:,} | {cum:.2f} | {cum / total:.0%} |")
    lines.append("")
    lines.append("| call counts that grow with the corpus | calls |")
    lines.append("|---|---:|")
    for label, suffix, name in (("`pickle.load` / `loads`", "~", "<built-in method _pickle.load>"), ("post tokens (`post_token`)", "core/digests.py", "post_token"),
                                ("family keys (`Planner.key`)", "plan/pages.py", "key"), ("`Planner.families`", "plan/pages.py", "families")):
        calls, _ = _find(stats, suffix, name)
        lines.append(f"| {label} | {calls:,} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", action="append", choices=("noop", "body", "title", "new"), help="repeatable; default body")
    args = ap.parse_args()
    code = R.Code(None)
    for scenario in args.scenario or ["body"]:
        print(profile_scenario(code, args.posts, args.seed, scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
