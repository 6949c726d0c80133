#!/usr/bin/env python3
"""Lower bounds of issue 5's targets that no liangshai code can go below.

    python bench/floor.py                  # 10,000 posts, 5 runs of each short step
    python bench/floor.py --posts 1000 --runs 3

Every build liangshai makes keeps the Pagefind index in step with the pages
(an edited post is findable by its new words when the build returns), and it
runs as a fresh ``python -m generator build`` process. So each scenario costs
at least what these outside steps cost on the same machine, measured here on
the same corpus as bench/run.py:

- the interpreter: ``python -c pass``, and with the imports an edit needs
  (Jinja2, Python-Markdown, nh3, PyYAML, python-frontmatter);
- Pagefind's extended binary (Chinese segmentation) indexing one page: it
  loads its dictionaries first, whatever the page count;
- Pagefind indexing one search shard (a unit's posts of one year: a Pagefind
  index cannot take a page in or out, so an edited page's shard is indexed
  again), the smallest, median and largest shard of the built site;
- Pagefind indexing every post page: in one process, and shard by shard on
  two service processes as the builder does it (`indexer.ShardIndexer.run`, the
  pages linked beforehand), beside Hugo building the same posts (when
  ``hugo`` is on the PATH), for the cold-build target.

Each Pagefind run is the plain CLI (``--site`` on a scratch site of hard
links to the pages, ``--keep-index-url``), the same work the builder hands to
its services. Times are wall seconds, medians of ``--runs`` (the whole-site
Pagefind and Hugo runs: medians of ``--big-runs``). The built site is
``bench/out/floor-N-sS/`` (built once by liangshai, cold, and timed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (bench/run.py: corpus, timing, Hugo site)

sys.path.insert(0, str(run.REPO))
from generator.search.indexer import JOBS, ShardIndexer  # noqa: E402
from generator.search.pagefind import pagefind_binary  # noqa: E402
from generator.search.shards import MEMBERS  # noqa: E402

EDIT_IMPORTS = "import jinja2, markdown, nh3, yaml, frontmatter, generator.build.builder"


def wall(cmd: list[str], runs: int, cwd: Path = run.REPO) -> list[float]:
    """Wall seconds of ``runs`` fresh runs of ``cmd`` (it must succeed)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env={**os.environ, "PYTHONPATH": str(run.REPO)})
        times.append(time.perf_counter() - t0)
        if res.returncode != 0:
            raise SystemExit(f"floor.py: {' '.join(cmd[:3])} … failed:\n{res.stderr.decode(errors='replace')[-800:]}")
    return times


def link_site(out: Path, pages: list[str], site: Path) -> None:
    """A scratch site of hard links to ``pages`` (paths under ``out``), as the builder makes one per shard."""
    shutil.rmtree(site, ignore_errors=True)
    for page in pages:
        target = site / page
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(out / page, target)


def pagefind(binary: Path, site: Path, runs: int) -> list[float]:
    index = site.with_name(site.name + "-index")
    times = []
    for _ in range(runs):
        shutil.rmtree(index, ignore_errors=True)
        times += wall([str(binary), "--site", str(site), "--output-path", str(index), "--keep-index-url"], 1)
    shutil.rmtree(index, ignore_errors=True)
    return times


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="runs of each short step (default 5)")
    ap.add_argument("--big-runs", type=int, default=1, help="runs of the whole-site Pagefind and of Hugo (default 1)")
    args = ap.parse_args(argv)
    binary = pagefind_binary()
    if binary is None or not binary.exists():
        raise SystemExit("floor.py: Pagefind's extended binary is not installed (pip install 'pagefind[extended]')")

    site, _ = run.ensure_corpus(args.posts, args.seed)
    out = run.OUT / f"floor-{args.posts}-s{args.seed}"
    code = run.Code(None)
    rows: list[tuple[str, str]] = []
    if not (out / MEMBERS).exists():
        shutil.rmtree(out, ignore_errors=True)
        sample = code.build(site, out)
        if not sample.ok:
            raise SystemExit(f"floor.py: the build failed:\n{sample.error}")
        rows.append((f"liangshai cold build of {args.posts:,} posts (for scale)", f"{sample.seconds:.2f} s, {sample.rss_mb or 0:.0f} MB"))

    py = sys.executable
    rows.append(("interpreter: python -c pass", fmt(wall([py, "-c", "pass"], args.runs))))
    rows.append((f"interpreter + an edit's imports ({EDIT_IMPORTS})", fmt(wall([py, "-c", EDIT_IMPORTS], args.runs))))

    members = json.loads((out / MEMBERS).read_text(encoding="utf-8"))["pages"]
    shards: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page, (year, _filters) in members.items():
        shards[(page.split("/", 1)[0], str(year))].append(page)
    sizes = sorted(shards, key=lambda s: (len(shards[s]), s))
    with tempfile.TemporaryDirectory(prefix="floor-", dir=run.OUT) as tmp:
        scratch = Path(tmp)
        one = scratch / "one"
        link_site(out, [sorted(members)[0]], one)
        rows.append(("Pagefind (extended), one post page", fmt(pagefind(binary, one, args.runs))))
        for label, shard in (("smallest", sizes[0]), ("median", sizes[len(sizes) // 2]), ("largest", sizes[-1])):
            pages = shards[shard]
            link_site(out, pages, scratch / f"shard-{label}")
            rows.append((f"Pagefind, the {label} shard ({shard[0]} {shard[1]}: {len(pages)} pages; {len(shards)} shards)", fmt(pagefind(binary, scratch / f"shard-{label}", args.runs))))
        every = scratch / "all"
        link_site(out, sorted(members), every)
        rows.append((f"Pagefind, all {len(members):,} post pages in one process", fmt(pagefind(binary, every, args.big_runs))))
        shutil.rmtree(every)
        times = []
        for n in range(args.big_runs):
            work = scratch / f"services-{n}"
            work.mkdir()
            jobs = [(shard, shards[shard]) for shard in sorted(shards)]
            indexer = ShardIndexer()
            for shard, pages in jobs:
                indexer.link_site(out, shard, pages, work)
            t0 = time.perf_counter()
            outcomes = indexer.run(binary, out, jobs, work, linked=True)
            times.append(time.perf_counter() - t0)
            if any(o is not None and o.is_error for o in outcomes.values()):
                raise SystemExit(f"floor.py: Pagefind failed: {[str(o) for o in outcomes.values() if o is not None]}")
            shutil.rmtree(work)
        rows.append((f"Pagefind, the {len(shards)} shards on {JOBS} services (as a cold build runs it)", fmt(times)))

    if shutil.which("hugo"):
        hsite = run.ensure_hugo_site(site, args.posts, args.seed)
        version = run.hugo_version() or "hugo"
        hugo = [s.seconds for s in run.hugo_cold(hsite, args.big_runs).samples]
        rows.append((f"Hugo cold build of the same posts ({version})", fmt(hugo)))
    else:
        rows.append(("Hugo", "not on the PATH: not measured"))

    width = max(len(k) for k, _ in rows)
    print(f"# floors, {args.posts:,} posts, corpus seed {args.seed}, {os.cpu_count()} cores, {run.Code(None).label}")
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
