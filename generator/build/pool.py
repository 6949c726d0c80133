"""Build: the worker pools that parse posts and render page families on every core.

Workers are started by a ``forkserver``: a clean process, started once, that
has imported the generator and forks each worker from itself. A worker never
inherits the builder's threads (serve's HTTP and watcher threads, the search
thread) or its children (a warmed-up Pagefind service), as a plain ``fork``
of the builder would. So everything a worker gets travels by pickle: a
`ParseJob` once per worker, then post paths; for rendering, a `FamilySource`
(the model and what the planner needs) and a `MakeJob`, pickled once into a
file in the staging folder that each worker reads, then family ids. Each
render worker plans its own families from the model, so no process holds
every page context at once.

The module globals below are set once per worker process by its initializer
and never change after.
"""

from __future__ import annotations

import multiprocessing
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from generator.build.parsing import BodyLoader, Parsed, ParseJob, parse_one
from generator.core.model import SiteModel
from generator.plan.pages import Family, Planner
from generator.render.pages import FixedPages, Made, MakeJob, make_family

if TYPE_CHECKING:
    from generator.parse.markup import MarkupRenderer

# Imported by the forkserver once, so that each worker it forks starts with them loaded.
# (jinja2 by name: render.theme imports it only where a template is compiled, so a no-op build never does)
_PRELOAD = ["generator.build.pool", "generator.parse.markup", "generator.parse.post", "generator.plan.feeds", "jinja2"]

_PARSE: dict[str, Any] = {}  # in a parse worker: its ParseJob and Markdown renderer
_RENDER: dict[str, Any] = {}  # in a render worker: its MakeJob and the families by id


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def start_server() -> None:
    """Start the forkserver now, without waiting: it imports the generator on another core while
    this one reads the site, and the first pool then starts at once (a cold build)."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


@dataclass(frozen=True)
class FamilySource:
    """What a render worker plans its families from: the planner's inputs (picklable)."""

    model: SiteModel
    assets: dict[str, str]
    loader: BodyLoader
    tokens: dict[str, str] | None
    list_tokens: dict[str, str] | None
    fixed: tuple[Family, ...] = ()  # families planned already (`render.pages.FixedPages`: they pickle)

    def families(self) -> dict[str, Family]:
        planner = Planner(self.model, self.assets, self.loader, self.tokens, self.list_tokens)
        return {f.id: f for f in (*planner.families(), *self.fixed)}


# -- parse ------------------------------------------------------------------------


def _init_parse(job: ParseJob) -> None:
    from generator.parse.markup import MarkupRenderer

    _PARSE.update(job=job, markup=MarkupRenderer())


def _parse_chunk(rels: list[str]) -> list[Parsed]:
    job: ParseJob = _PARSE["job"]
    markup: MarkupRenderer = _PARSE["markup"]
    return [parse_one(rel, job, markup) for rel in rels]


def parse_parallel(todo: list[str], job: ParseJob, jobs: int, chunk: int) -> Iterator[Parsed]:
    """Parse ``todo`` in ``jobs`` workers, yielding as chunks arrive (the parent holds a few chunks' HTML)."""
    chunks = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
    with _context().Pool(jobs, initializer=_init_parse, initargs=(job,)) as pool:
        for part in pool.imap(_parse_chunk, chunks):
            yield from part


# -- render -----------------------------------------------------------------------


def _init_render(path: str) -> None:
    with open(path, "rb") as f:
        source, job = pickle.load(f)
    _RENDER.update(job=job.in_worker(), families=source.families())


def _make_chunk(ids: list[str]) -> list[Made]:
    job: MakeJob = _RENDER["job"]
    families: dict[str, Family] = _RENDER["families"]
    return [make_family(families[i], job) for i in ids]


def make_parallel(families: list[Family], source: FamilySource, job: MakeJob, jobs: int) -> list[Made]:
    """Make ``families`` (the planner's and ``source.fixed``) in ``jobs`` workers, in their order.

    Shares are dealt round-robin (``jobs * 4`` of them) so big and small
    families mix; the workers' staged files are adopted by ``job.writer``.
    """
    n = jobs * 4
    shares = [[f.id for f in families[i::n]] for i in range(n)]
    # The source is pickled once, into a file the workers read, not once per worker into
    # memory: at 10,000 posts it is ~28 MB of pickle (0.4 s each time), and the bytes and
    # their copy added ~90 MB to the builder's peak beside the pickler's own memo (~40 MB).
    # (In the staging folder: a build that is killed leaves it where the next one clears.)
    job.writer.staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=job.writer.staging, prefix="render-source-", suffix=".pickle") as f:
        pickle.dump((source, job.for_worker()), f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        with _context().Pool(jobs, initializer=_init_render, initargs=(f.name,)) as pool:
            results = pool.map(_make_chunk, shares)
    by_id = {m.id: m for part in results for m in part}
    made = [by_id[f.id] for f in families]
    job.writer.adopt(sorted(path for m in made for path in m.written))
    return made


def make_families(
    families: list[Family],
    job: MakeJob,
    jobs: int,
    posts_staged: Callable[[], None] | None = None,
    source: FamilySource | None = None,
) -> list[Made]:
    """Plan, fingerprint and render ``families`` (`Builder._stage`): in ``jobs`` worker processes when more than one.

    Each worker plans its share of the planner's families itself (from
    ``source``; families planned already, `FixedPages`, travel whole), so
    no process ever holds every page context (a cold build at 10,000 posts
    has 12,766). In this process, the post pages are made first and
    ``posts_staged`` is called before the others (`search.EarlyIndex`);
    results keep the order of ``families``.
    """
    if jobs > 1 and source is not None:
        return make_parallel(families, replace(source, fixed=tuple(f for f in families if isinstance(f.make, FixedPages))), job, jobs)
    made: list[Made | None] = [None] * len(families)
    posts = [i for i, f in enumerate(families) if f.id.startswith("post:")]
    for i in posts:
        made[i] = make_family(families[i], job)
    if posts_staged is not None and all(m.problem is None for i in posts if (m := made[i]) is not None):
        posts_staged()
    return [m if m is not None else make_family(f, job) for f, m in zip(families, made, strict=True)]
