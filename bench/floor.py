#!/usr/bin/env python3
"""Lower bounds of issue 5's targets that no liangshai code can go below.

    python bench/floor.py                  # 10,000 posts, 5 runs of each short step
    python bench/floor.py --posts 1000 --runs 3 --json floor.json
    python bench/floor.py --posts 50000 --edit-only --runs 3   # the edit floors (and the no-op ones)

Every build liangshai makes keeps the Pagefind index in step with the pages
(an edited post is findable by its new words when the build returns), and it
runs as a fresh ``python -m generator build`` process. So each scenario costs
at least what these outside steps cost on the same machine, measured here on
the same corpus as bench/run.py:

- the interpreter: ``python -c pass``, and with the imports an edit needs
  (Jinja2, Python-Markdown, nh3, PyYAML, python-frontmatter);
- the no-op floor: a fresh interpreter that stats every file under
  ``content/`` (any no-op check must, to see an edit) and then every output
  the last build recorded (liangshai's check does, to see a page deleted by
  hand), nothing else;
- Pagefind's extended binary (Chinese segmentation) indexing one page: it
  loads its dictionaries first, whatever the page count;
- Pagefind indexing one search shard (a unit's posts of one year: a Pagefind
  index cannot take a page in or out, so an edited page's shard is indexed
  again), the smallest, median and largest shard of the built site;
- Pagefind indexing every post page: in one process, and shard by shard on
  two service processes as the builder does it (`indexer.ShardIndexer.run`, the
  pages linked beforehand), beside Hugo building the same posts (when
  ``hugo`` is on the PATH), for the cold-build target.
- the Markdown floor (issue 23): every post body converted in one process by
  the project's `MarkupRenderer` (Python-Markdown + nh3) and by its
  Python-Markdown alone, CPU seconds; Pagefind's CPU seconds in both
  whole-site runs; Hugo + Pagefind over Hugo's pages; and the cold-build
  floors ``max(Pagefind wall, (Markdown CPU + Pagefind CPU) / cores)`` with
  their ratio to Hugo + Pagefind (above 1.0: issue 23's ≤ 1.0× cold-build
  target is out of reach for such a build on this machine).

- the edit floors (issue 23's build-edit targets; ``--edit-only`` runs only
  these and the no-op floors): for every search shard, a fresh
  ``pagefind --service`` loads its dictionaries, reads the shard's pages as
  published (``AddDir``), is given the middle page with a sentence more
  (``AddFile``) and writes the new index (``GetFiles``), as an edit's re-index
  does; the median shard ``--runs`` times. An edit in a shard cannot finish
  before max(warm-up, stat every source) + read + write; printed: the share of
  post pages whose floor is above 1.0, 1.5 and 2.0 s.

Each Pagefind run but the edit floors' is the plain CLI (``--site`` on a scratch site of hard
links to the pages, ``--keep-index-url``), the same work the builder hands to
its services. Times are wall seconds, medians of ``--runs`` (the whole-site
Pagefind and Hugo runs: medians of ``--big-runs``). The built site is
``bench/out/floor-N-sS/`` (built once by liangshai, cold, and timed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (bench/run.py: corpus, timing, Hugo site)
import targets  # noqa: E402  (bench/targets.py: the Hugo + Pagefind anchor)

sys.path.insert(0, str(run.REPO))
from generator.core.model import Post  # noqa: E402
from generator.search.indexer import JOBS, ShardIndexer  # noqa: E402
from generator.search.pagefind import WARM_PAGE, Service, pagefind_binary  # noqa: E402
from generator.search.shards import MEMBERS  # noqa: E402
from generator.write.state import OUTPUTS_FILE  # noqa: E402  (the record of the outputs the no-op check confirms)

EDIT_IMPORTS = "import jinja2, markdown, nh3, yaml, frontmatter, generator.build.builder"
# The no-op floor's process (argv: content folder, output folder, its outputs record or "-"): stats what a no-op
# check must, prints "<sources> <outputs>". Plain os calls: no import of the generator.
NOOP_SCAN = r"""
import os, sys
sources = outputs = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        os.lstat(f"{folder}/{name}")
        sources += 1
if sys.argv[3] != "-":
    prefix = sys.argv[2] + "/"
    with open(prefix + sys.argv[3], encoding="utf-8") as f:
        for line in f:
            os.access(prefix + line.rstrip("\n"), os.F_OK)  # the cheapest "is it there" (write.output.missing_files)
            outputs += 1
print(sources, outputs)
"""
CORES = os.cpu_count() or 1
EDIT_LIMITS = (1.0, 1.5, 2.0)  # issue 23's build-edit targets, seconds (1.0: 10,000 body; 1.5: 10,000 title and new, 50,000 body; 2.0: 50,000 title and new)
FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the renderer never reads a post's date
Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class MarkdownFloor:
    """CPU seconds of converting every post body in one process."""

    posts: int
    renderer_cpu: float  # MarkupRenderer.render: Python-Markdown, the diagnosis pass, nh3, the plain text
    markdown_cpu: float  # the renderer's Python-Markdown instance alone (reset + convert)


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


def noop_scan(content: Path, out: Path, outputs: bool) -> tuple[float, int, int]:
    """One fresh `NOOP_SCAN` process: (wall seconds, content files stat'ed, outputs checked)."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", NOOP_SCAN, str(content), str(out), OUTPUTS_FILE if outputs else "-"], capture_output=True, check=True, text=True)
    seconds = time.perf_counter() - t0
    sources, checked = (int(x) for x in res.stdout.split())
    return seconds, sources, checked


def noop_rows(site: Path, out: Path, runs: int, rows: Rows, numbers: dict[str, Any]) -> None:
    """The no-op floors: the content's stats alone, and with the recorded outputs' (`NOOP_SCAN`)."""
    for outputs, key, label in ((False, "noop_sources", "a fresh interpreter stats every content file"), (True, "noop_sources_outputs", "… and checks every recorded output")):
        scans = [noop_scan(site / "content", out, outputs) for _ in range(runs)]
        times = [t for t, _, _ in scans]
        numbers[key] = {"wall_s": statistics.median(times), "sources": scans[0][1], "outputs": scans[0][2]}
        counted = f"{scans[0][1]:,} files" + (f" + {scans[0][2]:,} outputs" if outputs else "")
        rows.append((f"no-op floor: {label} ({counted})", fmt(times)))


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


def children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children so far (Pagefind runs, services included)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def read_posts(site: Path) -> list[Post]:
    """Every post of the corpus as a `Post` carrying only what `MarkupRenderer.render` reads: its source path and
    body, the front-matter block split off by string (no YAML: parsing front matter is not part of this floor)."""
    posts = []
    for md in sorted((site / "content").glob("*/*/*.md")):
        rel = md.relative_to(site).as_posix()
        _, head, body = md.read_text(encoding="utf-8").split("---\n", 2)
        posts.append(
            Post(
                unit=rel.split("/")[1], slug=md.stem, source=rel, title="", date=FIXED_DATE, has_time=False, section="",
                meetings=(), branch=None, category=None, tags=(), attachments=(), draft=False, summary="",
                body=body, body_line=head.count("\n") + 3, bundle=False,
            )
        )
    return posts


def markdown_floor(posts: list[Post]) -> MarkdownFloor:
    """CPU seconds, in this one process, of the project's Markdown + nh3 renderer over every post, and of its
    Python-Markdown instance alone (the same configured object, so the same extensions and settings)."""
    from generator.parse.markup import MarkupRenderer

    markup = MarkupRenderer()
    markup.render(posts[0], {})  # warm-up: extensions load lazily, nh3's first call sets up its tables
    t0 = time.process_time()
    for post in posts:
        markup.render(post, {})  # no file facts: a link to an attachment is only a warning here
    full = time.process_time() - t0
    md = markup._md  # the renderer's own Python-Markdown, so both timings share one configuration
    t0 = time.process_time()
    for post in posts:
        md.reset()
        md.convert(post.body)
    return MarkdownFloor(len(posts), full, time.process_time() - t0)


def cold_floor(services_wall: float, markdown_cpu: float, pagefind_cpu: float, cores: int = CORES) -> float:
    """The least wall time of a build that converts every post and then indexes every post page: no less than
    Pagefind's own wall time on the services, and no less than all the CPU work spread perfectly over ``cores``."""
    return max(services_wall, (markdown_cpu + pagefind_cpu) / cores)


def build_site(code: run.Code, site: Path, out: Path, posts: int, rows: Rows) -> None:
    """The liangshai site the Pagefind steps index (built once, cold, and timed)."""
    if (out / MEMBERS).exists():
        return
    shutil.rmtree(out, ignore_errors=True)
    sample = code.build(site, out)
    if not sample.ok:
        raise SystemExit(f"floor.py: the build failed:\n{sample.error}")
    rows.append((f"liangshai cold build of {posts:,} posts (for scale)", f"{sample.seconds:.2f} s, {sample.rss_mb or 0:.0f} MB"))


def services_run(binary: Path, out: Path, shards: dict[tuple[str, str], list[str]], work: Path) -> tuple[float, float]:
    """One cold-build style index of every shard on the services: (wall s, Pagefind CPU s)."""
    work.mkdir()
    jobs = [(shard, shards[shard]) for shard in sorted(shards)]
    indexer = ShardIndexer()
    for shard, pages in jobs:
        indexer.link_site(out, shard, pages, work)
    cpu0, t0 = children_cpu(), time.perf_counter()
    outcomes = indexer.run(binary, out, jobs, work, linked=True)  # the services are closed and waited for on return
    wall_s, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if any(o is not None and o.is_error for o in outcomes.values()):
        raise SystemExit(f"floor.py: Pagefind failed: {[str(o) for o in outcomes.values() if o is not None]}")
    shutil.rmtree(work)
    return wall_s, cpu


def shard_pages(out: Path) -> dict[tuple[str, str], list[str]]:
    """The built site's search shards (unit, year) and their post pages, from the membership file."""
    members = json.loads((out / MEMBERS).read_text(encoding="utf-8"))["pages"]
    shards: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page, (year, _filters) in members.items():
        shards[(page.split("/", 1)[0], str(year))].append(page)
    return shards


def pagefind_rows(binary: Path, out: Path, args: argparse.Namespace, rows: Rows, numbers: dict[str, Any]) -> None:
    """Pagefind over one page, three shards, every page in one process, and every shard on the services."""
    shards = shard_pages(out)
    members = [page for pages in shards.values() for page in pages]
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
        cpu0 = children_cpu()
        times = pagefind(binary, every, args.big_runs)
        numbers["pagefind_one_process"] = {"wall_s": statistics.median(times), "cpu_s": (children_cpu() - cpu0) / len(times)}
        rows.append((f"Pagefind, all {len(members):,} post pages in one process", f"{fmt(times)}; CPU {numbers['pagefind_one_process']['cpu_s']:.2f} s a run"))
        shutil.rmtree(every)
        runs = [services_run(binary, out, shards, scratch / f"services-{n}") for n in range(args.big_runs)]
        wall_s, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        numbers["pagefind_services"] = {"wall_s": wall_s, "cpu_s": cpu, "shards": len(shards), "services": JOBS, "pages": len(members)}
        rows.append((f"Pagefind, the {len(shards)} shards on {JOBS} services (as a cold build runs it)", f"{fmt([r[0] for r in runs])}; CPU {cpu:.2f} s"))


@dataclass(frozen=True)
class ShardEdit:
    """One fresh Pagefind service doing what an edit in ``shard`` asks of it, wall seconds of each step."""

    shard: tuple[str, str]
    pages: int
    warm: float  # spawn + dictionaries loaded (a one-page index, as `pagefind.Warming` does)
    read: float  # AddDir over the shard's pages as published
    write: float  # AddFile of the edited page, then GetFiles (the new index in memory)

    @property
    def pagefind(self) -> float:
        """Pagefind's part once it knows the shard: no edit in this shard can finish sooner."""
        return self.read + self.write


def shard_edit(binary: Path, out: Path, shard: tuple[str, str], pages: list[str], work: Path) -> ShardEdit:
    """`ShardEdit` of ``shard``: its pages linked into ``work``, the middle one given again with a sentence more."""
    site = work / "site"
    link_site(out, pages, site)
    edited = sorted(pages)[len(pages) // 2]
    text = (out / edited).read_text(encoding="utf-8").replace("</article>", "<p>会后，支部将本次会议精神传达到每一名党员。</p></article>", 1)
    service = Service(binary, work, "edit")
    try:
        t0 = time.perf_counter()
        index = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
        service.request({"type": "AddFile", "index_id": index, "url": "/warm/", "file_contents": WARM_PAGE})
        service.post({"type": "DeleteIndex", "index_id": index})
        t1 = time.perf_counter()
        index = service.request({"type": "NewIndex", "config": {"keep_index_url": True}})["index_id"]
        service.request({"type": "AddDir", "index_id": index, "path": str(site.absolute())})
        t2 = time.perf_counter()
        service.request({"type": "AddFile", "index_id": index, "url": "/" + edited.removesuffix("index.html"), "file_contents": text})
        service.request({"type": "GetFiles", "index_id": index})
        t3 = time.perf_counter()
    finally:
        service.close()
        shutil.rmtree(site, ignore_errors=True)
    return ShardEdit(shard, len(pages), t1 - t0, t2 - t1, t3 - t2)


def edit_floor_numbers(edits: list[ShardEdit], again: list[ShardEdit], know: float) -> dict[str, Any]:
    """The edit floors from every shard's `ShardEdit` (``again``: the median shard's repeats), ``know`` seconds before
    Pagefind can start on the shard: per target, the shards and the share of post pages whose floor is above it."""
    posts = sum(e.pages for e in edits)
    numbers: dict[str, Any] = {
        "shards": [asdict(e) for e in sorted(edits, key=lambda e: (e.pagefind, e.shard))],
        "median_shard": {"shard": list(again[0].shard), "pages": again[0].pages, "read_s": statistics.median(e.read for e in again), "write_s": statistics.median(e.write for e in again)},
        "warm_s": statistics.median(e.warm for e in edits),
        "known_s": know,
        "over": {},
    }
    for limit in EDIT_LIMITS:
        over = [e for e in edits if know + e.pagefind > limit]
        numbers["over"][str(limit)] = {"shards": len(over), "posts": sum(e.pages for e in over), "share": sum(e.pages for e in over) / posts if posts else 0.0}
    return numbers


def edit_floor_rows(binary: Path, out: Path, runs: int, rows: Rows, numbers: dict[str, Any], scratch: Path | None = None) -> None:
    """The search part of an edit's floor (issue 23's edit targets): every shard once, the median one ``runs`` times.

    A build that keeps the search index current re-indexes the edited page's shard (a Pagefind index cannot take a
    page in or out), so an edit in a shard costs at least Pagefind reading the shard and writing its index, after
    whichever is later of Pagefind's warm-up and the stat of every source (before which no build knows the shard).
    """
    shards = shard_pages(out)
    scratch = scratch or run.OUT  # beside the built site (the same file system: its pages are hard-linked)
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="floor-edit-", dir=scratch) as tmp:
        edits = [shard_edit(binary, out, shard, pages, Path(tmp)) for shard, pages in sorted(shards.items())]
        middle = sorted(edits, key=lambda e: (e.pages, e.shard))[len(edits) // 2]
        again = [middle] + [shard_edit(binary, out, middle.shard, shards[middle.shard], Path(tmp)) for _ in range(max(runs - 1, 0))]
    know = max(statistics.median(e.warm for e in edits), numbers.get("noop_sources", {}).get("wall_s", 0.0))
    found = numbers["edit_floor"] = edit_floor_numbers(edits, again, know)
    rows.append(("edit floor: a fresh Pagefind service's warm-up (spawn + dictionaries), median over the shards", f"{found['warm_s']:.2f} s"))
    rows.append(
        (
            f"edit floor: the median shard by pages ({middle.shard[0]} {middle.shard[1]}, {middle.pages} pages), read + add the page + write",
            f"{fmt([e.read for e in again])} + {fmt([e.write for e in again])}",
        )
    )
    ranked = sorted(edits, key=lambda e: (e.pagefind, e.shard))
    for label, e in (("fastest", ranked[0]), ("slowest", ranked[-1])):
        rows.append((f"edit floor: the {label} shard ({e.shard[0]} {e.shard[1]}, {e.pages} pages), read + add + write", f"{e.read:.2f} + {e.write:.2f} = {e.pagefind:.2f} s"))
    total = sum(e.pages for e in edits)
    for limit, over in found["over"].items():
        rows.append(
            (
                f"edit floor above {limit} s: max(warm-up, stat every source) {know:.2f} s + the shard's Pagefind",
                f"{over['shards']} of {len(edits)} shards, {over['share']:.0%} of the {total:,} post pages",
            )
        )


def markdown_rows(site: Path, rows: Rows, numbers: dict[str, Any]) -> MarkdownFloor:
    m = markdown_floor(read_posts(site))
    per = 1000 / m.posts
    numbers["markdown"] = {**asdict(m), "renderer_ms_per_post": m.renderer_cpu * per, "markdown_ms_per_post": m.markdown_cpu * per}
    rows.append((f"Markdown floor: MarkupRenderer (Python-Markdown + nh3) over {m.posts:,} post bodies, one process", f"CPU {m.renderer_cpu:.2f} s, {m.renderer_cpu * per:.2f} ms a post"))
    rows.append(("  of which Python-Markdown alone (the renderer's instance)", f"CPU {m.markdown_cpu:.2f} s, {m.markdown_cpu * per:.2f} ms a post ({m.markdown_cpu / m.renderer_cpu:.0%})"))
    rows.append(("  the rest: diagnosis, nh3, plain text", f"CPU {m.renderer_cpu - m.markdown_cpu:.2f} s, {(m.renderer_cpu - m.markdown_cpu) * per:.2f} ms a post"))
    return m


def hugo_rows(site: Path, args: argparse.Namespace, rows: Rows, numbers: dict[str, Any]) -> float | None:
    """Hugo alone and Hugo + Pagefind over Hugo's pages (cold); the latter's median wall s, None without hugo."""
    if not shutil.which("hugo"):
        rows.append(("Hugo", "not on the PATH: not measured (no Hugo + Pagefind ratio)"))
        return None
    hsite = run.ensure_hugo_site(site, args.posts, args.seed)
    version = run.hugo_version() or "hugo"
    hugo = [s.seconds for s in run.hugo_cold(hsite, args.big_runs).samples]
    numbers["hugo"] = {"version": version, "wall_s": statistics.median(hugo)}
    rows.append((f"Hugo cold build of the same posts ({version})", fmt(hugo)))
    anchor = targets.hugo_pagefind_cold(run, hsite, args.big_runs)
    if anchor is None or not anchor.ok:
        rows.append(("Hugo + Pagefind over Hugo's pages", "failed or Pagefind missing: not measured"))
        return None
    cpu = statistics.median(s.cpu for s in anchor.samples) if all(s.cpu is not None for s in anchor.samples) else None
    numbers["hugo_pagefind"] = {"wall_s": anchor.median, "cpu_s": cpu}
    rows.append(("Hugo + Pagefind (extended) over Hugo's pages, cold", f"{fmt([s.seconds for s in anchor.samples])}" + (f"; CPU {cpu:.2f} s" if cpu is not None else "")))
    return anchor.median


def floor_rows(m: MarkdownFloor, anchor: float | None, rows: Rows, numbers: dict[str, Any]) -> None:
    """The cold-build floors and their ratios to Hugo + Pagefind: liangshai's layout (MarkupRenderer, Pagefind
    shard by shard on the services), and any Python-Markdown build (Markdown alone, Pagefind the cheaper way)."""
    services, single = numbers["pagefind_services"], numbers["pagefind_one_process"]
    cheaper = {"wall_s": min(services["wall_s"], single["wall_s"]), "cpu_s": min(services["cpu_s"], single["cpu_s"])}
    floors = (
        ("cold_floor", "MarkupRenderer + Pagefind on the services (liangshai's layout)", m.renderer_cpu, services),
        ("cold_floor_one_process", "MarkupRenderer + Pagefind in one process", m.renderer_cpu, single),
        ("cold_floor_any", "Python-Markdown alone + Pagefind the cheaper way (any Python-Markdown build)", m.markdown_cpu, cheaper),
    )
    for key, label, cpu, pf in floors:
        floor = cold_floor(pf["wall_s"], cpu, pf["cpu_s"])
        ratio = floor / anchor if anchor else None
        numbers[key] = {"seconds": floor, "markdown_cpu_s": cpu, "pagefind_wall_s": pf["wall_s"], "pagefind_cpu_s": pf["cpu_s"], "ratio_to_hugo_pagefind": ratio}
        how = f"max({pf['wall_s']:.2f}, ({cpu:.2f} + {pf['cpu_s']:.2f}) / {CORES})"
        verdict = f"; / Hugo + Pagefind {anchor:.2f} s = {ratio:.2f}× ({'above' if ratio > 1 else 'within'} the ≤ 1.0× target)" if ratio else "; no Hugo + Pagefind to compare with"
        rows.append((f"cold-build floor, {label}, {CORES} cores", f"{how} = {floor:.2f} s{verdict}"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="runs of each short step (default 5)")
    ap.add_argument("--big-runs", type=int, default=1, help="runs of the whole-site Pagefind and of Hugo (default 1)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers (and the printed rows) to FILE")
    ap.add_argument("--noop-only", action="store_true", help="only the interpreter and the no-op floors (no Pagefind, Markdown or Hugo runs)")
    ap.add_argument("--edit-only", action="store_true", help="only the interpreter, the no-op and the edit floors (Pagefind on every shard as an edit runs it)")
    args = ap.parse_args(argv)
    binary = pagefind_binary()
    if binary is None or not binary.exists():
        raise SystemExit("floor.py: Pagefind's extended binary is not installed (pip install 'pagefind[extended]')")

    site, _ = run.ensure_corpus(args.posts, args.seed)
    out = run.OUT / f"floor-{args.posts}-s{args.seed}"
    code = run.Code(None)
    rows: Rows = []
    numbers: dict[str, Any] = {"posts": args.posts, "seed": args.seed, "cores": CORES, "code": code.label}
    build_site(code, site, out, args.posts, rows)
    py = sys.executable
    rows.append(("interpreter: python -c pass", fmt(wall([py, "-c", "pass"], args.runs))))
    rows.append((f"interpreter + an edit's imports ({EDIT_IMPORTS})", fmt(wall([py, "-c", EDIT_IMPORTS], args.runs))))
    noop_rows(site, out, args.runs, rows, numbers)
    if args.edit_only or not args.noop_only:
        edit_floor_rows(binary, out, args.runs, rows, numbers)
    if not args.noop_only and not args.edit_only:
        pagefind_rows(binary, out, args, rows, numbers)
        m = markdown_rows(site, rows, numbers)
        anchor = hugo_rows(site, args, rows, numbers)
        floor_rows(m, anchor, rows, numbers)

    width = max(len(k) for k, _ in rows)
    print(f"# floors, {args.posts:,} posts, corpus seed {args.seed}, {os.cpu_count()} cores, {code.label}")
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    if args.json:
        args.json.write_text(json.dumps({**numbers, "rows": rows}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
