"""Build: the `Builder` runs the pipeline as named phases over frozen records.

`build` and `serve` both call `Builder.build`; there is no second rendering
path. A build is, in order (`Builder._build`):

1. inputs  — the no-op check: same input key (`core.digests.build_input_key`), stop (`_inputs`);
2. load    — site.toml, units, sources (`load`);
3. parse   — cached posts reused, the others parsed (`build.loading`, `build.pool`);
4. model   — slugs, held-back posts, git history, the `SiteModel` (`_model`);
5. plan    — page families, reused or to make (`_plan`);
6. render  — families planned, fingerprinted and rendered (`_stage`, `pool.make_families`, `_finish`);
7. stage   — the files beside the pages (`render.files.stage_files`, in `_stage`);
8. commit  — record outputs → clear state → note changing → commit (`_commit`);
9. index   — the search index, beside the state save or after it (`_start_index`);
10. save   — the state, then the no-op key (seal) (`_save_and_index`, `_save`, `_seal`).

Problems from every phase are collected; an error stops the build before its
commit through one path (`Stop`), which abandons what was staged, so a failed
build leaves the previous output as it was.

Incremental by construction, at three levels:

- parse: a post whose file stamp, settings and referenced files are unchanged
  is taken from the saved state without being read;
- plan: pages are planned by family (`plan.Family`); a family whose key (the
  tokens of the posts it lists) is unchanged is not planned at all, so a
  one-post edit builds a few dozen page contexts, not every page's;
- render/write: a planned page is rendered only when its fingerprint (its whole
  template context plus its templates) differs from the one saved, and only
  changed bytes are written.

A cold build parses and renders on every core (`build.pool`): parsed bodies
stream into the body store, and each render worker plans its own share of the
families, so no process holds every page context at once. A small build makes
its post pages first and starts the search index on them (`search.EarlyIndex`)
before the lists, so Pagefind works on the other core while this one finishes.
A first build starts its whole index once every page is staged, beside the
staging of the other files, the commit and the save (`search.index.WholeIndex`).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.background import Background as _Background
from generator.build.crosspost import crosspost_problems
from generator.build.inputs import Found, find_inputs, history_key, saved_history_key, site_config
from generator.build.loading import edited_pages, plan_inputs, post_plan_problems, reuse_parses, take_parses
from generator.build.parsing import EXCERPT_CHARS, BodyLoader, Parsed, ParseJob, parse_one
from generator.build.phases import Indexing, Inputs, Plan, Planning, Staged, Stop, finish_plan, plan_compare, plan_goals
from generator.build.planning import Look, Reuse, early_families, edits_only, keep_previous
from generator.build.preview import Shown, edit_pages, write_first
from generator.build.pool import FamilySource, make_families, parse_parallel, start_server
from generator.build.records import BuildOptions, BuildResult, Loaded, Unsaved, blocking, held_back, output_folder_problem, owner_post, resolve_as_of, touched
from generator.core import urls
from generator.core.digests import code_digest, parse_settings, plan_key, unit_context
from generator.core.errors import ConfigError, LiangshaiError, Problem, sort_problems
from generator.core.model import History, Post, SiteModel, Unit
from generator.load.config import LimitsConfig, SiteConfig, load_config
from generator.load.git import git_head
from generator.load.history import read_history
from generator.load.sources import Sources, discover
from generator.load.units import load_units
from generator.parse.slugs import slugs_beside, unique_slugs
from generator.plan.pages import Family, Planner, file_specs, sort_posts
from generator.render.assets import fingerprint_assets
from generator.render.cms import admin_files
from generator.render.files import stage_files
from generator.render.pages import FixedPages, Made, MakeJob, make_family
from generator.render.theme import make_env, resolve_theme
from generator.write.output import Writer, WriteReport, staged_name
from generator.write.state import (
    OUTPUTS_FILE,
    BodyStore,
    BuildState,
    CachedPost,
    FamilyRecord,
    NoopKey,
    SavedState,
    clear_state,
    file_signature,
    gc_paused,
    load_key,
    load_state_noted,
    record_outputs,
    recorded_outputs,
    save_key,
    save_state,
)

if TYPE_CHECKING:  # imported where used: a no-op build never loads Markdown or YAML
    from generator.parse.markup import MarkupRenderer
    from generator.search.index import EarlyIndex, SearchIndex

# Bump when parsing rules change in a way the saved state must not survive.
PARSER_VERSION = "2"
PLAN_VERSION = "2"  # bump when a family's pages come to depend on something its key does not hash
# Below these counts a process pool costs more than it saves.
PARALLEL_PARSE_MIN = 400
PARALLEL_RENDER_MIN = 600
# Up to this many posts parsed again, their pages are made first (`Builder._plan`'s ``first``): the search begins on them.
EARLY_POSTS_MAX = 200
# Up to this many changed HTML pages (and no full re-index pending: search.small_update), the
# search index is updated on a thread while the state is saved (an edit's ~0.2 s); more, and
# they run one after the other (memory).
OVERLAP_SEARCH_MAX = 2000
PARSE_CHUNK = 64

# The public names, and those tests and other stages import from here (some moved to build.*).
__all__ = [
    "EXCERPT_CHARS", "BuildOptions", "BuildResult", "Builder", "Loaded", "blocking", "code_digest", "git_head",
    "held_back", "output_folder_problem", "owner_post", "read_history", "record_outputs", "resolve_as_of",
]


class _Run:
    """One build between its phases: the staged output, the render job and the early search index.

    A small class instead of closures over shared variables: the phases read
    and set these attributes by name.
    """

    def __init__(self, builder: Builder, inputs: Inputs, loaded: Loaded, store: BodyStore) -> None:
        assert loaded.model is not None
        self.options = builder.options
        self.search = builder.search
        self.inputs, self.loaded, self.model, self.store = inputs, loaded, loaded.model, store
        self.out = inputs.out
        self.writer = Writer(inputs.out)
        job = ParseJob(builder.site_dir, self.model.config, {u.slug: u for u in self.model.units}, {}, True, code_digest())
        self.loader = BodyLoader(self.model.bodies, loaded.fresh_html, inputs.out, job, store)
        self.template_hashes: dict[str, str] = {}  # template → digest, for the state
        self.job: MakeJob | None = None
        self.early: EarlyIndex | None = None
        self.early_thread: _Background | None = None
        # The index will be made whole (a first build): the workers read the pages' shards (`begin_whole`).
        self.whole = not self.options.defer_search and self.search.whole_update(self.out)
        self.recorded: set[str] | None = None  # the outputs `record_outputs` listed at the commit

    def job_for(self, look: Look) -> MakeJob:
        if self.job is None:
            # Finding what a template extends or includes parses it: keep the answers while the theme is the same.
            if look.global_key and look.global_key == self.inputs.state.global_key:
                self.template_hashes.update(self.inputs.state.template_hashes)
            from generator.search.shards import member_of  # (no job in a no-op build)

            self.job = MakeJob(look.env, look.theme, self.writer, self.template_hashes, self.inputs.state.pages, str(self.out), code_digest(), member_of if self.whole else None)
        return self.job

    def family_source(self, plan: Plan) -> FamilySource:
        return FamilySource(self.model, plan.look.assets, self.loader, self.loaded.tokens, self.loaded.list_tokens)

    def begin_search(self, hold: bool = False) -> None:
        """A small update's search index begins once the post pages are staged (search.EarlyIndex); ``hold``: the rest
        of the build is small (bodies or titles edited, `edits_only`: not a new post's lists, 0.6 s at 10,000 posts)."""
        pages = [p for p in self.writer.staged if p.endswith(".html")]
        if self.early is None and pages and not self.options.defer_search and self.search.small_update(self.out, pages, OVERLAP_SEARCH_MAX):
            staged = self.writer.staging
            posts = [urls.post(p.unit, p.slug) for p in self.model.posts]
            self.early = self.search.early(self.out, pages, lambda page: staged / staged_name(page), posts)
            self.early_thread = _Background(self.early.run)
            # Its reading first (two busy threads only take turns at the interpreter), then (``hold``) Pagefind's:
            # on both cores (~150 pages at 10,000 posts: 0.14 s alone, 0.24 s beside planning); then it uses one.
            (self.early.read if hold else self.early.ready).wait()

    def begin_whole(self, made: tuple[Made, ...], kept: Collection[str]) -> None:
        """The whole search index begins once every page is staged, with the shards the workers read (`search.index.WholeIndex`).
        Not when a family ``kept`` from the last build has a post page (only the index was lost): after the commit, then."""
        from generator.search.shards import is_post_page

        if not self.whole or self.early is not None or any(is_post_page(path) for path in kept):
            return
        staged = self.writer.staging
        members = {path: member for m in made for path, member in m.members}
        pages = [path for m in made for path, _, _ in m.pages]
        self.early = self.search.whole(self.out, members, pages, lambda page: staged / staged_name(page), self.writer.staged)
        self.early_thread = _Background(self.early.run)

    def make_first(self, look: Look, families: list[Family], hold: bool = False) -> list[Made]:
        """The edited posts' pages, made while planning (see `Builder._plan`), then the search begins on them (``hold``: `begin_search`)."""
        made = [make_family(f, self.job_for(look)) for f in families]
        if all(m.problem is None for m in made):
            self.begin_search(hold)
        return made

    def abandon(self) -> None:
        """The build fails before its commit: the early search index writes nothing, the staged files go."""
        try:
            if self.early is not None and self.early_thread is not None:
                self.early.proceed(None)
                self.early_thread.join()
        finally:
            self.writer.abort()


class Builder:
    """One warm builder per site; `serve` keeps it and calls `build` again."""

    def __init__(self, options: BuildOptions, search: SearchIndex | None = None):
        self.options = options
        # The builder's search index owns the Pagefind service warmed up for its builds;
        # tests hand in one with their own indexer (`search.indexer.ShardIndexer`).
        if search is None:
            from generator.search.index import SearchIndex  # imported here: a no-op build reads no search code

            search = SearchIndex()
        self.search = search
        self.site_dir = options.site_dir.resolve()
        self._markup: MarkupRenderer | None = None
        self._search_pending: set[str] | None = None  # HTML paths changed since the index was built
        self._saved: SavedState | None = None  # the state the last build saved, for the next (state.SavedState)
        self._unsaved: Unsaved | None = None  # a defer_save build's state, until it is saved
        self._shown: Shown | None = None  # serve: the last good build's model, for `preview_first`

    def save_deferred(self) -> None:
        """Save the state a ``defer_save`` build left unsaved.

        Until then the folder has no state (it is withdrawn before every
        commit): another process would build it in full, never wrongly.
        """
        unsaved, self._unsaved = self._unsaved, None
        if unsaved is not None and unsaved.current():  # (another build's folder now: nothing of ours to save)
            self._saved = unsaved.save(unsaved.state)

    def preview_first(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        """serve's fast render (`build.preview`): when ``paths`` (saved, site-relative) are posts whose
        body or title alone changed, write the pages that changes now (`write_first`) and return
        them; the build of the same paths must follow. () otherwise: the build alone is exact.
        """
        out = self.options.output
        if self._shown is None or not (self.options.defer_save and self.options.defer_search) or self.options.keep_going:
            return ()
        if self._unsaved is not None and self._unsaved.current():
            unsaved = self._unsaved
        elif self._saved is not None and self._saved.current(out):
            unsaved = Unsaved(self._saved.state, functools.partial(save_state, out), out, None)
        else:
            return ()
        pages = edit_pages(self._shown, unsaved.state, paths, self.markup, out)
        if not pages:
            return ()
        self._saved, self._unsaved = None, write_first(unsaved, pages)
        self._search_pending = (self._search_pending or set()) | {path for path, _ in pages}
        return tuple(path for path, _ in pages)

    def update_search(self, stop: threading.Event | None = None) -> list[Problem]:
        """Index what deferred builds changed (serve calls this after the reload is sent).

        ``stop``: set when the update should give way (serve: another change
        came in). Pagefind is stopped, the pages stay pending for the next call
        (the shards stay marked on disk too) and nothing is reported.
        """
        pending, self._search_pending = self._search_pending, None
        if pending is None:
            return []
        if stop is not None and stop.is_set():  # before reading a page: the next build comes first
            self._search_pending = pending
            return []
        problems = self.search.index_output(self.options.output, bool(pending), pages=sorted(pending), stop=stop)
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

    # -- load, parse, model ---------------------------------------------

    def load(self, state: BuildState | None = None, sources: Sources | None = None, head: str = "", store: BodyStore | None = None) -> Loaded:
        """``head``: the commit (`git_head`) the state's git history is reused at, if it was read there.

        ``store``: when many posts are parsed (a cold build), their body HTML
        goes straight into it as they arrive, so no process holds every post's
        HTML at once. The store is a cache addressed by content: an entry added
        by a build that then fails changes no page and vouches for nothing.
        Otherwise the HTML is returned in `Loaded.fresh_html` and stored only
        by a build that succeeds.
        """
        from generator.parse.markup import MARKUP_VERSION

        state = state or BuildState()
        try:
            config = load_config(self.site_dir)
        except ConfigError as exc:
            return Loaded(None, exc.problems)
        sources = sources or discover(self.site_dir, state.documents, config.limits)
        units, unit_problems = load_units(self.site_dir, config, sources)
        settings = parse_settings(PARSER_VERSION, MARKUP_VERSION, code_digest(), config)
        contexts = {slug: unit_context(settings, u) for slug, u in units.items()}
        cache, todo = reuse_parses(state, sources, units, contexts, self.options)
        problems = [*sources.problems, *unit_problems, *(p for c in cache.values() for p in c.problems)]
        posts = [c.post for c in cache.values()]
        job = ParseJob(self.site_dir, config, units, sources.files, self.options.drafts, code_digest())
        fresh_html = take_parses(self._parse_many(todo, job), sources, contexts, cache, problems, store if len(todo) >= PARALLEL_PARSE_MIN else None)
        posts.extend(cache[rel].post for rel in todo if rel in cache)
        model, held = self._model(config, units, sources, cache, posts, problems, state, head)
        tokens = {p.source: cache[p.source].token for p in model.posts}
        list_tokens = {p.source: t for p in model.posts if (t := cache[p.source].list_token)}
        return Loaded(model, sort_problems(problems), cache, fresh_html, tuple(todo), sources.documents(), tokens, settings, list_tokens, held)

    def _parse_many(self, todo: list[str], job: ParseJob) -> Iterator[Parsed]:
        """Parse ``todo``, yielding as results arrive (in workers when there are many)."""
        if self.jobs > 1 and len(todo) >= PARALLEL_PARSE_MIN:
            yield from parse_parallel(todo, job, self.jobs, PARSE_CHUNK)
            return
        for rel in todo:
            yield parse_one(rel, job, self.markup)

    def _model(
        self, config: SiteConfig, units: dict[str, Unit], sources: Sources, cache: dict[str, CachedPost], posts: list[Post], problems: list[Problem], state: BuildState, head: str
    ) -> tuple[SiteModel, tuple[str, ...]]:
        """The site model of the posts kept (slugs unique, not held back), and the posts held back."""
        only = self.options.only
        kept, slug_problems = unique_slugs(posts, config)
        problems.extend(slug_problems)
        if only is not None:
            problems.extend(slugs_beside(kept, [r for r in sources.posts if r not in only]))
        published = [p for p in kept if self.options.drafts or not p.draft]
        plans, plan_problems = plan_inputs(self.site_dir, sources, config, units)  # 目标管理 (issue 18)
        problems.extend([*plan_problems, *post_plan_problems(self.site_dir, plans, published)])
        held: tuple[str, ...] = ()
        if self.options.keep_going:
            # Left out of the model: every page, list, feed and figure is made without them.
            # Their cache entries (with their errors) stay in the state, so an unchanged held
            # post is held back again without being read, and a fixed one is parsed again.
            held = held_back(problems, sources.posts)
            published = [p for p in published if p.source not in set(held)]
        as_of = resolve_as_of(self.options.as_of, config)
        problems.extend(crosspost_problems(published, config, as_of, self.site_dir))  # the same post twice, records from the future
        model = SiteModel(
            config=config,
            units=tuple(sorted(units.values(), key=lambda u: (u.order, u.slug))),
            posts=tuple(sort_posts(published)),
            bodies={rel: c.body for rel, c in cache.items() if c.body is not None},
            history=self._history(config, state, head),
            plans=plans,
            as_of=as_of,
        )
        return model, held

    def _history(self, config: SiteConfig, state: BuildState, head: str) -> History:
        if head and state.history is not None and state.history[0] == history_key(head, config.tz, state.history[1]):
            return state.history[1]  # the same commit: git log would say the same
        if self.options.only is not None:
            # a selective check: the whole repository's git log would be most of its time,
            # for lag warnings about posts that were not asked about
            return History(False, "只检查了部分文章，未读取 git 历史。")
        return read_history(self.site_dir, config.tz)

    def check(self) -> tuple[Problem, ...]:
        loaded = self.load()
        if loaded.model is None:
            return loaded.problems
        problems = list(loaded.problems)
        try:
            # check writes nothing: the comparison's xlsx downloads (openpyxl) are not made
            plan = self._plan(loaded.model, self._look(loaded.model), compare=self.options.only is None, workbooks=False)
            plan = self._finish(loaded.model, plan, [(spec.path, spec.owner) for family in plan.todo for spec in family.make()])
            probs = list(plan.problems)
        except LiangshaiError as exc:
            probs = list(exc.problems)
        problems.extend(probs)
        return sort_problems([p for p in problems if touched(self.options, p)])

    # -- plan -----------------------------------------------------------

    def _look(self, model: SiteModel, loaded: Loaded | None = None) -> Look:
        """The theme, its environment and assets; with ``loaded`` (a build, not a check) the plan key."""
        theme = resolve_theme(self.site_dir, model.config.theme)
        env = make_env(theme)
        assets, asset_specs = fingerprint_assets(theme)
        global_key = ""
        if loaded is not None:
            # Everything every page family may show without hashing it itself (see plan.Family).
            # Not the as-of day: only the unit pages (its year) and the comparison index show it,
            # and their keys hash it, so the first build of a day does not plan the whole site.
            templates = [(name, theme.template_source_hash(env, (name,))) for name in sorted(env.list_templates())]
            global_key = plan_key(PLAN_VERSION, code_digest(), loaded.settings, model.units, self.options.drafts, assets, templates, model.plans.outline)
        return Look(theme, env, assets, tuple(asset_specs), global_key)

    def _plan(
        self,
        model: SiteModel,
        look: Look,
        body_loader: Callable[[Post], str] | None = None,
        loaded: Loaded | None = None,
        state: BuildState | None = None,
        out: Path | None = None,
        head: str = "",
        first: Callable[[Look, list[Family], bool], list[Made]] | None = None,
        compare: bool = True,
        workbooks: bool = True,
        store: BodyStore | None = None,
    ) -> Plan:
        """Plan every output; with ``loaded`` + ``state`` reuse the families whose key is unchanged.

        A family is reused only when the global key and its own key match the
        state's and each of its outputs is still on disk with a fingerprint;
        its pages are then neither planned nor fingerprinted (`Plan.kept`).

        ``first``: in a small incremental build, the post pages of the posts
        parsed again (and of the posts beside them) are handed to it before
        anything else is planned, to be made at once (`Plan.made`); see `_build`.
        ``store``: where the comparison's figures are kept for the next build (`phases.MetricsMemo`).
        """
        incremental = loaded is not None and state is not None and out is not None
        previous = state.families if incremental and state is not None and state.global_key == look.global_key else {}
        reuse = Reuse(previous, state, out)
        planner = Planner(model, look.assets, body_loader, *((loaded.tokens, loaded.list_tokens) if incremental and loaded is not None else (None, None)))
        parts = Planning()
        done: set[str] = set()
        kept: str | None = None  # every other family kept as the last build left it, and why (`_plan_first`)
        if first is not None and previous and loaded is not None and state is not None and len(loaded.parsed) <= EARLY_POSTS_MAX:
            done, kept = self._plan_first(planner, loaded, state, reuse, parts, functools.partial(first, look), head)
        if not kept:
            parts.take_all(planner.families(), reuse, done)
        if compare:  # (not in a selective check: the comparison of a few posts would count nothing true)
            history = history_key(head, model.config.tz, model.history) if incremental else None
            plan_compare(model, planner, reuse, parts, history, workbooks, unchanged=kept in ("body", "title"), memo=(store, look.global_key) if store is not None else None)
            plan_goals(model, planner, reuse, parts, history)
        parts.files.extend([*look.asset_specs, *file_specs(model, self.site_dir), *admin_files(model.config, model.units, look.assets)])
        search_pages, search_files, search_problems = self.search.outputs(model, planner)
        parts.todo.append(Family("search", "", FixedPages(tuple(search_pages))))
        parts.files.extend(search_files)
        parts.problems.extend(search_problems)
        return parts.frozen(look, planner, kept)

    def _plan_first(self, planner: Planner, loaded: Loaded, state: BuildState, reuse: Reuse, parts: Planning, first: Callable[[list[Family], bool], list[Made]], head: str) -> tuple[set[str], str | None]:
        """The changed posts' pages, made before the rest is planned (`early_families`): their family ids, and the
        `edits_only` scope under which every other family of the last build was kept (`keep_previous`), or None."""
        todo = early_families(planner, loaded.parsed, loaded.tokens, state, reuse, self.options.drafts, EARLY_POSTS_MAX)
        done, m = {f.id for f in todo}, planner.m
        seen = saved_history_key(head, m.config.tz, m.history)
        scope = None if self.options.keep_going else edits_only(state, loaded.cache, loaded.parsed, m.as_of.isoformat(), seen)
        if todo:
            parts.made.extend(first(todo, scope in ("body", "title")))
        if scope in ("title", "added"):  # the families listing the posts are planned (keyed), the others kept
            for family in planner.families(only=loaded.parsed, whole=scope == "added"):
                if family.id not in done:
                    parts.take(family, reuse)
                    done.add(family.id)
        return done, scope if scope is not None and keep_previous(reuse, done, parts.keep) else None

    def _finish(self, model: SiteModel, plan: Plan, pages: list[tuple[str, str]], previous: BuildState | None = None) -> Plan:
        """Once every page is known (``pages``: (path, owner)): the plan with the feeds and sitemap, and path collisions."""
        return finish_plan(model, plan, pages, previous)

    # -- build ----------------------------------------------------------

    def build(self, found: Found | None = None) -> BuildResult:
        """Build once (``found``: the caller's no-op check of this folder, `build.inputs.find_inputs`, when it had one)."""
        out = self.options.output
        fresh = not out.exists()

        try:
            result = self._build(found)
        finally:
            self.search.release()  # a Pagefind service warmed up for this build and not used
        if not result.ok:
            self._shown = None  # the fast render (`preview_first`) starts again from a good build
        if fresh and not result.ok and out.is_dir() and all(p.name.startswith(".liangshai") for p in out.iterdir()):
            # A first build that failed leaves no output folder behind (only our caches were in it).
            import shutil

            shutil.rmtree(out, ignore_errors=True)
        return result

    def _build(self, found: Found | None) -> BuildResult:
        """The phases in order (see the module docstring); every error before the commit stops at `Stop`."""
        start = time.perf_counter()
        inputs = self._inputs(found)
        if isinstance(inputs, BuildResult):  # nothing any page depends on has changed
            return replace(inputs, seconds=time.perf_counter() - start)
        store = BodyStore(inputs.out)
        loaded = self.load(inputs.state, inputs.sources, inputs.head, store)
        if loaded.model is None:
            store.close()
            return BuildResult(loaded.problems, seconds=time.perf_counter() - start)
        run = _Run(self, inputs, loaded, store)
        try:
            staged = self._stage(run)
        except Stop as stop:
            run.abandon()
            return BuildResult(sort_problems(stop.problems), seconds=time.perf_counter() - start, model=run.model, parsed=loaded.parsed, notes=inputs.notes)
        except BaseException:
            run.abandon()
            raise
        report = self._commit(run, staged)
        result = self._save_and_index(run, staged, report)
        return replace(result, seconds=time.perf_counter() - start)

    def _inputs(self, found: Found | None) -> Inputs | BuildResult:
        """The no-op check (``found``: made already by the caller, `build.inputs`), and the state this build starts from."""
        out = self.options.output
        # A previous defer_save build's state, not saved yet, describes the folder as it is now
        # (the folder has none): this build starts from it; one that fails before its commit keeps it.
        if self._unsaved is not None and not self._unsaved.current():
            self._unsaved = None  # another build has written to the folder since
        unsaved = self._unsaved
        if found is None or unsaved is not None or self._saved is not None:
            noop = NoopKey() if unsaved is not None else load_key(out, self._saved)
            found = find_inputs(self.site_dir, self.options, noop, unsaved.state.documents if unsaved is not None else noop.documents)
        if found.unchanged(out):
            return found.result(self.options)
        sources, head, input_key = found.sources, found.head, found.key
        recorded = frozenset(recorded_outputs(out))  # before this build creates anything in the folder
        out.mkdir(parents=True, exist_ok=True)
        if not self.options.defer_search and not self.search.warming:  # (`build_checked` may have warmed one up)
            self.search.warm_up(out)  # Pagefind loads its dictionaries on the other core while we load, parse and render
        state, note = (unsaved.state, "") if unsaved is not None else load_state_noted(out, self._saved)
        if not state.posts and self.jobs > 1:
            start_server()  # a cold build parses in worker processes: their server starts beside the loading
        self.search.preread(out, lambda: edited_pages(state, sources))  # the warmed-up Pagefind then reads their shard as it is
        return Inputs(out, sources, head, input_key, state, recorded, (note,) if note else ())

    def _stage(self, run: _Run) -> Staged:
        """Plan, render and stage every output; raises `Stop` with the problems that block the build."""
        try:
            with gc_paused(kept=True):  # planning allocates many dicts and frees few (see gc_paused)
                plan = self._plan(run.model, self._look(run.model, run.loaded), run.loader, run.loaded, run.inputs.state, run.out, run.inputs.head, run.make_first, store=run.store)
        except LiangshaiError as exc:
            raise Stop([*run.loaded.problems, *exc.problems]) from exc
        problems = [*run.loaded.problems, *plan.problems]
        if blocking(problems, run.loaded.held):
            raise Stop(problems)
        run.store.put_many(sorted(run.loaded.fresh_html.items()))
        run.loader.fresh = {}  # in the store now: the pages read them from there
        made = (*plan.made, *make_families(list(plan.todo), run.job_for(plan.look), self.jobs if len(plan.todo) >= PARALLEL_RENDER_MIN else 1, run.begin_search, run.family_source(plan)))
        render_problems = [m.problem for m in made if m.problem is not None][:1]
        if render_problems:
            raise Stop([*problems, *render_problems])
        run.begin_whole(made, [path for path, _, _ in plan.kept])
        fingerprints: dict[str, str] = {}
        for m in made:
            fingerprints.update(zip((path for path, _, _ in m.pages), m.fingerprints, strict=True))
            run.template_hashes.update(m.template_hashes)
        for path, _, _ in plan.kept:  # reused families: on disk and unchanged (checked in _plan)
            fingerprints[path] = run.inputs.state.pages[path]
        before = len(plan.problems)
        # The families are made: their page contexts (at 10,000 posts the comparison grid
        # alone is ~100,000 cells, ~35 MB) are not held through the save and the search index.
        plan = replace(plan, todo=(), made=())
        plan = self._finish(run.model, plan, [(path, owner) for m in made for path, _, owner in m.pages] + [(path, owner) for path, _, owner in plan.kept], run.inputs.state)
        problems.extend(plan.problems[before:])
        if any(p.is_error for p in plan.problems[before:]):  # two outputs on one path: nothing is published
            raise Stop(problems)
        files = stage_files(plan.files, plan.kept_files, run.inputs.state.files, run.out, run.writer, run.model.config.limits)
        if files.problem is not None:
            raise Stop([*problems, files.problem])
        rendered = tuple(path for m in made for path in m.rendered)
        # Staged: what the files were made of (the xlsx's figures, ~10 MB at 10,000 posts) goes too.
        return Staged(replace(plan, files=()), made, fingerprints, rendered, files.keys, tuple(problems))

    def _commit(self, run: _Run, staged: Staged) -> WriteReport:
        """record outputs → clear state → note changing → commit: the output changes only here."""

        out, planned = run.out, staged.planned
        previous = run.inputs.state.outputs | run.inputs.recorded
        try:
            # The outputs a lost state would forget: recorded in a plain file that no state
            # version change invalidates, before anything moves, so a deleted post's page is
            # removed even after an interrupted commit or an upgrade that discards the state.
            run.recorded = previous | planned
            record_outputs(out, run.recorded)
            # From here the output changes: first withdraw the state that vouches for the old files,
            # and say which post pages the search index will be behind until it is updated.
            self._unsaved = self._saved = None  # they describe the folder before this commit
            clear_state(out)
            run.search.note_changing(out, [*run.writer.staged, *(previous - planned)])
            if run.early is not None:
                run.early.ready.wait()  # it has read the staged pages it needs
            return run.writer.commit(set(planned), previous)
        except BaseException:
            run.abandon()  # (the pages already moved are listed in CHANGING for the next build)
            raise

    def _start_index(self, run: _Run, html: list[str]) -> Indexing:
        """Index the changed pages: on a thread beside the state save when few, else after it."""

        started = threading.Event()
        if run.early is not None and run.early_thread is not None:
            # Pagefind has been at it since the post pages were staged: the thread installs
            # its shards, or indexes these pages as below if they are not what it read.
            run.early.proceed(html)
            started.set()
            if len(html) > OVERLAP_SEARCH_MAX and not run.whole:  # a big update after all: not beside the state save (memory)
                return Indexing(None, started, tuple(run.early_thread.result()), True)
            return Indexing(run.early_thread, started)
        if self.options.defer_search:
            self._search_pending = (self._search_pending or set()) | set(html)
        elif run.search.small_update(run.out, html, OVERLAP_SEARCH_MAX):
            # Pagefind indexes on the other core while this one saves the state below. The
            # search's own Python work (which pages, which shards) comes first (`started`):
            # two busy threads would only take turns at the interpreter.
            return Indexing(_Background(functools.partial(run.search.index_output, run.out, bool(html), pages=html, started=started)), started)
        return Indexing(None, started)

    def _save_and_index(self, run: _Run, staged: Staged, report: WriteReport) -> BuildResult:
        """index → save → seal (a ``defer_save`` build leaves the last two to `save_deferred`)."""

        out, model = run.out, run.model
        html = [p for p in (*report.written, *report.deleted) if p.endswith(".html")]
        indexing = self._start_index(run, html)
        plan = staged.plan
        new_state = BuildState(
            pages=staged.fingerprints,
            files=staged.file_keys,
            posts=dict(sorted(run.loaded.cache.items())),
            documents=run.loaded.documents,
            global_key=plan.global_key,
            families={**plan.families, **{m.id: FamilyRecord(m.key, m.pages) for m in staged.made if m.id not in plan.families}},
            history=(seen, model.history) if (seen := saved_history_key(run.inputs.head, model.config.tz, model.history)) else None,
            template_hashes=run.template_hashes if plan.global_key else {},
            as_of=model.as_of.isoformat(),
            shards=run.inputs.state.shards,  # the files the unchanged units' posts are in already (`save_state`)
        )
        result = BuildResult(
            sort_problems(staged.problems),
            rendered=staged.rendered,
            written=report.written,
            deleted=report.deleted,
            outputs=len(staged.planned),
            parsed=run.loaded.parsed,
            planned=tuple(sorted(path for m in staged.made for path, _, _ in m.pages)),
            model=model,
            held=run.loaded.held, notes=run.inputs.notes,
        )
        if self.options.defer_save and self.options.defer_search:
            run.store.close()  # (opened again to tidy it when the state is saved)
            later = functools.partial(self._save_and_seal, run, staged)
            self._unsaved = Unsaved(new_state, later, out, file_signature(out / OUTPUTS_FILE))
            job = ParseJob(self.site_dir, model.config, {u.slug: u for u in model.units}, run.inputs.sources.files, self.options.drafts, code_digest())
            self._shown = Shown(model, plan.look, job)
            return result
        try:
            if indexing.thread is not None:
                indexing.started.wait()
            self._saved = self._save(run, new_state)
        except BaseException as exc:
            if indexing.thread is not None:
                indexing.thread.join()  # never leave the index being written behind a failed build
                if indexing.thread.error is not None:
                    exc.add_note(f"搜索索引同时也失败了：{indexing.thread.error!r}")
            raise
        index_problems = list(indexing.problems)
        if indexing.thread is not None:
            index_problems = indexing.thread.result()
        elif not self.options.defer_search and not indexing.done:
            # A big re-index takes seconds either way. After the state is saved, not
            # beside it: the pickler's memory and the search's are never needed at once
            # (the builder's peak at 10,000 posts).
            index_problems = run.search.index_output(out, bool(html), pages=html)
        self._seal(run, staged, self._saved, index_problems)
        return replace(result, problems=sort_problems([*staged.problems, *index_problems]))

    def _save(self, run: _Run, new_state: BuildState) -> SavedState:
        run.store.keep_only({b.digest for b in run.model.bodies.values()})
        run.store.close()
        return save_state(run.out, new_state)

    def _seal(self, run: _Run, staged: Staged, saved: SavedState, index_problems: list[Problem]) -> None:
        # Last, the key that lets the next build stop early. A failed (or deferred) search
        # index must be retried next time: then no input key vouches for this output.
        input_key = run.inputs.input_key
        save_key(
            run.out,
            NoopKey(
                "" if index_problems or self.options.defer_search else (input_key or ""),
                tuple(sort_problems([*staged.problems, *index_problems])),
                tuple(sorted(saved.state.outputs)),
                run.loaded.documents,
                saved.digest,
            ),
        )
        if run.recorded != set(staged.planned):  # (the same list when no output went: an edit's usual case)
            record_outputs(run.out, set(staged.planned))

    def _save_and_seal(self, run: _Run, staged: Staged, new_state: BuildState) -> SavedState:
        """A ``defer_save`` build's save, when `save_deferred` asks for it."""
        saved = self._save(run, new_state)
        self._seal(run, staged, saved, [])
        return saved
