"""The targets of issue 23 and the tables `run.py` prints for them.

- `target` — the issue's seconds for a scenario at a corpus size (the
  10,000-post column up to 10,000 posts, the 50,000-post column above);
- `hugo_pagefind_cold` — the cold-build anchor: Hugo, then Pagefind (extended)
  over Hugo's pages, timed as one process tree, the way a Hugo site with search
  is built;
- `growth_table` — each scenario's median at every size side by side, with
  the growth from one size to the next (shown, never asserted);
- `issue_table` — the issue's table with the cells measured in this run,
  the two serve rows (save → served; `serve_bench.py`) included;
- `payload` / `merged` — the rows as ``run.py --json`` writes them, and read back
  (``--merge``).
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# scenario → (seconds at 10,000 posts, seconds at 50,000 posts)
TARGETS: dict[str, tuple[float, float]] = {
    "serve-body": (0.3, 0.5),
    "serve-title": (0.5, 1.0),
    "body": (1.0, 1.5),
    "title": (1.5, 2.0),
    "new": (1.5, 2.0),
    "noop": (0.3, 0.6),
}
COLD_RATIO = 1.0  # cold build ≤ 1.0 × (Hugo + Pagefind), aim 0.6 at 10,000 posts
MEMORY_MB = {10_000: 250, 50_000: 1024}
ISSUE_ROWS = (
    ("serve-body", "`serve`: save a post's body → the new text served"),
    ("serve-title", "`serve`: save a title → every list page showing it updated"),
    ("body", "`build`: one-post body edit"),
    ("title", "`build`: title edit"),
    ("new", "`build`: new post"),
    ("noop", "`build`: no change"),
)


def target(scenario: str, posts: int) -> float | None:
    pair = TARGETS.get(scenario)
    if pair is None:
        return None
    return pair[0] if posts <= 10_000 else pair[1]


def memory_target(posts: int) -> int | None:
    return MEMORY_MB.get(posts)


def pagefind_command(site: Path) -> list[str] | None:
    """Pagefind (extended, the project's own binary) over a built site, or None when it is not installed."""
    sys.path.insert(0, str(REPO))
    try:
        from generator.search.pagefind import pagefind_binary
    finally:
        sys.path.pop(0)
    binary = pagefind_binary()
    if binary is None:
        return None
    return [str(binary), "--site", str(site), "--output-path", str(site / "pagefind")]


def hugo_pagefind_cold(run: Any, hsite: Path, runs: int) -> Any:
    """``run.Row`` of cold Hugo + Pagefind builds (output and resources/ deleted first); None without Pagefind."""
    base = run.OUT / f"{hsite.name}-public-pagefind"
    if pagefind_command(base) is None:
        return None
    row = run.Row(0, "hugo+pagefind")
    folders = []
    for i in range(runs):  # each into a folder no build used before, as our cold builds (`run.unused_folder`)
        shutil.rmtree(hsite / "resources", ignore_errors=True)
        folders.append(out := run.unused_folder(base, i))
        hugo = [shutil.which("hugo") or "hugo", "--quiet", "--source", str(hsite), "--destination", str(out)]
        pagefind = pagefind_command(out)
        assert pagefind is not None
        # One timed process tree: the wall time of both steps, the peak RSS of the larger.
        script = f"{shlex.join(hugo)} && {shlex.join(pagefind)} >/dev/null"
        row.samples.append(run.timed(["sh", "-c", script], hsite, dict(os.environ)))
    run.drop_folders(folders, keep=base)
    return row


def payload(head: dict[str, Any], rows: list[Any], hugo_version: str | None, hugo_rows: dict[int, Any], anchors: dict[int, Any]) -> dict[str, Any]:
    """What ``run.py --json`` writes: ``head`` (machine, code, runs, corpora), then every row (the serve rows
    too) with its samples, Hugo's medians and the Hugo + Pagefind anchors; `merged` reads it back."""
    return {
        **head,
        "rows": [{"posts": r.posts, "scenario": r.scenario, "median": r.median, "cpu": r.cpu, "peak_mb": r.peak_mb, "samples": [asdict(s) for s in r.samples]} for r in rows],
        "hugo": {"version": hugo_version, "rows": {n: {"median": h.median, "peak_mb": h.peak_mb} for n, h in hugo_rows.items()}},
        "hugo_pagefind": {n: {"median": a.median, "peak_mb": a.peak_mb, "samples": [asdict(s) for s in a.samples]} for n, a in anchors.items()},
    }


def merged(run: Any, paths: list[Path]) -> tuple[list[Any], dict[int, Any]]:
    """``run.Row``s (and Hugo + Pagefind anchors by size) of earlier ``run.py --json`` files."""
    import json

    rows: list[Any] = []
    anchors: dict[int, Any] = {}
    for path in paths:
        data = json.loads(path.read_text())
        for r in data["rows"]:
            rows.append(run.Row(r["posts"], r["scenario"], [run.Sample(**s) for s in r["samples"]]))
        for n, a in data.get("hugo_pagefind", {}).items():
            anchors[int(n)] = run.Row(int(n), "hugo+pagefind", [run.Sample(**s) for s in a["samples"]])
    return rows, anchors


def _value(row: Any, what: str) -> float | None:
    return getattr(row, what) if row is not None and row.ok else None


def growth_table(rows: list[Any], labels: dict[str, str], what: str = "median") -> str:
    """Each scenario's median (``what``: "median" wall or "cpu" seconds) at every size, then the growth between neighbouring sizes."""
    sizes = sorted({r.posts for r in rows})
    by = {(r.posts, r.scenario): r for r in rows}
    scenarios = [s for s in labels if any((n, s) in by for n in sizes)]
    steps = list(itertools.pairwise(sizes))
    head = ["scenario", *(f"{n:,} posts s" for n in sizes), *(f"{b // a}× posts → cost ×" for a, b in steps)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for s in scenarios:
        values = {n: _value(by.get((n, s)), what) for n in sizes}
        cells = ["—" if values[n] is None else f"{values[n]:.2f}" for n in sizes]
        for a, b in steps:
            va, vb = values[a], values[b]
            cells.append(f"{vb / va:.1f}" if va and vb is not None else "—")
        lines.append(f"| {labels[s]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return f"{value:.2f} s ({'met' if value <= limit else 'not met'})"


def issue_table(rows: list[Any], anchors: dict[int, Any]) -> str:
    """The issue's table, each cell the measured median and whether the target is met."""
    by = {(r.posts, r.scenario): r for r in rows}
    lines = ["| scenario | target 10,000 | measured 10,000 | target 50,000 | measured 50,000 |", "|---|---|---|---|---|"]
    for scenario, label in ISSUE_ROWS:
        cells = []
        for n, limit in zip((10_000, 50_000), TARGETS[scenario], strict=True):
            r = by.get((n, scenario))
            cells += [f"≤ {limit} s", _verdict(r.median if r is not None and r.ok else None, limit)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cold = []
    for n in (10_000, 50_000):
        r, a = by.get((n, "cold")), anchors.get(n)
        if r is not None and r.ok and a is not None and a.ok:
            ratio = r.median / a.median
            cold += [f"≤ {COLD_RATIO}×", f"{r.median:.1f} s / {a.median:.1f} s = {ratio:.2f}× ({'met' if ratio <= COLD_RATIO else 'not met'})"]
        else:
            cold += [f"≤ {COLD_RATIO}×", "not measured"]
    lines.append("| cold `build` with search vs Hugo + Pagefind | " + " | ".join(cold) + " |")
    mem = []
    for n in (10_000, 50_000):
        peaks = [r.peak_mb for (p, _), r in by.items() if p == n and r.peak_mb is not None]
        limit = MEMORY_MB[n]
        mem += [f"≤ {limit} MB", f"{max(peaks):.0f} MB ({'met' if max(peaks) <= limit else 'not met'})" if peaks else "not measured"]
    lines.append("| peak memory (largest of the scenarios) | " + " | ".join(mem) + " |")
    return "\n".join(lines)
