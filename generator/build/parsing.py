"""Build, parse phase: one post read, parsed, its body rendered and privacy-scanned.

`parse_one` runs in this process or in a parse worker (`build.pool`): its
arguments and its result (`Parsed`) pickle. `BodyLoader` gives the planner a
post's body HTML from wherever it is (rendered in this run, the body store, or
rendered again), and pickles too, for the render workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.digests import body_digest
from generator.core.errors import Problem, error
from generator.core.model import Attachment, FileFacts, Post, RenderedBody, Unit
from generator.load.config import SiteConfig
from generator.write.state import BodyStore

if TYPE_CHECKING:  # imported where used: a no-op build never loads Markdown or YAML
    from generator.parse.markup import MarkupRenderer

EXCERPT_CHARS = 240

Deps = tuple[tuple[str, FileFacts | None], ...]


@dataclass(frozen=True)
class Parsed:
    """One post's parse + body render, as returned by a worker."""

    rel: str
    post: Post | None
    body: RenderedBody | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class ParseJob:
    """What parsing any post of the site needs (sent once to each parse worker)."""

    site_dir: Path
    config: SiteConfig
    units: dict[str, Unit]
    files: dict[str, FileFacts]
    drafts: bool
    code: str  # `core.digests.code_digest`, as the builder read it


def _render_body(post: Post, job: ParseJob, markup: MarkupRenderer, problems: list[Problem]) -> tuple[tuple[Attachment, ...] | None, RenderedBody | None, list[Problem]]:
    """The body rendered and scanned: the files it brought with it (None: refused), the body, the problems."""
    from generator.parse.markup import MARKUP_VERSION, reader_lines
    from generator.parse.post import rendered_problems

    rendered, resources, probs = markup.render(post, job.files)
    problems.extend(probs)
    # The privacy scan of what readers get (entities, inline markup, comments undone).
    # A post with a finding there is refused like one with a finding in its source:
    # no page, and its HTML never reaches the body store next to the output.
    before = set(problems)
    problems = rendered_problems(post, reader_lines(rendered.html), job.config, problems)
    if any(p.is_error and p not in before for p in problems):
        return None, None, problems
    digest = body_digest(MARKUP_VERSION, job.code, post.source, post.body, tuple((link, job.files.get(link) is not None) for link in sorted(rendered.links)))
    # Pages and feeds show at most the first EXCERPT_CHARS of the text: keep no more.
    body = replace(rendered, digest=digest, text=rendered.text[:EXCERPT_CHARS])
    return tuple(resources), body, problems


def parse_one(rel: str, job: ParseJob, markup: MarkupRenderer) -> Parsed:
    """Read, parse and (unless it is an unpublished draft) render one post."""
    from generator.parse.post import parse_post

    unit = job.units[rel.split("/")[1]]
    try:
        raw = (job.site_dir / rel).read_bytes()
    except OSError as exc:
        return Parsed(rel, None, None, (error(rel, 1, f"无法读取文件：{exc.strerror}。"),))
    post, problems = parse_post(raw, rel, unit, job.config, job.files)
    if post is None:
        return Parsed(rel, None, None, tuple(problems))
    body = None
    resources: tuple[Attachment, ...] = ()
    if job.drafts or not post.draft:
        from generator.parse.probable import image_problems, probable_problems

        problems.extend(probable_problems(post, raw, job.config))  # placeholders, stub records: warnings
        brought, body, problems = _render_body(post, job, markup, problems)
        if brought is None:
            return Parsed(rel, None, None, tuple(problems))
        resources = brought
        problems.extend(image_problems(post, resources, raw, job.config))  # photos published smaller
    # The one step after parse: the Markdown stays in its file (the body store keeps the HTML),
    # and the files the rendered body brought with it join the post's published files.
    return Parsed(rel, replace(post, body="", extra_files=resources), body, tuple(problems))


def deps_of(post: Post, body: RenderedBody | None, files: dict[str, FileFacts]) -> Deps:
    """The files a cached parse depends on, with the facts it saw (size, symlink, document text)."""
    paths = {a.source for a in (*post.attachments, *post.extra_files)}
    if body is not None:
        paths.update(body.links)
    return tuple((p, files.get(p)) for p in sorted(paths))


def deps_hold(deps: Iterable[tuple[str, FileFacts | None]], files: dict[str, FileFacts]) -> bool:
    """Each referenced file is as the cached parse saw it (`write.state.CachedPost.deps`)."""
    return all(files.get(path) == facts for path, facts in deps)


@dataclass
class BodyLoader:
    """A post's body HTML for the planner: rendered in this run, else from the store, else rendered again.

    Picklable (the render workers plan their own families): the store's
    connection is not sent, a worker opens its own.
    """

    bodies: Mapping[str, RenderedBody]
    fresh: dict[str, str]  # body digest → HTML rendered in this run, not in the store yet
    out: Path
    job: ParseJob
    _store: BodyStore | None = field(default=None, repr=False)
    _again_with: tuple[ParseJob, MarkupRenderer] | None = field(default=None, repr=False)  # (`_again`)

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_store": None, "_again_with": None}

    def __call__(self, post: Post) -> str:
        body = self.bodies[post.source]
        html = self.fresh.get(body.digest)
        if html is None:
            if self._store is None:
                self._store = BodyStore(self.out)
            html = self._store.get(body.digest)
        if html is None:  # not in the store (deleted or corrupt): render again from the source
            html = self._again(post)
        return html

    def close(self) -> None:
        """Close the store's connection, if a body was read from it."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _again(self, post: Post) -> str:
        # A store that lost one body (deleted or corrupt) lost them all: the site's files are
        # read and the renderer made once per loader, not once per body (a template edit after
        # the store was deleted took 7.6 s for 1,000 bodies, each walking content/ again).
        if self._again_with is None:
            from generator.load.sources import discover
            from generator.parse.markup import MarkupRenderer

            files = discover(self.job.site_dir, limits=self.job.config.limits).files
            self._again_with = (replace(self.job, files=files, drafts=True), MarkupRenderer())
        job, markup = self._again_with
        again = parse_one(post.source, job, markup)
        return again.body.html if again.body else ""
