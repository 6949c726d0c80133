"""Shared fixtures: a site factory, CLI runners and real git repositories."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def load_bench_script(name: str) -> object:
    """``bench/<name>.py`` as a module (bench/ is not a package); bench/ is on sys.path only while it loads."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = mod  # dataclasses look their module up
    try:
        spec.loader.exec_module(mod)  # puts bench/ on sys.path for its siblings (run, targets, serve_bench)
    finally:
        sys.path[:] = [p for p in sys.path if p != str(REPO / "bench")]
    return mod

UNIT_TOML = textwrap.dedent(
    """\
    name = "机械工程学院党委"
    kind = "教学单位"
    order = 10
    [[branches]]
    id = "jx-jg1"
    name = "机械工程学院第一教工党支部"
    kind = "教职工"
    [[branches]]
    id = "jx-xs1"
    name = "机械工程学院本科生党支部"
    kind = "学生"
    groups = false
    """
)


def post_text(title: str = "支部委员会会议纪要", date: str = "2026-03-05", section: str = "支部生活", body: str = "正文。", **extra: object) -> str:
    """Markdown with front-matter; extra keys are written as given (lists in flow style)."""
    lines = ["---", f"title: {title}", f"date: {date}", f"section: {section}"]
    for key, value in extra.items():
        if isinstance(value, (list, tuple)):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        lines.append(f"{key}: {value}")
    lines += ["---", body, ""]
    return "\n".join(lines)


def replace_once(site: Path, rel: str, old: str, new: str) -> None:
    """Edit a site's file as an author does: the first ``old`` (which must be there) becomes ``new``."""
    path = site / rel
    text = path.read_text("utf-8")
    assert old in text, (old, rel)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write_site(root: Path, files: dict[str, str | bytes], *, config: str | None = None, unit: bool = True) -> Path:
    """Write a site: ``files`` maps site-relative paths to text or bytes.

    With ``unit=True`` a default unit ``content/jx/_unit.toml`` is added unless given.
    """
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "site.toml").write_text(config, encoding="utf-8")
    if unit and "content/jx/_unit.toml" not in files:
        files = {"content/jx/_unit.toml": UNIT_TOML, **files}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


@functools.cache
def _markup(cls: type) -> object:
    """One Markdown renderer for every `one_post` call (a builder worker reuses one too)."""
    return cls()


def one_post(raw: bytes, files: dict, *, rel: str = "content/jx/a.md", unit_toml: str = UNIT_TOML, config: object = None) -> tuple[list, str | None]:
    """(problems, body HTML or None) that check and build get for one post, from its bytes, in process.

    The same calls the builder makes per post (`builder._parse_one`: parse, render the
    body, scan the text readers get) without a site on disk, a Builder or its caches:
    string-level cases take milliseconds. ``files`` maps the site's files under
    content/ to their facts, as `sources.discover` finds them (attachments, links).
    """
    from generator.load.config import SiteConfig
    from generator.parse.markup import MarkupRenderer, reader_lines
    from generator.parse.post import parse_post, parse_unit, rendered_problems

    config = config or SiteConfig()
    slug = rel.split("/")[1]
    unit, unit_problems = parse_unit(unit_toml.encode("utf-8"), f"content/{slug}/_unit.toml", slug, config)
    assert unit is not None and not unit_problems, unit_problems
    post, problems = parse_post(raw, rel, unit, config, files)
    if post is None:
        return problems, None
    rendered, _, more = _markup(MarkupRenderer).render(post, files)
    return rendered_problems(post, reader_lines(rendered.html), config, [*problems, *more]), rendered.html


def site_files(root: Path, files: dict[str, str | bytes]) -> dict:
    """The facts `sources.discover` finds for a site of ``files`` (plus the default unit)."""
    from generator.load.sources import discover

    return discover(write_site(root, files)).files


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], *, config: str | None = None, unit: bool = True, name: str | None = None) -> Path:
        return write_site(tmp_path / (name or f"site{next(counter)}"), files, config=config, unit=unit)

    return make


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``python -m generator`` in a subprocess (exit codes, stderr, no traceback)."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(REPO)},
        check=False,
    )


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in ``repo``; ``date`` (ISO 8601 with offset) sets author and committer dates."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "t@example.edu.cn", "GIT_COMMITTER_NAME": "测试", "GIT_COMMITTER_EMAIL": "t@example.edu.cn"}
    if date:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)
    return out.stdout


def git_init(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")


def commit_all(repo: Path, message: str, date: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)


CHROMIUM = os.environ.get("LIANGSHAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """A real headless Debian Chromium driven by Playwright (no browser download).

    Skips with a clear reason when Chromium or Playwright is missing; CI installs
    both (see .ci/run), so there it always runs.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"需要 Debian 的 chromium（{CHROMIUM} 不存在）：apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("需要 Playwright：pip install playwright")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DEMO_AS_OF = "2026-11-27"


def _tree_stamp(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` → (size, mtime_ns): enough to notice a test that wrote to it."""
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Iterator[Path]:
    """The demo site at the repository root, built ONCE per test run by the real CLI
    (``build REPO -o OUT --as-of 2026-11-27``, as a reader of the README would) → OUT.

    Building the 1,390 posts from scratch is the most expensive step of the suite;
    every test that only reads the demo build shares this one. It is read only: a
    test that changes files copies it first (`shutil.copytree`). The session's
    teardown fails if any file in it was added, removed or rewritten.
    """
    content = REPO / "content"
    assert content.is_dir() and any(content.glob("*/_unit.toml")), "仓库根目录的示例站点 content/ 还没有单位"
    out = tmp_path_factory.mktemp("demo-build") / "build"
    proc = run_cli("build", str(REPO), "-o", str(out), "--as-of", DEMO_AS_OF)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before = _tree_stamp(out)
    yield out
    after = _tree_stamp(out)
    changed = sorted(set(before) ^ set(after) | {k for k in before.keys() & after.keys() if before[k] != after[k]})
    assert not changed, f"a test wrote to the shared demo build (copy it first): {changed[:10]}"


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory):
    """The demo site's `SiteModel` (posts, bodies, units, configuration) as the builder
    loads it, once per test run: what tests compute their expectations from."""
    import datetime as dt

    from generator.build.builder import Builder, BuildOptions

    loaded = Builder(BuildOptions(REPO, tmp_path_factory.mktemp("demo-model") / "unused", as_of=dt.date.fromisoformat(DEMO_AS_OF))).load()
    assert loaded.model is not None, [p.format() for p in loaded.problems if p.is_error][:10]
    return loaded.model


@pytest.fixture(scope="session")
def dated_demo(tmp_path_factory) -> tuple[Path, Path]:
    """The demo as the README's first command makes it: scripts/make_demo.py's dated
    git repository, built once per session with a fixed as-of date → (repo, output)."""
    root = tmp_path_factory.mktemp("dated-demo")
    site, out = root / "demo-site", root / "demo"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_demo.py"), "--site", str(site), "--out", str(out), "--as-of", DEMO_AS_OF],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)  # the script reports the commits and the seconds it took
    return site, out
