#!/usr/bin/env python3
"""Build benchmark: time the real CLI on generated corpora (issue 5).

    python bench/run.py                         # 1,000 and 10,000 posts, 3 runs each
    python bench/run.py --posts 50000 --runs 1  # the big one, on request
    python bench/run.py --posts 1000 --hugo     # also a cold Hugo build of the same posts
    python bench/run.py --posts 10000 --profile # one cold build under cProfile, top 25
    python bench/run.py --rev HEAD              # measure a commit, not the work tree

For each size the corpus (bench/corpus.py) is generated once and cached under
bench/out/. Every measurement runs ``python -m generator build SITE -o OUT
--as-of 2026-11-27 -q`` in a fresh subprocess under ``/usr/bin/time`` (peak
RSS), and reports the median wall time of ``--runs`` runs. Each edit scenario
changes one thing, times one build, puts the corpus back and rebuilds (untimed),
so every run starts from the same up-to-date output and the runs are
independent and repeatable. The serve scenarios time a ``python -m generator
serve`` process instead (bench/serve_bench.py). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
AS_OF = "2026-11-27"
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402  (bench/corpus.py)
import serve_bench  # noqa: E402  (bench/serve_bench.py: the serve-body and serve-title scenarios)
import targets  # noqa: E402  (bench/targets.py: issue 23's targets and tables)

SCENARIOS = ("cold", "noop", "body", "title", "new", "template", *serve_bench.LABELS)
LABELS = {
    "cold": "cold build (empty output folder)",
    "noop": "no-op rebuild",
    "body": "one-post body edit",
    "title": "one-post title edit",
    "new": "one new post",
    "template": "one template edit",
    **serve_bench.LABELS,
}
# Targets: issue 23's (bench/targets.py); cold is compared with Hugo + Pagefind when --hugo measured it.


# ---------------------------------------------------------------------------
# running things


def sh(*cmd: str, cwd: Path | None = None) -> str:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return res.stdout.strip() if res.returncode == 0 else ""


@dataclass
class Sample:
    seconds: float
    rss_mb: float | None
    ok: bool
    error: str = ""
    cpu: float | None = None  # user + system CPU seconds of the process tree (robust to a loaded machine, unlike wall)


@dataclass
class Row:
    posts: int
    scenario: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.ok else None

    @property
    def cpu(self) -> float | None:
        """Median user + system CPU seconds (None without /usr/bin/time)."""
        vals = [s.cpu for s in self.samples if s.cpu is not None]
        return statistics.median(vals) if self.ok and vals else None

    @property
    def peak_mb(self) -> float | None:
        vals = [s.rss_mb for s in self.samples if s.rss_mb is not None]
        return max(vals) if vals else None


TIME_BIN = shutil.which("time", path="/usr/bin:/bin")


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run ``cmd`` once in a fresh process: wall seconds and peak RSS (MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    try:
        if TIME_BIN:
            full = [TIME_BIN, "-f", "%M %U %S", "-o", tpath, *cmd]
        else:  # a fresh Python parent per run, so RUSAGE_CHILDREN is this build's alone
            wrapper = (
                "import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]).returncode; "
                "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(r)"
            )
            full = [sys.executable, "-c", wrapper, tpath, *cmd]
        t0 = time.perf_counter()
        res = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        rss = cpu = None
        try:
            lines = [ln.split() for ln in Path(tpath).read_text().split("\n") if ln.strip() and ln.split()[0].isdigit()]
            if lines:
                rss = int(lines[-1][0]) / 1024
                cpu = sum(float(x) for x in lines[-1][1:3]) if len(lines[-1]) >= 3 else None
        except (OSError, ValueError):
            pass
        err = "" if res.returncode == 0 else (res.stderr.strip() or res.stdout.strip())[-1500:]
        return Sample(seconds, rss, res.returncode == 0, err, cpu)
    finally:
        os.unlink(tpath)


class Code:
    """The liangshai code being measured: the work tree, or one commit exported."""

    def __init__(self, rev: str | None, no_history: bool = False):
        if rev is None:
            self.root = REPO
            head = sh("git", "rev-parse", "HEAD", cwd=REPO)
            dirty = sh("git", "status", "--porcelain", "--", "generator", "themes", cwd=REPO)
            self.label = f"work tree at {head[:12]}" + (" (with uncommitted changes in generator/ or themes/)" if dirty else "")
            self.commit = head
        else:
            sha = sh("git", "rev-parse", "--verify", f"{rev}^{{commit}}", cwd=REPO)
            if not sha:
                raise SystemExit(f"run.py: unknown revision {rev!r}")
            self.root = OUT / f"src-{sha[:12]}"
            if not (self.root / "generator" / "__main__.py").exists():
                self.root.mkdir(parents=True, exist_ok=True)
                archive = subprocess.run(["git", "archive", sha, "generator", "themes"], cwd=REPO, capture_output=True, check=True).stdout
                subprocess.run(["tar", "-x", "-C", str(self.root)], input=archive, check=True)
            self.label = f"commit {sha[:12]}"
            self.commit = sha
        # byte-compiled once, as `pip install` does: where PYTHONDONTWRITEBYTECODE is set (this
        # machine's environment is) every timed run would otherwise compile the modules it imports
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(self.root / "generator")], capture_output=True, check=False)
        self.env = {**os.environ, "PYTHONPATH": str(self.root)}
        if no_history:
            # git then finds no repository: the builder reports history as unavailable
            # and builds without it (bench/README.md, "--no-history").
            self.env["GIT_DIR"] = str(OUT / "no-such-git-dir")
            self.label += ", built without git history (--no-history)"

    def build_cmd(self, site: Path, out: Path) -> list[str]:
        return [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), "--as-of", AS_OF, "-q"]

    def build(self, site: Path, out: Path) -> Sample:
        return timed(self.build_cmd(site, out), self.root, self.env)


# ---------------------------------------------------------------------------
# corpora


def corpus_dir(posts: int, seed: int) -> Path:
    return OUT / f"corpus-{posts}-s{seed}"


def _stamp(posts: int, seed: int) -> str:
    return hashlib.sha256((HERE / "corpus.py").read_bytes() + f"|{posts}|{seed}".encode()).hexdigest()


def ensure_corpus(posts: int, seed: int) -> tuple[Path, float | None]:
    """The cached corpus (regenerated when corpus.py changed); any leftover edit is undone."""
    site = corpus_dir(posts, seed)
    stamp_file = site.with_suffix(".stamp")
    want = _stamp(posts, seed)
    if site.is_dir() and stamp_file.exists() and stamp_file.read_text() == want and (site / ".git").is_dir():
        restore_corpus(site)
        return site, None
    c = corpus.generate(site, posts, seed, force=True)
    stamp_file.write_text(want)
    return site, c.seconds


def restore_corpus(site: Path) -> None:
    """Undo anything a benchmark (or an interrupted one) left in the corpus."""
    if sh("git", "status", "--porcelain", "--untracked-files=all", cwd=site):
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=site, check=True)
        subprocess.run(["git", "clean", "-fdq"], cwd=site, check=True)


def pick_post(site: Path) -> Path:
    """A post in the middle of the corpus with English front-matter keys (deterministic)."""
    posts = sorted((site / "content").glob("*/*/*.md"))
    for p in posts[len(posts) // 2 :] + posts:
        if re.search(r"^title: ", p.read_text(encoding="utf-8"), re.M):
            return p
    raise RuntimeError("no post with a 'title:' line")


# ---------------------------------------------------------------------------
# edits: each returns an undo function


def edit_body(site: Path) -> callable:
    p = pick_post(site)
    orig = p.read_bytes()
    p.write_bytes(orig + "\n会后，支部将本次会议精神传达到每一名党员，并收集了大家的意见建议。\n".encode())
    return lambda: p.write_bytes(orig)


def edit_title(site: Path) -> callable:
    p = pick_post(site)
    orig = p.read_bytes()
    text = orig.decode("utf-8")
    p.write_bytes(re.sub(r"^title: (.*)$", r"title: \1（修订）", text, count=1, flags=re.M).encode("utf-8"))
    return lambda: p.write_bytes(orig)


def edit_new(site: Path, seed: int) -> callable:
    units = corpus.make_units(random.Random(f"liangshai-bench-units-{seed}"))
    unit = units[0]
    taken = {p.stem for p in (site / "content" / unit.slug).rglob("*.md")}
    rng = random.Random("liangshai-bench-new-post")
    rel, _, text = corpus.make_post(rng, unit, dt.date.fromisoformat(AS_OF), taken)
    path = site / rel
    created_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

    def undo() -> None:
        path.unlink()
        if created_dir:
            path.parent.rmdir()

    return undo


def edit_template(site: Path, code: Code, name: str) -> callable:
    src = code.root / "themes" / "default" / "templates" / name
    text = src.read_text(encoding="utf-8")
    note = "<!-- bench: template edit -->\n"
    if "{% extends" in text:
        # In a child template only blocks render: put the comment inside the last block.
        i = text.rfind("{% endblock")
        text = text[:i] + note + text[i:]
    else:
        text = text + note
    themes = site / "themes"
    created = not themes.exists()
    dest = themes / "default" / "templates" / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")

    def undo() -> None:
        if created:
            shutil.rmtree(themes)
        else:
            dest.unlink()

    return undo


# ---------------------------------------------------------------------------
# Hugo


def hugo_version() -> str | None:
    exe = shutil.which("hugo")
    if not exe:
        return None
    return sh(exe, "version") or "hugo (version unknown)"


HUGO_CONFIG = """\
baseURL = "https://dangjian.example.edu.cn/"
languageCode = "zh-cn"
title = "党建工作公开晾晒（Hugo 对照）"
paginate = 20
disableKinds = ["RSS", "sitemap", "robotsTXT"]
[taxonomies]
  column = "columns"
[markup.goldmark.renderer]
  unsafe = false
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }} - {{ .Site.Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time>{{ .Date.Format "2006-01-02" }}</time> {{ range .Params.columns }}{{ . }}{{ end }}</p>
{{ .TableOfContents }}<div class="body">{{ .Content }}</div></article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range (.Paginate .Pages).Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time><p>{{ .Summary | plainify | truncate 90 }}</p></li>
{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "index.html": """{{ define "main" }}<ul>{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ len .Pages }}</li>{{ end }}</ul>
<ul>{{ range .Site.Taxonomies.columns.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}
""",
}
_FM_ALIAS = {"标题": "title", "日期": "date", "栏目": "section"}


def ensure_hugo_site(site: Path, posts: int, seed: int) -> Path:
    """A minimal Hugo site with the same posts: a list page per unit and per column."""
    hsite = OUT / f"hugo-{posts}-s{seed}"
    stamp_file = hsite.with_suffix(".stamp")
    want = _stamp(posts, seed) + hashlib.sha256(json.dumps([HUGO_CONFIG, HUGO_LAYOUTS], sort_keys=True).encode()).hexdigest()
    if hsite.is_dir() and stamp_file.exists() and stamp_file.read_text() == want:
        return hsite
    if hsite.exists():
        shutil.rmtree(hsite)
    (hsite / "content").mkdir(parents=True)
    (hsite / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for rel, text in HUGO_LAYOUTS.items():
        p = hsite / "layouts" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    for unit_toml in sorted((site / "content").glob("*/_unit.toml")):
        unit = unit_toml.parent.name
        name = re.search(r'^name = "(.*)"$', unit_toml.read_text(encoding="utf-8"), re.M).group(1)
        udir = hsite / "content" / unit
        udir.mkdir()
        (udir / "_index.md").write_text(f"---\ntitle: {json.dumps(name, ensure_ascii=False)}\n---\n", encoding="utf-8")
        for md in sorted(unit_toml.parent.glob("*/*.md")):
            text = md.read_text(encoding="utf-8")
            _, fm, body = text.split("---\n", 2)
            fields = {}
            for line in fm.splitlines():
                k, _, v = line.partition(": ")
                fields[_FM_ALIAS.get(k, k)] = v
            date = fields["date"].replace(" ", "T")
            date = date + (":00+08:00" if "T" in date else "T00:00:00+08:00")
            head = f"---\ntitle: {json.dumps(fields['title'], ensure_ascii=False)}\ndate: {date}\ncolumns: [{json.dumps(fields['section'], ensure_ascii=False)}]\n---\n"
            (udir / md.name).write_text(head + body, encoding="utf-8")
    stamp_file.write_text(want)
    return hsite


def settle() -> None:
    """Before a timed cold build: what earlier builds and deletions wrote goes to disk now, not into its time."""
    os.sync()


def unused_folder(base: Path, i: int) -> Path:
    """A folder beside ``base`` for the ``i``-th timed cold build, made afresh. No output is deleted while
    anything is timed (`drop_folders` moves them aside, `empty_trash` deletes them at the end): on this
    machine (ext4 mounted with ``discard`` on a virtual disk) a build right after the deletion of a
    just-built output took 1-3 s longer, even after a sync (bench/README round 20)."""
    folder = base.with_name(f"{base.name}-run{i}")
    _trash(folder)  # (left by an interrupted run)
    settle()
    return folder


TRASH = OUT / ".trash"  # outputs to delete once nothing is timed any more (`empty_trash`)


def drop_folders(folders: list[Path], keep: Path | None = None) -> None:
    """Move the timed cold builds' ``folders`` aside; the last one becomes ``keep`` (an up-to-date output) when given."""
    if keep is not None and folders:
        _trash(keep)
        folders[-1].rename(keep)
        folders = folders[:-1]
    for folder in folders:
        _trash(folder)


def _trash(folder: Path) -> None:
    if folder.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        folder.rename(TRASH / f"{folder.name}-{time.time_ns()}")


def empty_trash() -> None:
    """Delete what `drop_folders` moved aside: at the end of a benchmark, after its last timed build."""
    shutil.rmtree(TRASH, ignore_errors=True)


def hugo_cold(hsite: Path, runs: int) -> Row:
    row = Row(0, "hugo")
    base = OUT / f"{hsite.name}-public"
    folders = []
    for i in range(runs):
        shutil.rmtree(hsite / "resources", ignore_errors=True)
        folders.append(out := unused_folder(base, i))
        cmd = [shutil.which("hugo") or "hugo", "--quiet", "--source", str(hsite), "--destination", str(out)]
        row.samples.append(timed(cmd, hsite, dict(os.environ)))
    drop_folders(folders, keep=base)
    return row


# ---------------------------------------------------------------------------
# the benchmark


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def time_git_log(site: Path, runs: int = 3) -> float:
    """The one git pass history.py makes (same arguments), timed on its own."""
    cmd = ["git", "-c", "core.quotepath=false", "log", "--reverse", "--no-merges", "--relative", "-M", "-z",
           "--name-status", "--format=%x01%ct", "--", "content"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=site, capture_output=True, check=False, env={**os.environ, "LC_ALL": "C"})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def count_outputs(out: Path) -> tuple[int, int]:
    n = size = 0
    for root, _, files in os.walk(out):
        for f in files:
            if not f.startswith(".liangshai"):
                n += 1
                size += os.path.getsize(os.path.join(root, f))
    return n, size


def _edit(name: str, site: Path, code: Code, seed: int, template: str) -> callable | None:
    """Make a scenario's edit; its undo function (None: the no-op scenario changes nothing)."""
    edits = {
        "body": lambda: edit_body(site),
        "title": lambda: edit_title(site),
        "new": lambda: edit_new(site, seed),
        "template": lambda: edit_template(site, code, template),
    }
    return edits[name]() if name in edits else None


def _cold_row(code: Code, site: Path, out: Path, posts: int, runs: int) -> Row:
    """``runs`` cold builds (stopping at a failure); they also leave an up-to-date output for the rest."""
    row = Row(posts, "cold")
    folders = []
    for i in range(runs):
        folders.append(folder := unused_folder(out, i))
        s = code.build(site, folder)
        log(f"[{posts}] cold #{i + 1}: {s.seconds:.2f} s, {s.rss_mb or 0:.0f} MB" + ("" if s.ok else f" FAILED\n{s.error}"))
        row.samples.append(s)
        if not s.ok:
            break
    drop_folders(folders, keep=out if row.samples[-1].ok else None)
    return row


def _edit_row(code: Code, site: Path, out: Path, posts: int, name: str, runs: int, seed: int, template: str) -> Row:
    """``runs`` timed builds of one scenario, each after its edit; the corpus put back and rebuilt (untimed) after each."""
    row = Row(posts, name)
    for i in range(runs):
        undo = _edit(name, site, code, seed, template)
        try:
            s = code.build(site, out)
        finally:
            if undo:
                undo()
        log(f"[{posts}] {name} #{i + 1}: {s.seconds:.2f} s, {s.rss_mb or 0:.0f} MB" + ("" if s.ok else f" FAILED\n{s.error}"))
        row.samples.append(s)
        if undo and not (restored := code.build(site, out)).ok:
            raise RuntimeError(f"restoring build failed:\n{restored.error}")
        if not s.ok:
            break
    return row


def bench_size(code: Code, posts: int, seed: int, runs: int, scenarios: tuple[str, ...], template: str) -> tuple[list[Row], dict]:
    t0 = time.perf_counter()
    site, gen_seconds = ensure_corpus(posts, seed)
    info = {"posts": posts, "corpus": str(site.relative_to(REPO)), "generated_seconds": gen_seconds,
            "corpus_head": sh("git", "rev-parse", "HEAD", cwd=site), "commits": int(sh("git", "rev-list", "--count", "HEAD", cwd=site) or 0)}
    info["git_log_seconds"] = time_git_log(site)
    log(f"[{posts}] corpus {site} ({f'generated in {gen_seconds:.1f} s' if gen_seconds else 'cached'}, {info['commits']} commits)")
    out = OUT / f"build-{posts}-s{seed}"
    rows: list[Row] = []
    builds = tuple(s for s in scenarios if s not in serve_bench.LABELS)
    try:
        if builds:
            row = _cold_row(code, site, out, posts, runs if "cold" in scenarios else 1)
            if "cold" in scenarios:
                rows.append(row)
            if not row.ok:
                return rows, info
            info["outputs"], info["output_bytes"] = count_outputs(out)
        rows += [_edit_row(code, site, out, posts, name, runs, seed, template) for name in builds if name != "cold"]
        # serve: its own server and output folder, on the same corpus (bench/serve_bench.py)
        rows += serve_bench.serve_rows(sys.modules[__name__], code, site, posts, seed, scenarios, runs)
    finally:
        restore_corpus(site)
    info["seconds"] = time.perf_counter() - t0
    return rows, info


def _entry_frame(func: tuple[str, int, str]) -> bool:
    filename, _, name = func
    return filename in ("<string>", "<frozen runpy>") or filename.endswith("__main__.py") or name == "<built-in method builtins.exec>"


def profiled(cmd: list[str], prof: Path) -> list[str]:
    """``python -m generator …`` under cProfile: ``main()`` profiled, not ``run()``, which ends with
    os._exit (no teardown) before cProfile could write its file."""
    code = "import cProfile, sys; prof = sys.argv.pop(1); sys.argv[0] = 'liangshai'; cProfile.run('from generator.cli import main; main()', prof)"
    return [cmd[0], "-c", code, str(prof), *cmd[3:]]


def profile(code: Code, posts: int, seed: int, top: int = 25) -> str:
    import io
    import pstats

    site, _ = ensure_corpus(posts, seed)
    out = OUT / f"build-{posts}-s{seed}-profile"
    shutil.rmtree(out, ignore_errors=True)
    prof = OUT / f"profile-{posts}-s{seed}.pstats"
    cmd = profiled(code.build_cmd(site, out), prof)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=code.root, env=code.env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        return f"profiled build failed:\n{res.stderr[-2000:]}"
    buf = io.StringIO()
    st = pstats.Stats(str(prof), stream=buf)
    st.sort_stats("cumulative")
    # leave out the interpreter's entry frames (exec, runpy, __main__): they only repeat the total
    st.fcn_list = [f for f in st.fcn_list if not _entry_frame(f)]  # type: ignore[attr-defined]
    st.print_stats(top)
    text = buf.getvalue()
    # shorten paths: site-packages and the source tree
    text = re.sub(r"\S*/site-packages/", "", text)
    text = text.replace(str(code.root) + "/", "")
    text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
    head = [ln for ln in lines[:start] if "function calls" in ln]
    return f"cold build of {posts} posts under cProfile: {seconds:.1f} s wall (profiling overhead included); stats in {prof.relative_to(REPO)}\n" + "\n".join(head + lines[start:]) + "\n"


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    try:
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        mem_gb = int(mem.split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        mem_gb = 0
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model or "unknown",
        "memory_gb": round(mem_gb, 1),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "os": platform.platform(),
        "git": sh("git", "--version"),
    }


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _verdict(r: Row, hugo_rows: dict[int, Row], anchors: dict[int, Row]) -> tuple[str, str]:
    """(target, meets) of a row: its seconds (or the cold build against the anchor), then its memory."""
    target = meets = ""
    if not r.ok:
        meets = "failed"
    elif (limit := targets.target(r.scenario, r.posts)) is not None:
        target, meets = f"≤ {limit} s", "yes" if r.median <= limit else "no"
    elif r.scenario == "cold":
        h, a = hugo_rows.get(r.posts), anchors.get(r.posts)
        if a is not None and a.ok:
            target = f"≤ {targets.COLD_RATIO} × Hugo + Pagefind ({a.median:.2f} s)"
            meets = "yes" if r.median <= targets.COLD_RATIO * a.median else "no"
        elif h is not None and h.ok:
            target, meets = f"≤ Hugo ({h.median:.2f} s)", "yes" if r.median <= h.median else "no"
        else:
            target = "≤ Hugo"
    mem = targets.memory_target(r.posts)
    if mem and r.peak_mb is not None:
        target += f"{'; ' if target else ''}≤ {mem} MB"
        if r.ok:
            verdicts = [v for v in (meets, "yes" if r.peak_mb <= mem else "no") if v]
            meets = "no" if "no" in verdicts else "yes"
    return target, meets


def _anchor_line(r: Row, a: Row, label: str, what: str) -> str:
    runs = ", ".join(f"{s.seconds:.2f}" for s in a.samples)
    ratio = f"liangshai/{what} = {r.median / a.median:.2f}×" if (r.ok and a.ok) else ""
    rss = "—" if a.peak_mb is None else f"{a.peak_mb:.0f}"
    return f"| {r.posts:,} | {label} | {fmt_s(a.median)} | {fmt_s(a.cpu)} | {runs} | {rss} | {ratio} | |"


def table(rows: list[Row], hugo_rows: dict[int, Row], runs: int, anchors: dict[int, Row] | None = None) -> str:
    anchors = anchors or {}
    lines = [
        "| posts | scenario | median s | CPU s | runs s | peak RSS MB | target | meets |",
        "|---:|---|---:|---:|---|---:|---|:---:|",
    ]
    for r in rows:
        runs_text = ", ".join(f"{s.seconds:.2f}" for s in r.samples) if r.samples else ""
        target, meets = _verdict(r, hugo_rows, anchors)
        rss = "—" if r.peak_mb is None else f"{r.peak_mb:.0f}"
        lines.append(f"| {r.posts:,} | {LABELS[r.scenario]} | {fmt_s(r.median)} | {fmt_s(r.cpu)} | {runs_text} | {rss} | {target} | {meets} |")
        if r.scenario == "cold" and r.posts in hugo_rows:
            lines.append(_anchor_line(r, hugo_rows[r.posts], "Hugo cold build (same posts)", "Hugo"))
        if r.scenario == "cold" and r.posts in anchors:
            lines.append(_anchor_line(r, anchors[r.posts], "Hugo + Pagefind (extended) over Hugo's pages, cold", "(Hugo + Pagefind)"))
    return "\n".join(lines)


def _hugo(args: argparse.Namespace, n: int, hugo_rows: dict[int, Row], anchors: dict[int, Row]) -> None:
    """Cold Hugo, and cold Hugo + Pagefind over its pages, on the same posts (``--hugo``)."""
    hsite = ensure_hugo_site(corpus_dir(n, args.seed), n, args.seed)
    for name, row in (("hugo", hugo_cold(hsite, args.runs)), ("hugo + pagefind", targets.hugo_pagefind_cold(sys.modules[__name__], hsite, args.runs))):
        if row is None:
            log(f"[{n}] {name}: Pagefind's extended binary is not installed; skipped")
            continue
        row.posts = n
        (hugo_rows if name == "hugo" else anchors)[n] = row
        log(f"[{n}] {name} cold: {', '.join(f'{s.seconds:.2f}' for s in row.samples)} s" + ("" if row.ok else f" FAILED\n{row.samples[-1].error}"))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Benchmark liangshai builds on generated corpora.")
    ap.add_argument("--posts", type=int, action="append", help="corpus size (repeatable; default 1000 and 10000)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per scenario (median reported; default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hugo", action="store_true", help="also time cold Hugo, and Hugo + Pagefind over its pages, on the same posts (when hugo is on the PATH)")
    ap.add_argument("--profile", action="store_true", help="only run one cold build per size under cProfile; print the top 25 by cumulative time")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of {','.join(SCENARIOS)}")
    ap.add_argument("--template", default="post.html", help="template the template-edit scenario overrides (default post.html)")
    ap.add_argument("--rev", default=None, help="measure this commit (exported with git archive) instead of the work tree")
    ap.add_argument("--no-history", action="store_true", help="hide the corpus's git repository from the builder (GIT_DIR=…); git log is then timed on its own")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    ap.add_argument("--merge", type=Path, action="append", default=[], help="add the rows of an earlier --json file to the tables (e.g. a separate 50,000-post run)")
    args = ap.parse_args(argv)
    args.sizes = [] if args.merge and not args.posts else (args.posts or [1000, 10000])
    args.scenario_list = tuple(s for s in args.scenarios.split(",") if s)
    bad = [s for s in args.scenario_list if s not in SCENARIOS]
    if bad:
        ap.error(f"unknown scenario(s): {', '.join(bad)}")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    return args


def _print_machine(m: dict, code: Code) -> None:
    print("## Machine\n")
    print(f"- CPU: {m['cpu']} × {m['nproc']} (nproc), memory {m['memory_gb']} GB, load average at start {m['loadavg']}")
    print(f"- Python {m['python']} on {m['os']}; {m['git']}")
    print(f"- liangshai: {code.label}")
    print(f"- peak RSS via {'/usr/bin/time' if TIME_BIN else 'getrusage(RUSAGE_CHILDREN) in a fresh parent'}")


def _print_results(args: argparse.Namespace, rows: list[Row], infos: list[dict], hugo_rows: dict[int, Row], anchors: dict[int, Row]) -> None:
    print("\n## Corpora\n")
    for i in infos:
        extra = f", {i['outputs']:,} output files, {i['output_bytes'] / 1e6:.0f} MB" if "outputs" in i else ""
        print(f"- {i['posts']:,} posts: {i['corpus']} (HEAD {i['corpus_head'][:12]}, {i['commits']} commits){extra}; "
              f"the builder's git log pass alone takes {i['git_log_seconds']:.2f} s; benchmark took {i.get('seconds', 0):.0f} s")
    print(f"\n## Results (median of {args.runs} runs; wall seconds of the whole `python -m generator build … -q` process; serve: save → served)\n")
    print(table(rows, hugo_rows, args.runs, anchors))
    if len({r.posts for r in rows}) > 1:
        print("\n## Growth (medians side by side; shown, not asserted)\n")
        print(targets.growth_table(rows, LABELS))
        if any(r.cpu is not None for r in rows):
            print("\nThe same in CPU seconds (user + system of the process tree; less sensitive to a loaded machine):\n")
            print(targets.growth_table(rows, LABELS, "cpu"))
    print("\n## Issue 23's table, the cells this run measured\n")
    print(targets.issue_table(rows, anchors))
    for r in rows:
        if not r.ok:
            err = next((s.error for s in r.samples if not s.ok), "")
            print(f"\n{r.posts:,} {r.scenario} failed:\n```\n{err}\n```")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    code = Code(args.rev, args.no_history)
    m = machine()
    _print_machine(m, code)
    if args.profile:
        for n in args.sizes:
            print(f"\n## Profile, {n:,} posts\n\n```")
            print(profile(code, n, args.seed), end="")
            print("```")
        return 0
    hv = hugo_version() if args.hugo else None
    if args.hugo:
        print(f"- Hugo: {hv or 'not on the PATH (apt-get install hugo); Hugo comparison skipped'}")
    rows: list[Row] = []
    infos: list[dict] = []
    hugo_rows: dict[int, Row] = {}
    anchors: dict[int, Row] = {}
    for n in args.sizes:
        r, info = bench_size(code, n, args.seed, args.runs, args.scenario_list, args.template)
        rows.extend(r)
        infos.append(info)
        if hv:
            _hugo(args, n, hugo_rows, anchors)
    if args.json:
        head = {"machine": m, "code": {"label": code.label, "commit": code.commit}, "runs": args.runs, "corpora": infos}
        args.json.write_text(json.dumps(targets.payload(head, rows, hv, hugo_rows, anchors), ensure_ascii=False, indent=2))
    merged_rows, merged_anchors = targets.merged(sys.modules[__name__], args.merge)
    rows = [*merged_rows, *rows]
    anchors = {**merged_anchors, **anchors}
    _print_results(args, rows, infos, hugo_rows, anchors)
    if hv:
        print(f"\nHugo: {hv}")
    empty_trash()
    return 1 if any(not r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
