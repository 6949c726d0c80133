"""All stages: the `Builder` runs load → parse → model → plan → render → write.

`build` and `serve` both call `Builder.build`; there is no second rendering
path. The builder collects problems from every stage and writes nothing when
any of them is an error, so a failed build leaves the previous output as it was.

Incremental by construction, at three levels:

- parse: a post whose file stamp, settings and referenced files are unchanged
  is taken from the saved state without being read;
- plan: pages are planned by family (`plan.Family`); a family whose key (the
  tokens of the posts it lists) is unchanged is not planned at all, so a
  one-post edit builds a few dozen page contexts, not every page's;
- render/write: a planned page is rendered only when its fingerprint (its whole
  template context plus its templates) differs from the one saved, and only
  changed bytes are written.

A no-op build (same input key: code, options, day, every file's stamp, git
HEAD) stops after reading a small key file. A cold build parses and renders
on every core (fork workers): parsed bodies stream into the body store, and
each render worker plans its own share of the families, so no process holds
every page context at once. A small build makes its post pages first and
starts the search index on them (`search.EarlyIndex`) before the lists, so
Pagefind works on the other core while this one finishes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import multiprocessing
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from generator.core import urls
from generator.load.attachments import Unpublishable, needs_cleaning, publishable_bytes
from generator.load.config import LimitsConfig, SiteConfig, load_config
from generator.core.errors import ConfigError, Kind, LiangshaiError, Problem, error, sort_problems
from generator.load.history import read_history
from generator.core.model import UNIT_FILE, FileFacts, History, Post, RenderedBody, SiteModel, Unit
from generator.plan.pages import Family, FileSpec, Planner, file_specs, fingerprint, list_token, sort_posts
from generator.load.sources import Sources, discover
from generator.write.state import OUTPUTS_FILE, STATE_FILE, BodyStore, BuildState, CachedPost, FamilyRecord, NoopKey, SavedState, Signature, clear_state, file_signature, gc_paused, load_key, load_state, record_outputs, recorded_outputs, save_key, save_state
from generator.render.theme import Theme, make_env, referenced_templates, resolve_theme, theme_error
from generator.write.output import Writer, staged_name

if TYPE_CHECKING:  # imported where used: a no-op build never loads Markdown or YAML
    from generator.parse.markup import MarkupRenderer

# Bump when parsing rules change in a way the saved state must not survive.
PARSER_VERSION = "2"
STATE_KEY_VERSION = "1"
PLAN_VERSION = "2"  # bump when a family's pages come to depend on something its key does not hash
# Below these counts a process pool costs more than it saves.
PARALLEL_PARSE_MIN = 400
PARALLEL_RENDER_MIN = 600
# Up to this many posts parsed again, their post pages are made before the rest is planned
# (`Builder._plan`'s ``first``), so the search index can begin on them early.
EARLY_POSTS_MAX = 200
# Up to this many changed HTML pages (and no full re-index pending: search.small_update), the
# search index is updated on a thread while the state is saved (an edit's ~0.2 s); more, and
# they run one after the other (memory).
OVERLAP_SEARCH_MAX = 2000
PARSE_CHUNK = 64
EXCERPT_CHARS = 240


# The site's sources below its folder: an output folder may be neither inside them
# (the output would be read back as content or theme) nor contain them.
SOURCE_FOLDERS = ("content", "themes")


def output_folder_problem(site: Path, out: Path, hint: str) -> str | None:
    """Why ``out`` cannot be the output folder of ``site`` (Chinese), or None.

    Shared by ``build`` (`cli.cmd_build`), ``serve`` (`serve.check_out_dir`) and
    ``publish`` (its build folder inside the web root): writing the site into
    the site folder, a folder above it, ``content/`` or ``themes/`` would mix
    generated pages into the sources. ``hint`` (Chinese) says what to do instead.
    """
    site, out = site.resolve(), out.resolve()
    if out == site or out in site.parents:
        return f"输出文件夹 {out} 不能是站点文件夹本身或它的上级文件夹：生成的文件会写进站点的源文件中。{hint}"
    for name in SOURCE_FOLDERS:
        source = (site / name).resolve()
        if out == source or source in out.parents:
            return f"输出文件夹 {out} 不能放在 {name}/ 里面：生成的文件会被当成内容再次读取。{hint}"
        if out in source.parents:
            return f"输出文件夹 {out} 包含了站点的 {name}/ 文件夹（{source}）：生成的文件会与源文件混在一起。{hint}"
    return None


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    drafts: bool = False
    as_of: dt.date | None = None
    jobs: int | None = None  # worker processes; None = the machine's cores
    # serve: return as soon as the pages are written and let the caller bring the
    # search index up to date afterwards with `Builder.update_search()`.
    defer_search: bool = False
    # serve, with defer_search: return before saving the state too. `Builder.save_deferred()`
    # saves it (serve: once the search is updated and no change is waiting); until then the
    # next build of this builder starts from it in memory.
    defer_save: bool = False
    # check FILE… / --changed: parse and check only these posts (site-relative paths);
    # every other post is only known by its file name (slug collisions). None = all.
    only: frozenset[str] | None = None
    touched: frozenset[str] = frozenset()  # with ``only``: other files whose problems are reported too (a changed _unit.toml)
    # --keep-going: a post with errors of its own is held back (left out of the site, as if
    # it did not exist) and the rest is published; see `held_back`.
    keep_going: bool = False

    @property
    def output(self) -> Path:
        return (self.out_dir or self.site_dir / "build").resolve()


@dataclass(frozen=True)
class _Unsaved:
    """A ``defer_save`` build's state, and how to save it (with its no-op key).

    It describes the folder while no other build has touched it: every build
    rewrites the outputs record (`record_outputs`) before its commit, so that
    file's signature, taken after this build's commit, tells (`current`).
    """

    state: BuildState
    save: Callable[[], SavedState]
    out_dir: Path
    record: Signature | None

    def current(self) -> bool:
        return file_signature(self.out_dir / OUTPUTS_FILE) == self.record and not (self.out_dir / STATE_FILE).exists()


@dataclass(frozen=True)
class BuildResult:
    problems: tuple[Problem, ...]
    rendered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    outputs: int = 0
    seconds: float = 0.0
    parsed: tuple[str, ...] = ()  # sources read and parsed (not taken from the state)
    planned: tuple[str, ...] = ()  # pages whose context was built (the others' families were reused)
    model: SiteModel | None = field(default=None, compare=False, repr=False)
    held: tuple[str, ...] = ()  # --keep-going: the posts held back for their own errors (sources)

    @property
    def ok(self) -> bool:
        """The output is written: no error, or (``keep_going``) only errors of held-back posts."""
        return not blocking(self.problems, self.held)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


def owner_post(path: str, posts: Iterable[str]) -> str | None:
    """The post (source path) a problem at ``path`` belongs to: the post file itself, or for a
    post bundle (``…/index.md``) any file in its folder (an attachment); else None."""
    sources = set(posts)
    if path in sources:
        return path
    folder = path
    while "/" in folder:
        folder = folder.rsplit("/", 1)[0]
        if f"{folder}/index.md" in sources:
            return f"{folder}/index.md"
    return None


def held_back(problems: Iterable[Problem], posts: Iterable[str]) -> tuple[str, ...]:
    """--keep-going: the posts (among ``posts``) that have an error of their own.

    Such a post is held back: left out of the site as if it did not exist, so
    no page, list, feed, sitemap entry, search record or figure shows it. Only
    content errors located in a post (or in its bundle folder) hold a post
    back; every other error (site.toml, a ``_unit.toml``, the theme, two outputs
    on one path) still stops the whole build (`blocking`).
    """
    sources = tuple(posts)
    return tuple(sorted({o for p in problems if p.is_error and p.kind in (Kind.CONTENT, Kind.PRIVACY) and (o := owner_post(p.path, sources))}))


def blocking(problems: Iterable[Problem], held: tuple[str, ...]) -> list[Problem]:
    """The errors that stop the build: all of them, but those of the held-back posts."""
    return [p for p in problems if p.is_error and not (held and p.kind in (Kind.CONTENT, Kind.PRIVACY) and owner_post(p.path, held))]


def resolve_as_of(option: dt.date | None, config: SiteConfig) -> dt.date:
    """--as-of, else SOURCE_DATE_EPOCH, else today in the site timezone."""
    if option is not None:
        return option
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), config.tz).date()
    return dt.datetime.now(config.tz).date()


@dataclass(frozen=True)
class Loaded:
    """What the parse and model stages produced (no HTML pages yet)."""

    model: SiteModel | None
    problems: tuple[Problem, ...]
    cache: dict[str, CachedPost] = field(default_factory=dict)
    fresh_html: dict[str, str] = field(default_factory=dict)  # body digest → HTML rendered in this run
    parsed: tuple[str, ...] = ()
    documents: dict[str, Any] = field(default_factory=dict)  # PDF/DOCX text by path, for the state
    tokens: dict[str, str] = field(default_factory=dict)  # post source → token (plan.Family keys)
    settings: str = ""  # hash of the parser/Markdown versions and site.toml
    list_tokens: dict[str, str] = field(default_factory=dict)  # post source → plan.list_token
    held: tuple[str, ...] = ()  # keep_going: posts held back for their own errors (`held_back`)


@dataclass(frozen=True)
class _Parsed:
    """One post's parse + body render, as returned by a worker."""

    rel: str
    post: Post | None
    body: RenderedBody | None
    problems: tuple[Problem, ...]


def git_head(site_dir: Path) -> str:
    """The commit the git history is read at ("" outside git): part of the input key."""
    import subprocess

    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD", "--is-shallow-repository"], cwd=site_dir, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _hash(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


_CODE_DIR = Path(__file__).resolve().parent.parent  # the package root: every subpackage counts
# Libraries whose version changes what a page holds (Markdown and sanitised HTML, YAML, templates).
_LIBRARIES = ("markdown", "nh3", "pyyaml", "python-frontmatter", "jinja2")


@functools.cache
def code_digest() -> str:
    """The generator's own source and the versions of the libraries that shape its output.

    Part of every cache key — the parse cache, the body store, page
    fingerprints, the plan — so an upgrade of liangshai or of Python-Markdown
    never leaves a page as an older version made it. By content, not mtime:
    a reinstall of the same code keeps the caches.
    """
    from importlib import metadata

    h = hashlib.sha256()
    for path in sorted(_CODE_DIR.rglob("*.py")):
        h.update(path.relative_to(_CODE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "?"
        h.update(f"{name}={version}\0".encode())
    return h.hexdigest()


def _history_id(head: str, tz: object, history: History) -> str:
    """Identifies the history: the commit and timezone it was read at (git log is a function of
    them); hashed whole only outside git, where it is a short "unavailable" record."""
    return f"{head}\0{tz}" if head and history.available else _hash(history)


def _compare_fields(p: Post) -> tuple[object, ...]:
    """What the comparison index reads of a post (metrics.py, compare.py): not its title or body.

    The slug too: the per-unit grid links each met slot to its record's page."""
    return (p.source, p.unit, p.slug, p.branch, p.category, p.day.isoformat(), p.draft, p.meetings, p.section)


@dataclass
class _Plan:
    """The plan stage's result: new page specs, pages and files reused unchanged, and the records for the state."""

    theme: Theme
    env: Any
    global_key: str
    planner: Planner
    todo: list[Family] = field(default_factory=list)  # families to plan (and render) in this build: `_make`
    made: list[_Made] = field(default_factory=list)  # families made while planning (`_plan`'s ``first``)
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # (path, template, owner) of reused families
    files: list[FileSpec] = field(default_factory=list)
    kept_files: list[tuple[str, str]] = field(default_factory=list)  # (path, owner)
    problems: list[Problem] = field(default_factory=list)
    families: dict[str, FamilyRecord] = field(default_factory=dict)


def _deps(post: Post, body: RenderedBody | None, files: dict[str, FileFacts]) -> tuple[tuple[str, FileFacts | None], ...]:
    """The files a cached parse depends on, with the facts it saw (size, symlink, document text)."""
    paths = {a.source for a in (*post.attachments, *post.extra_files)}
    if body is not None:
        paths.update(body.links)
    return tuple((p, files.get(p)) for p in sorted(paths))


def _deps_hold(deps: Iterable[tuple[str, FileFacts | None]], files: dict[str, FileFacts]) -> bool:
    return all(files.get(path) == facts for path, facts in deps)


# -- worker side (fork): parse and render bodies --------------------------------

_WORKER: dict[str, Any] = {}  # set once per worker process by _init_worker, never mutated after


def _init_worker(site_dir: Path, config: SiteConfig, units: dict[str, Unit], files: dict[str, FileFacts], drafts: bool) -> None:
    from generator.parse.markup import MarkupRenderer

    _WORKER.update(site_dir=site_dir, config=config, units=units, files=files, drafts=drafts, markup=MarkupRenderer())


def _parse_worker(rels: list[str]) -> list[_Parsed]:
    w = _WORKER
    return [_parse_one(rel, w["site_dir"], w["config"], w["units"], w["files"], w["drafts"], w["markup"]) for rel in rels]


def _parse_one(rel: str, site_dir: Path, config: SiteConfig, units: dict[str, Unit], files: dict[str, FileFacts], drafts: bool, markup: MarkupRenderer) -> _Parsed:
    unit = units[rel.split("/")[1]]
    try:
        raw = (site_dir / rel).read_bytes()
    except OSError as exc:
        return _Parsed(rel, None, None, (error(rel, 1, f"无法读取文件：{exc.strerror}。"),))
    from generator.parse.markup import MARKUP_VERSION, reader_lines
    from generator.parse.post import parse_post, rendered_problems

    post, problems = parse_post(raw, rel, unit, config, files)
    if post is None:
        return _Parsed(rel, None, None, tuple(problems))
    post = replace(post, digest=hashlib.sha256(raw).hexdigest())
    body = None
    if drafts or not post.draft:
        rendered, resources, probs = markup.render(post, files)
        problems.extend(probs)
        # The privacy scan of what readers get (entities, inline markup, comments undone).
        # A post with a finding there is refused like one with a finding in its source:
        # no page, and its HTML never reaches the body store next to the output.
        before = set(problems)
        problems = rendered_problems(post, reader_lines(rendered.html), config, problems)
        if any(p.is_error and p not in before for p in problems):
            return _Parsed(rel, None, None, tuple(problems))
        # Which links resolve changes the HTML (a link to a missing file is reported, not linked).
        digest = _hash(MARKUP_VERSION, code_digest(), post.source, post.body, tuple((l, files.get(l) is not None) for l in sorted(rendered.links)))
        # Pages and feeds show at most the first EXCERPT_CHARS of the text: keep no more.
        body = replace(rendered, digest=digest, text=rendered.text[:EXCERPT_CHARS])
        if resources:
            post = replace(post, extra_files=resources)
    return _Parsed(rel, replace(post, body=""), body, tuple(problems))


def _map_parallel(func, chunks: list[list[Any]], jobs: int, initializer=None, initargs: tuple = ()) -> list[Any]:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        return [item for part in pool.map(func, chunks) for item in part]


# -- worker side (fork): render pages ----------------------------------------------

_RENDER_JOB: dict[str, Any] = {}  # filled by the parent just before forking; read-only in children


@dataclass(frozen=True)
class _MakeJob:
    """What planning and rendering a family needs (shared with forked workers)."""

    env: Any
    theme: Theme
    writer: Writer
    store: BodyStore
    template_hashes: dict[str, str]  # template → hash of it and everything it uses (filled as met, per process)
    previous: dict[str, str]  # output path → fingerprint of the last build
    out: str


@dataclass(frozen=True)
class _Made:
    """One family planned (and its changed pages rendered)."""

    id: str
    key: str
    pages: tuple[tuple[str, str, str], ...]  # (path, template, owner)
    fingerprints: tuple[str, ...]
    rendered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    problem: Problem | None = None
    template_hashes: dict[str, str] = field(default_factory=dict)  # worked out here, for the state


def _make_worker(indices: list[int]) -> list[_Made]:
    job: _MakeJob = _RENDER_JOB["job"]
    job.store.forget_connection()  # never share a SQLite connection across fork
    families = _RENDER_JOB["families"]
    return [_make_one(families[i], job) for i in indices]


def _make_one(family: Family, job: _MakeJob) -> _Made:
    new_hashes: dict[str, str] = {}
    rendered: list[str] = []
    written: list[str] = []
    fps: list[str] = []
    specs = family.make()
    for spec in specs:
        try:
            th = job.template_hashes.get(spec.template)
            if th is None:  # once per template and process: parsing a template is slow
                # The code is part of it too: a new filter or Jinja option changes the bytes of a page.
                th = job.template_hashes[spec.template] = new_hashes[spec.template] = _hash(
                    code_digest(), job.theme.template_source_hash(job.env, referenced_templates(job.env, spec.template))
                )
            fp = fingerprint(th, spec.context)
            html = None
            if job.previous.get(spec.path) != fp or not os.path.isfile(f"{job.out}/{spec.path}"):
                html = job.env.get_template(spec.template).render(spec.context)
        except Exception as exc:  # any template failure becomes a located ThemeError
            return _Made(family.id, family.key, (), (), problem=theme_error(exc, spec.template).problems[0])
        fps.append(fp)
        if html is not None:
            rendered.append(spec.path)
            if job.writer.put(spec.path, html.encode("utf-8")):
                written.append(spec.path)
    pages = tuple((s.path, s.template, s.owner) for s in specs)
    return _Made(family.id, family.key, pages, tuple(fps), tuple(rendered), tuple(written), None, new_hashes)


class _Background:
    """Runs ``func`` on a thread; `result` waits for it and returns its value or raises its exception."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._func = func
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="liangshai-search", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._func()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    @property
    def error(self) -> BaseException | None:
        """The exception ``func`` raised (after `join`), or None."""
        return self._error

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class Builder:
    """One warm builder per site; `serve` keeps it and calls `build` again."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.site_dir = options.site_dir.resolve()
        self._markup: MarkupRenderer | None = None
        self._search_pending: set[str] | None = None  # HTML paths changed since the index was built
        self._saved: SavedState | None = None  # the state the last build saved, for the next (state.SavedState)
        self._unsaved: _Unsaved | None = None  # a defer_save build's state, until it is saved

    def save_deferred(self) -> None:
        """Save the state a ``defer_save`` build left unsaved.

        Until then the folder has no state (it is withdrawn before every
        commit): another process would build it in full, never wrongly.
        """
        unsaved, self._unsaved = self._unsaved, None
        if unsaved is not None and unsaved.current():  # (another build's folder now: nothing of ours to save)
            self._saved = unsaved.save()

    def update_search(self, stop: threading.Event | None = None) -> list[Problem]:
        """Index what deferred builds changed (serve calls this after the reload is sent).

        ``stop``: set when the update should give way (serve: another change
        came in). Pagefind is stopped, the pages stay pending for the next call
        (the shards stay marked on disk too) and nothing is reported.
        """
        from generator.search.index import index_output

        pending, self._search_pending = self._search_pending, None
        if pending is None:
            return []
        if stop is not None and stop.is_set():  # before reading a page: the next build comes first
            self._search_pending = pending
            return []
        problems = index_output(self.options.output, bool(pending), pages=sorted(pending), stop=stop)
        if stop is not None and stop.is_set() and any(p.is_error for p in problems):
            self._search_pending = pending | (self._search_pending or set())
            return []
        return problems

    @property
    def markup(self) -> MarkupRenderer:
        if self._markup is None:
            from generator.parse.markup import MarkupRenderer

            self._markup = MarkupRenderer()
        return self._markup

    @property
    def jobs(self) -> int:
        return max(1, self.options.jobs or os.cpu_count() or 1)

    # -- parse + model --------------------------------------------------

    def load(self, state: BuildState | None = None, sources: Sources | None = None, head: str = "", store: BodyStore | None = None) -> Loaded:
        """``head``: the commit (`git_head`) the state's git history is reused at, if it was read there.

        ``store``: when many posts are parsed (a cold build), their body HTML
        goes straight into it as they arrive, so no process holds every post's
        HTML at once. The store is a cache addressed by content: an entry added
        by a build that then fails changes no page and vouches for nothing.
        Otherwise the HTML is returned in `Loaded.fresh_html` and stored only
        by a build that succeeds.
        """
        state = state or BuildState()
        problems: list[Problem] = []
        try:
            config = load_config(self.site_dir)
        except ConfigError as exc:
            return Loaded(None, exc.problems)
        sources = sources or discover(self.site_dir, state.documents, config.limits)
        problems.extend(sources.problems)
        units, unit_problems = self._units(config, sources)
        problems.extend(unit_problems)

        from generator.parse.markup import MARKUP_VERSION

        settings = _hash(PARSER_VERSION, MARKUP_VERSION, code_digest(), config)
        contexts = {slug: _hash(settings, u) for slug, u in units.items()}
        hits: list[_Parsed] = []
        cache: dict[str, CachedPost] = {}
        todo: list[str] = []
        only = self.options.only
        for rel in sources.posts:
            slug = rel.split("/")[1]
            if slug not in units:
                continue  # its unit folder already has an error
            if only is not None and rel not in only:
                continue  # not selected: its name still takes part in _unique_slugs
            hit = state.posts.get(rel)
            st = sources.stamps[rel]
            if (
                hit is not None
                and hit.stamp == (st.size, st.mtime_ns)
                and hit.context == contexts[slug]
                and _deps_hold(hit.deps, sources.files)
                and (hit.body is not None or (hit.post.draft and not self.options.drafts))
            ):
                hits.append(_Parsed(rel, hit.post, hit.body, hit.problems))
                cache[rel] = hit
            else:
                todo.append(rel)
        if len(todo) < PARALLEL_PARSE_MIN:
            store = None

        fresh_html: dict[str, str] = {}
        pending: list[tuple[str, str]] = []  # HTML on its way to the store
        posts: list[Post] = []
        for r in hits:
            problems.extend(r.problems)
            posts.append(r.post)  # type: ignore[arg-type]
        for r in self._parse_many(todo, config, units, sources.files):
            problems.extend(r.problems)
            if r.post is None:
                continue
            st = sources.stamps[r.rel]
            body = r.body
            if body is not None:
                if store is None:
                    fresh_html[body.digest] = body.html
                else:
                    pending.append((body.digest, body.html))
                    if len(pending) >= 256:
                        store.put_many(pending)
                        pending = []
                body = replace(body, html="")
            # The token covers every parsed field and the body's digest: the post's own
            # page is planned again exactly when it changes (lists use plan.summary_inputs).
            token = _hash(r.post, body.digest if body else None)
            cache[r.rel] = CachedPost((st.size, st.mtime_ns), contexts[r.post.unit], _deps(r.post, r.body, sources.files), r.post, r.problems, body, token, list_token(r.post))
            posts.append(r.post)
        if store is not None:
            store.put_many(pending)
        bodies: dict[str, RenderedBody] = {rel: c.body for rel, c in cache.items() if c.body is not None}

        kept, slug_problems = self._unique_slugs(posts, config)
        problems.extend(slug_problems)
        if only is not None:
            problems.extend(self._slugs_beside(kept, [r for r in sources.posts if r not in only]))
        published = [p for p in kept if self.options.drafts or not p.draft]
        held: tuple[str, ...] = ()
        if self.options.keep_going:
            # Left out of the model: every page, list, feed and figure is made without them.
            # Their cache entries (with their errors) stay in the state, so an unchanged held
            # post is held back again without being read, and a fixed one is parsed again.
            held = held_back(problems, sources.posts)
            published = [p for p in published if p.source not in set(held)]

        if head and state.history is not None and state.history[0] == _history_id(head, config.tz, state.history[1]):
            history = state.history[1]  # the same commit: git log would say the same
        elif only is not None:
            # a selective check: the whole repository's git log would be most of its time,
            # for lag warnings about posts that were not asked about
            history = History(False, "只检查了部分文章，未读取 git 历史。")
        else:
            history = read_history(self.site_dir, config.tz)
        model = SiteModel(
            config=config,
            units=tuple(sorted(units.values(), key=lambda u: (u.order, u.slug))),
            posts=tuple(sort_posts(published)),
            bodies=bodies,
            history=history,
            as_of=resolve_as_of(self.options.as_of, config),
        )
        tokens = {p.source: cache[p.source].token for p in model.posts}
        list_tokens = {p.source: t for p in model.posts if (t := cache[p.source].list_token)}
        return Loaded(model, sort_problems(problems), cache, fresh_html, tuple(todo), sources.documents(), tokens, settings, list_tokens, held)

    def _units(self, config: SiteConfig, sources: Sources) -> tuple[dict[str, Unit], list[Problem]]:
        problems: list[Problem] = []
        units: dict[str, Unit] = {}
        reserved = {urls.collision_key(r) for r in urls.RESERVED_TOP}
        for slug in sources.units:
            rel = f"content/{slug}/{UNIT_FILE}"
            if urls.collision_key(slug) in reserved:
                problems.append(error(rel, 1, f"单位文件夹名“{slug}”与网站自身的页面路径冲突（保留名：{'、'.join(urls.RESERVED_TOP)}），请改名。"))
                continue
            from generator.parse.post import parse_unit

            unit, probs = parse_unit((self.site_dir / rel).read_bytes(), rel, slug, config)
            problems.extend(probs)
            if unit:
                units[slug] = unit
        return units, problems

    def _parse_many(self, todo: list[str], config: SiteConfig, units: dict[str, Unit], files: dict[str, FileFacts]) -> Iterator[_Parsed]:
        """Parse ``todo``, yielding as results arrive (in forked workers when there are many)."""
        if self.jobs > 1 and len(todo) >= PARALLEL_PARSE_MIN:
            # Small chunks, consumed as they come: the parent holds a few chunks' HTML, not all of it.
            chunks = [todo[i : i + PARSE_CHUNK] for i in range(0, len(todo), PARSE_CHUNK)]
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(self.jobs, initializer=_init_worker, initargs=(self.site_dir, config, units, files, self.options.drafts)) as pool:
                for part in pool.imap(_parse_worker, chunks):
                    yield from part
            return
        for rel in todo:
            yield _parse_one(rel, self.site_dir, config, units, files, self.options.drafts, self.markup)

    def _unique_slugs(self, posts: list[Post], config: SiteConfig) -> tuple[list[Post], list[Problem]]:
        """One slug per unit: two files would publish to one page."""
        problems: list[Problem] = []
        seen: dict[tuple[str, str], Post] = {}
        kept: list[Post] = []
        reserved = {*urls.RESERVED_UNIT, *(s.key for s in config.sections)}
        reserved_keys = {urls.collision_key(r) for r in reserved}
        for p in sorted(posts, key=lambda p: p.source):
            key = (p.unit, urls.collision_key(p.slug))
            if key in seen:
                other = seen[key]
                problems.append(error(p.source, 1, f"文章网址名“{p.slug}”与 {other.source} 重复：同一单位内文件名（文章包则为文件夹名）不能相同，请改名其中一个。"))
                continue
            if urls.collision_key(p.slug) in reserved_keys:
                problems.append(error(p.source, 1, f"文件名“{p.slug}”与单位页面的栏目或支部网址冲突（保留名：{'、'.join(sorted(reserved))}），请改名。"))
                continue
            seen[key] = p
            kept.append(p)
        return kept, problems

    def _slugs_beside(self, posts: list[Post], others: list[str]) -> list[Problem]:
        """A selective check: the selected posts' slugs against the unselected posts' file
        names (a post's slug is its file or bundle name, `parse.post_slug`), unparsed.
        Reported on the selected post, naming the other file."""
        from generator.parse.post import post_slug

        names: dict[tuple[str, str], str] = {}
        units = {p.unit for p in posts}  # slugs are unique per unit: only these units' names matter
        for rel in others:
            unit = rel.split("/")[1]
            if unit in units:
                names.setdefault((unit, urls.collision_key(post_slug(rel)[0])), rel)
        problems: list[Problem] = []
        for p in posts:
            other = names.get((p.unit, urls.collision_key(p.slug)))
            if other is not None:
                problems.append(error(p.source, 1, f"文章网址名“{p.slug}”与 {other} 重复：同一单位内文件名（文章包则为文件夹名）不能相同，请改名其中一个。"))
        return problems

    def _touched(self, problem: Problem) -> bool:
        """A selective check reports the selected posts (and files in their bundles), their
        units' _unit.toml and folders, `BuildOptions.touched`, and everything outside the
        unit folders (site.toml, the theme)."""
        only = self.options.only
        if only is None or not problem.path.startswith("content/") or problem.path in only or problem.path in self.options.touched:
            return True
        parts = problem.path.split("/")
        if len(parts) == 3 and parts[2] == UNIT_FILE:
            return any(rel.split("/")[1] == parts[1] for rel in only)
        # a folder on a selected post's path (a unit folder without _unit.toml), or a file in its bundle
        return any(rel.startswith(problem.path + "/") or (rel.endswith("/index.md") and problem.path.startswith(rel[: -len("index.md")])) for rel in only)

    def check(self) -> tuple[Problem, ...]:
        loaded = self.load()
        if loaded.model is None:
            return loaded.problems
        problems = list(loaded.problems)
        try:
            plan = self._plan(loaded.model, compare=self.options.only is None)
            self._finish(loaded.model, plan, [(spec.path, spec.owner) for family in plan.todo for spec in family.make()])
            probs = plan.problems
        except LiangshaiError as exc:
            probs = list(exc.problems)
        problems.extend(probs)
        return sort_problems([p for p in problems if self._touched(p)])

    # -- plan -----------------------------------------------------------

    def _assets(self, theme: Theme) -> tuple[dict[str, str], list[FileSpec]]:
        assets: dict[str, str] = {}
        specs: list[FileSpec] = []
        for name, path in theme.static_files().items():
            data = path.read_bytes()
            stem, dot, ext = name.rpartition(".")
            if ext in ("css", "js") and dot:
                digest = hashlib.sha256(data).hexdigest()[:10]
                out = f"{urls.ASSETS}/{stem}.{digest}.{ext}"
            else:
                out = f"{urls.ASSETS}/{name}"
            assets[name] = out
            specs.append(FileSpec(out, "主题", data=data))
        return assets, specs

    def _plan(
        self,
        model: SiteModel,
        body_loader=None,
        loaded: Loaded | None = None,
        state: BuildState | None = None,
        out: Path | None = None,
        head: str = "",
        first: Callable[[_Plan, list[Family]], list[_Made]] | None = None,
        compare: bool = True,
    ) -> _Plan:
        """Plan every output; with ``loaded`` + ``state`` reuse the families whose key is unchanged.

        A family is reused only when the global key and its own key match the
        state's and each of its outputs is still on disk with a fingerprint;
        its pages are then neither planned nor fingerprinted (`_Plan.kept`).

        ``first``: in a small incremental build, the post pages of the posts
        parsed again (and of the posts beside them) are handed to it before
        anything else is planned, to be made at once (`_Plan.made`); see `_build`.
        """
        from generator.plan.compare import compare_outputs
        from generator.plan.metrics import lag_warnings
        from generator.search.index import search_outputs

        theme = resolve_theme(self.site_dir, model.config.theme)
        env = make_env(theme)
        assets, asset_specs = self._assets(theme)
        incremental = loaded is not None and state is not None and out is not None
        global_key = self._global_key(model, theme, env, assets, loaded) if incremental else ""
        previous = state.families if incremental and state is not None and state.global_key == global_key else {}
        planner = Planner(model, assets, body_loader, *((loaded.tokens, loaded.list_tokens) if incremental and loaded is not None else (None, None)))
        plan = _Plan(theme=theme, env=env, global_key=global_key, planner=planner)

        def reusable(fid: str, key: str) -> FamilyRecord | None:
            rec = previous.get(fid)
            if rec is None or not key or rec.key != key or state is None:
                return None
            for path, _, _ in rec.pages:
                if path not in state.pages or not os.path.isfile(f"{out}/{path}"):
                    return None
            for path, _ in rec.files:
                if path not in state.files or not os.path.isfile(f"{out}/{path}"):
                    return None
            return rec

        done: set[str] = set()
        if first is not None and incremental and previous and loaded is not None and len(loaded.parsed) <= EARLY_POSTS_MAX:
            # The pages most likely to change, and the only ones the search index reads.
            assert state is not None
            changed = {rel for rel in loaded.parsed if rel in loaded.tokens and (rel not in state.posts or state.posts[rel].token != loaded.tokens[rel])}
            # where the edited and the deleted posts stood: their neighbours then change too
            gone = [c.post for rel, c in state.posts.items() if (rel in changed or rel not in loaded.tokens) and (self.options.drafts or not c.post.draft)]
            todo = []
            if (changed or gone) and len(gone) <= EARLY_POSTS_MAX:
                todo = [f for f in planner.post_families(around=changed, was=gone) if reusable(f.id, f.key) is None]
            if todo:
                plan.made.extend(first(plan, todo))
                done = {f.id for f in todo}
        for family in planner.families():
            if family.id in done:
                continue
            rec = reusable(family.id, family.key)
            if rec is not None:
                plan.kept.extend(rec.pages)
                plan.families[family.id] = rec
                continue
            plan.todo.append(family)

        # The comparison index reads the counted fields of every post and the git history.
        ckey = planner.key("compare", model.as_of.isoformat(), _history_id(head, model.config.tz, model.history), [_compare_fields(p) for p in model.posts]) if incremental else ""
        rec = reusable("compare", ckey)
        if not compare:
            pass  # a selective check: the comparison of a few posts would count nothing true
        elif rec is not None:
            plan.kept.extend(rec.pages)
            plan.kept_files.extend(rec.files)
            plan.problems.extend(rec.problems)
            plan.families["compare"] = rec
        else:
            compare_pages, compare_files = compare_outputs(model, planner)
            lag = lag_warnings(model)
            plan.todo.append(Family("compare", ckey, lambda: compare_pages))
            plan.files.extend(compare_files)
            plan.problems.extend(lag)
            plan.families["compare"] = FamilyRecord(
                ckey, tuple((p.path, p.template, p.owner) for p in compare_pages), tuple((f.path, f.owner) for f in compare_files), tuple(lag)
            )

        plan.files.extend([*asset_specs, *file_specs(model, self.site_dir)])
        search_pages, search_files, search_problems = search_outputs(model, planner)
        plan.todo.append(Family("search", "", lambda: search_pages))
        plan.files.extend(search_files)
        plan.problems.extend(search_problems)
        return plan

    def _finish(self, model: SiteModel, plan: _Plan, pages: list[tuple[str, str]]) -> None:
        """Once every page is known (``pages``: (path, owner)): the feeds and sitemap, and path collisions."""
        from generator.plan.feeds import feed_outputs

        _, feed_files, feed_problems = feed_outputs(model, plan.planner, [path for path, _ in pages])
        plan.files.extend(feed_files)
        plan.problems.extend(feed_problems)
        claims: dict[str, list[tuple[str, str]]] = defaultdict(list)  # collision key → (owner, path)
        for path, owner in (*pages, *((f.path, f.owner) for f in plan.files), *plan.kept_files):
            claims[urls.collision_key(path)].append((owner, path))
        for owners in claims.values():
            if len(owners) > 1:
                sources = sorted({o for o, _ in owners if o.startswith("content/")}) or ["content"]
                named = sorted({f"{o}（{p}）" for o, p in owners})
                plan.problems.append(error(sources[0], 1, f"两个输出使用同一路径（不区分大小写）：{' 与 '.join(named)}。请给其中一个改名。"))

    def _global_key(self, model: SiteModel, theme: Theme, env, assets: dict[str, str], loaded: Loaded | None) -> str:
        """Everything every page family may show without hashing it itself (see plan.Family)."""
        templates = [(name, theme.template_source_hash(env, (name,))) for name in sorted(env.list_templates())]
        # Not the as-of day: only the unit pages (its year) and the comparison index show it,
        # and their keys hash it, so the first build of a day does not plan the whole site.
        return _hash(PLAN_VERSION, code_digest(), loaded.settings if loaded else "", model.units, self.options.drafts, assets, templates)

    # -- build ----------------------------------------------------------

    def input_key(self, sources: Sources, head: str | None = None) -> str | None:
        """A hash of every input a build reads, or None when it cannot be known.

        Equal keys mean equal outputs: the code, the options, the as-of day,
        site.toml, every theme file and every content file (by stamp), and the
        git commit the history comes from. It lets a no-op build stop before
        planning, which at 10,000 posts is most of its time.
        """
        if sources.problems:
            return None
        try:
            config = load_config(self.site_dir)
            theme = resolve_theme(self.site_dir, config.theme)
        except LiangshaiError:
            return None
        themes = []
        for d in (*theme.template_dirs, *theme.static_dirs):
            if d.is_dir():
                themes.extend((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(d.rglob("*")) if f.is_file())
        site_toml = self.site_dir / "site.toml"
        config_stamp = (site_toml.stat().st_size, site_toml.stat().st_mtime_ns) if site_toml.exists() else None
        stamps = sorted((rel, s.size, s.mtime_ns) for rel, s in sources.stamps.items())
        units = sorted((slug, (self.site_dir / "content" / slug / UNIT_FILE).stat().st_mtime_ns) for slug in sources.units)
        head = git_head(self.site_dir) if head is None else head
        return _hash(STATE_KEY_VERSION, code_digest(), self.options.drafts, self.options.keep_going, resolve_as_of(self.options.as_of, config), config_stamp, themes, stamps, units, head)

    def _limits(self) -> LimitsConfig:
        """The `[limits]` the load stage reads attachments under (defaults while site.toml is broken:
        the build then stops at the configuration's own error)."""
        try:
            return load_config(self.site_dir).limits
        except LiangshaiError:
            return LimitsConfig()

    def build(self) -> BuildResult:
        out = self.options.output
        fresh = not out.exists()
        from generator.search.index import release_warm

        try:
            result = self._build()
        finally:
            release_warm()  # a Pagefind service warmed up for this build and not used
        if fresh and not result.ok and out.is_dir() and all(p.name.startswith(".liangshai") for p in out.iterdir()):
            # A first build that failed leaves no output folder behind (only our caches were in it).
            import shutil

            shutil.rmtree(out, ignore_errors=True)
        return result

    def _build(self) -> BuildResult:
        start = time.perf_counter()
        out = self.options.output
        # A previous defer_save build's state, not saved yet, describes the folder as it is now
        # (the folder has none): this build starts from it; one that fails before its commit keeps it.
        if self._unsaved is not None and not self._unsaved.current():
            self._unsaved = None  # another build has written to the folder since
        unsaved = self._unsaved
        noop = NoopKey() if unsaved is not None else load_key(out, self._saved)
        sources = discover(self.site_dir, unsaved.state.documents if unsaved is not None else noop.documents, self._limits())
        head = git_head(self.site_dir)
        input_key = self.input_key(sources, head)
        if input_key is not None and input_key == noop.input_key and all(os.path.isfile(f"{out}/{p}") for p in noop.outputs):
            # Nothing any page depends on has changed: the output is already this build's.
            held = held_back(noop.problems, sources.posts) if self.options.keep_going else ()
            return BuildResult(noop.problems, outputs=len(noop.outputs), seconds=time.perf_counter() - start, held=held)
        state = unsaved.state if unsaved is not None else load_state(out, self._saved)
        recorded = recorded_outputs(out)  # before this build creates anything in the folder
        out.mkdir(parents=True, exist_ok=True)
        if not self.options.defer_search:
            from generator.search.index import warm_up

            warm_up(out)  # Pagefind loads its dictionaries on the other core while we parse and render
        store = BodyStore(out)
        loaded = self.load(state, sources, head, store)
        if loaded.model is None:
            store.close()
            return BuildResult(loaded.problems, seconds=time.perf_counter() - start)
        model = loaded.model
        problems = list(loaded.problems)

        def body_html(post: Post) -> str:
            body = model.bodies[post.source]
            html = loaded.fresh_html.get(body.digest)
            if html is None:
                html = store.get(body.digest)
            if html is None:  # not in the store (deleted or corrupt): render again from the source
                again = _parse_one(post.source, self.site_dir, model.config, {u.slug: u for u in model.units}, discover(self.site_dir, limits=model.config.limits).files, True, self.markup)
                html = again.body.html if again.body else ""
            return html

        out.mkdir(parents=True, exist_ok=True)
        writer = Writer(out)
        # Finding what a template extends or includes parses it: keep the answers while the theme is the same.
        template_hashes: dict[str, str] = {}
        jobs: list[_MakeJob] = []

        def job_for(plan: _Plan) -> _MakeJob:
            if not jobs:
                if plan.global_key and plan.global_key == state.global_key:
                    template_hashes.update(state.template_hashes)
                jobs.append(_MakeJob(plan.env, plan.theme, writer, store, template_hashes, state.pages, str(out)))
            return jobs[0]

        # A small update's search index is begun once the post pages are staged (search.EarlyIndex):
        # Pagefind then runs on the other core while the lists are planned and rendered, the
        # pages move into place and the state is saved.
        from generator.search.index import EarlyIndex, index_output, note_changing, small_update

        early: EarlyIndex | None = None
        early_thread: _Background | None = None

        def begin_search() -> None:
            nonlocal early, early_thread
            pages = [p for p in writer.staged if p.endswith(".html")]
            if early is None and pages and not self.options.defer_search and small_update(out, pages, OVERLAP_SEARCH_MAX):
                staged = writer.staging
                posts = [urls.post(p.unit, p.slug) for p in model.posts]
                early = EarlyIndex(out, pages, lambda page: staged / staged_name(page), posts)
                early_thread = _Background(early.run)
                # Its reading comes first: Pagefind can start only after it, and two busy
                # threads would only take turns at the interpreter.
                early.ready.wait()

        def abandon() -> None:
            """The build fails before its commit: the early search index writes nothing, the staged files go."""
            try:
                if early is not None and early_thread is not None:
                    early.proceed(None)
                    early_thread.join()
            finally:
                writer.abort()

        def make_first(plan: _Plan, families: list[Family]) -> list[_Made]:
            """The edited posts' pages, made while planning (see `_plan`), then the search begins on them."""
            made = [_make_one(f, job_for(plan)) for f in families]
            if all(m.problem is None for m in made):
                begin_search()
            return made

        try:
            with gc_paused():  # planning allocates many dicts and frees few (see gc_paused)
                plan = self._plan(model, body_html, loaded, state, out, head, make_first)
        except BaseException as exc:
            abandon()
            if isinstance(exc, LiangshaiError):
                return BuildResult(sort_problems([*problems, *exc.problems]), seconds=time.perf_counter() - start, model=model, parsed=loaded.parsed)
            raise
        problems.extend(plan.problems)
        if blocking(problems, loaded.held):
            abandon()
            return BuildResult(sort_problems(problems), seconds=time.perf_counter() - start, model=model, parsed=loaded.parsed)

        store.put_many(sorted(loaded.fresh_html.items()))
        loaded.fresh_html.clear()  # in the store now: the pages read them from there
        fingerprints: dict[str, str] = {}
        rendered: list[str] = []
        try:
            made = plan.made + self._make(plan.todo, job_for(plan), begin_search)
            render_problems = [m.problem for m in made if m.problem is not None][:1]
            if render_problems:
                abandon()
                return BuildResult(sort_problems([*problems, *render_problems]), seconds=time.perf_counter() - start, model=model, parsed=loaded.parsed)
            for m in made:
                plan.families.setdefault(m.id, FamilyRecord(m.key, m.pages))
                fingerprints.update(zip((path for path, _, _ in m.pages), m.fingerprints))
                rendered.extend(m.rendered)
                template_hashes.update(m.template_hashes)
            for path, _, _ in plan.kept:  # reused families: on disk and unchanged (checked in _plan)
                fingerprints[path] = state.pages[path]
            before = len(plan.problems)
            self._finish(model, plan, [(path, owner) for m in made for path, _, owner in m.pages] + [(path, owner) for path, _, owner in plan.kept])
            problems.extend(plan.problems[before:])
            late = [p for p in plan.problems[before:] if p.is_error]
            if late:  # two outputs on one path: nothing is published
                abandon()
                return BuildResult(sort_problems([*problems, *late]), seconds=time.perf_counter() - start, model=model, parsed=loaded.parsed)
            file_keys: dict[str, str] = {}
            for path, _ in plan.kept_files:
                file_keys[path] = state.files[path]
                writer.keep()
            for f in plan.files:
                if f.data is not None:
                    key = "d:" + hashlib.sha256(f.data).hexdigest()
                    same = state.files.get(f.path) == key and os.path.isfile(f"{out}/{f.path}")
                    writer.put(f.path, f.data, known_same=same)
                else:
                    assert f.source is not None
                    st = f.source.stat()
                    # "clean2": images (by content too) and office files are published without
                    # EXIF/GPS; the suffix makes copies made before that rule count as changed.
                    key = f"s:{f.source}:{st.st_size}:{st.st_mtime_ns}:clean2"
                    if state.files.get(f.path) == key and os.path.isfile(f"{out}/{f.path}"):
                        writer.keep()
                    else:
                        with open(f.source, "rb") as fh:
                            head = fh.read(32)
                        if needs_cleaning(f.path, head):
                            try:
                                writer.put(f.path, publishable_bytes(f.path, f.source.read_bytes(), model.config.limits))
                            except Unpublishable as exc:
                                # checked at load (this file changed since): never published as it is
                                abandon()
                                late = [error(f.owner, 1, f"附件“{f.path.rsplit('/', 1)[-1]}”{exc}。")]
                                return BuildResult(sort_problems([*problems, *late]), seconds=time.perf_counter() - start, model=model, parsed=loaded.parsed)
                        else:
                            writer.put_file(f.path, f.source)
                file_keys[f.path] = key
        except BaseException:
            abandon()
            raise
        planned = set(fingerprints) | set(file_keys)
        previous = state.outputs | recorded
        try:
            # The outputs a lost state would forget: recorded in a plain file that no state
            # version change invalidates, before anything moves, so a deleted post's page is
            # removed even after an interrupted commit or an upgrade that discards the state.
            record_outputs(out, previous | planned)
            # From here the output changes: first withdraw the state that vouches for the old files,
            # and say which post pages the search index will be behind until it is updated.
            self._unsaved = self._saved = None  # they describe the folder before this commit
            clear_state(out)
            note_changing(out, [*writer.staged, *(previous - planned)])
            if early is not None:
                early.ready.wait()  # it has read the staged pages it needs
            report = writer.commit(planned, previous)
        except BaseException:
            abandon()  # (the pages already moved are listed in CHANGING for the next build)
            raise
        html = [p for p in (*report.written, *report.deleted) if p.endswith(".html")]
        search: _Background | None = None
        started = threading.Event()
        index_problems: list[Problem] = []
        searched = False
        if early is not None:
            # Pagefind has been at it since the post pages were staged: the thread installs
            # its shards, or indexes these pages as below if they are not what it read.
            early.proceed(html)
            search = early_thread
            started.set()
            if len(html) > OVERLAP_SEARCH_MAX:  # a big update after all: not beside the state save (memory)
                index_problems, search, searched = early_thread.result(), None, True  # type: ignore[union-attr]
        elif self.options.defer_search:
            self._search_pending = (self._search_pending or set()) | set(html)
        elif small_update(out, html, OVERLAP_SEARCH_MAX):
            # Pagefind indexes on the other core while this one saves the state below. The
            # search's own Python work (which pages, which shards) comes first (`started`):
            # two busy threads would only take turns at the interpreter.
            search = _Background(lambda: index_output(out, bool(html), pages=html, started=started))

        new_state = BuildState(
            pages=fingerprints,
            files=file_keys,
            posts=dict(sorted(loaded.cache.items())),
            documents=loaded.documents,
            global_key=plan.global_key,
            families=plan.families,
            history=(_history_id(head, model.config.tz, model.history), model.history) if head and model.history.available else None,
            template_hashes=template_hashes if plan.global_key else {},
        )

        def save() -> SavedState:
            store.keep_only({b.digest for b in model.bodies.values()})
            store.close()
            return save_state(out, new_state)

        def seal(saved: SavedState, index_problems: list[Problem]) -> None:
            # Last, the key that lets the next build stop early. A failed (or deferred) search
            # index must be retried next time: then no input key vouches for this output.
            save_key(
                out,
                NoopKey(
                    "" if index_problems or self.options.defer_search else (input_key or ""),
                    tuple(sort_problems([*problems, *index_problems])),
                    tuple(sorted(saved.state.outputs)),
                    loaded.documents,
                    saved.digest,
                ),
            )
            record_outputs(out, planned)

        result = BuildResult(
            sort_problems(problems),
            rendered=tuple(rendered),
            written=report.written,
            deleted=report.deleted,
            outputs=len(planned),
            seconds=0.0,
            parsed=loaded.parsed,
            planned=tuple(sorted(path for m in made for path, _, _ in m.pages)),
            model=model,
            held=loaded.held,
        )
        if self.options.defer_save and self.options.defer_search:
            store.close()  # (opened again to tidy it when the state is saved)

            def later() -> SavedState:
                saved = save()
                seal(saved, [])
                return saved

            self._unsaved = _Unsaved(new_state, later, out, file_signature(out / OUTPUTS_FILE))
            return replace(result, seconds=time.perf_counter() - start)
        try:
            if search is not None:
                started.wait()
            self._saved = save()
        except BaseException as exc:
            if search is not None:
                search.join()  # never leave the index being written behind a failed build
                if search.error is not None:
                    exc.add_note(f"搜索索引同时也失败了：{search.error!r}")
            raise
        if search is not None:
            index_problems = search.result()
        elif not self.options.defer_search and not searched:
            # A big re-index takes seconds either way. After the state is saved, not
            # beside it: the pickler's memory and the search's are never needed at once
            # (the builder's peak at 10,000 posts).
            index_problems = index_output(out, bool(html), pages=html)
        seal(self._saved, index_problems)
        return replace(result, problems=sort_problems([*problems, *index_problems]), seconds=time.perf_counter() - start)

    def _make(self, families: list[Family], job: _MakeJob, posts_staged: Callable[[], None] | None = None) -> list[_Made]:
        """Plan, fingerprint and render ``families``: in forked workers when there are many.

        Each worker plans its share of the families itself, so no process ever
        holds every page context (a cold build at 10,000 posts has 12,766).
        In this process, the post pages are made first and ``posts_staged``
        is called before the others (`search.EarlyIndex`); results keep the
        order of ``families``.
        """
        if self.jobs > 1 and len(families) >= PARALLEL_RENDER_MIN:
            _RENDER_JOB.update(families=families, job=job)
            try:
                n = self.jobs * 4
                made = _map_parallel(_make_worker, [list(range(i, len(families), n)) for i in range(n)], self.jobs)
            finally:
                _RENDER_JOB.clear()
            job.writer.adopt(sorted(path for m in made for path in m.written))
            return made
        made: list[_Made | None] = [None] * len(families)
        posts = [i for i, f in enumerate(families) if f.id.startswith("post:")]
        for i in posts:
            made[i] = _make_one(families[i], job)
        if posts_staged is not None and all(made[i].problem is None for i in posts):  # type: ignore[union-attr]
            posts_staged()
        for i, f in enumerate(families):
            if made[i] is None:
                made[i] = _make_one(f, job)
        return made  # type: ignore[return-value]


__all__ = ["Builder", "BuildOptions", "BuildResult"]
