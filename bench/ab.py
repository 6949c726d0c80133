"""Interleaved A/B of the edit scenarios: an older commit against the work tree, run by run.

On a machine whose speed drifts (a shared VM: the same build can take 25 %
longer an hour later), two `run.py` runs made one after the other do not
compare. This script alternates: for each run of each scenario it times the
old code and the work tree back to back (the order swapped every other run),
each on an output folder of its own made afresh at the start, and prints the
medians side by side.

    python bench/ab.py --rev 80cbeb6                 # 10,000 posts, 4 runs per scenario
    python bench/ab.py --rev 80cbeb6 --posts 1000 --runs 6
    python bench/ab.py --rev 80cbeb6 --runs 3 --scenarios cold   # first builds, each into an empty folder

The edits, the corpus, the timing (wall seconds and peak RSS of a fresh
`python -m generator build` process) and the restoring between runs are
run.py's own (see bench/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as R


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", required=True, help="the older commit (exported with git archive, as run.py --rev)")
    ap.add_argument("--posts", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=4, help="timed runs per scenario and side (default 4)")
    ap.add_argument("--scenarios", default="body,title,new", help="comma-separated subset of noop,body,title,new,cold")
    args = ap.parse_args()

    site, _ = R.ensure_corpus(args.posts, args.seed)  # cached, or generated as run.py does
    old, new = R.Code(args.rev), R.Code(None)
    # Each side builds into a folder of its own, made afresh: an output folder that many earlier
    # builds went through (run.py's build-N-sS) made the same code ~0.06 s slower a new post
    # than a fresh one (an A/A run, bench/README.md round 19), which favoured whichever side had it.
    outs = {old.label: R.OUT / f"build-{args.posts}-s{args.seed}-ab-old", new.label: R.OUT / f"build-{args.posts}-s{args.seed}-ab-new"}
    wanted = [s for s in args.scenarios.split(",") if s]
    for code in (old, new) if set(wanted) - {"cold"} else ():  # (a cold run builds into folders of its own)
        shutil.rmtree(outs[code.label], ignore_errors=True)
        for _ in range(2):  # the second build is a no-op: both outputs up to date
            sample = code.build(site, outs[code.label])
            if not sample.ok:
                raise SystemExit(f"ab.py: the build with {code.label} failed:\n{sample.error}")
    edits = {"noop": lambda s: lambda: None, "body": R.edit_body, "title": R.edit_title, "new": lambda s: R.edit_new(s, args.seed)}
    results: dict[tuple[str, str], list[R.Sample]] = {}
    colds: list[Path] = []
    for name in wanted:
        for i in range(args.runs):
            for code in (old, new) if i % 2 == 0 else (new, old):
                if name == "cold":  # a first build into a folder that no build used before, all deleted at the end (`run.unused_folder`)
                    colds.append(cold := R.unused_folder(outs[code.label].with_name(outs[code.label].name + "-cold"), i))
                    sample = again = code.build(site, cold)
                else:
                    undo = edits[name](site)
                    try:
                        sample = code.build(site, outs[code.label])
                    finally:
                        undo()
                    again = code.build(site, outs[code.label])  # untimed: back to the unedited output
                if not (sample.ok and again.ok):
                    raise SystemExit(f"ab.py: a build with {code.label} failed:\n{sample.error or again.error}")
                results.setdefault((name, code.label), []).append(sample)
                print(f"[{args.posts}] {name} {code.label}: {sample.seconds:.2f} s, {sample.rss_mb or 0:.0f} MB", flush=True)
    R.drop_folders(colds)
    R.empty_trash()  # (after the last timed build)
    print("\n| posts | scenario | code | median s | runs s | peak RSS MB |\n|---:|---|---|---:|---|---:|")
    for name in wanted:
        for code in (old, new):
            xs = results[(name, code.label)]
            print(
                f"| {args.posts:,} | {name} | {code.label} | {statistics.median(x.seconds for x in xs):.2f} | "
                f"{', '.join(f'{x.seconds:.2f}' for x in xs)} | {max((x.rss_mb or 0) for x in xs):.0f} |"
            )


if __name__ == "__main__":
    main()
