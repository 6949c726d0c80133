"""Render stage: plan, fingerprint and render one page family (`make_family`).

A page is rendered only when its fingerprint (its whole template context plus
its templates, `plan.pages.fingerprint`) differs from the one the last build
saved, or its file is gone; only changed bytes are staged (`write.output.Writer`).
When the search index is to be made whole, each page's shard is read here
too, from the bytes in hand (`MakeJob.member`, `search.index.WholeIndex`).
The same function runs in this process and in the render workers
(`build.pool`), so everything it needs travels in one picklable `MakeJob`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from generator.core.digests import template_digest
from generator.core.errors import Problem
from generator.plan.pages import Family, PageSpec, fingerprint
from generator.render.theme import Theme, make_env, referenced_templates, theme_error
from generator.write.output import Writer


@dataclass(frozen=True)
class MakeJob:
    """What planning and rendering a family needs (shared with the render workers)."""

    env: Any  # the theme's Jinja environment; None in a copy sent to a worker (`for_worker`)
    theme: Theme
    writer: Writer
    template_hashes: dict[str, str]  # template → `template_digest` (filled as met, per process)
    previous: dict[str, str]  # output path → fingerprint of the last build
    out: str
    code: str  # `core.digests.code_digest`, as the builder read it
    # `search.shards.member_of` when the search index is made whole (`search.index.WholeIndex`): each page's shard
    # and filters, read here from its bytes (beside the rendering, on every core) rather than from disk after the commit
    member: Callable[[str, bytes | None, str], Any] | None = None

    def for_worker(self) -> MakeJob:
        """A copy that pickles: no Jinja environment (the worker makes its own)."""
        return replace(self, env=None)

    def in_worker(self) -> MakeJob:
        return replace(self, env=make_env(self.theme)) if self.env is None else self


@dataclass(frozen=True)
class Made:
    """One family planned (and its changed pages rendered)."""

    id: str
    key: str
    pages: tuple[tuple[str, str, str], ...]  # (path, template, owner)
    fingerprints: tuple[str, ...]
    rendered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    problem: Problem | None = None
    template_hashes: dict[str, str] = field(default_factory=dict)  # worked out here, for the state
    members: tuple[tuple[str, Any], ...] = ()  # (path, `search.shards.Member`) of its post pages, with `MakeJob.member`


def _template_hash(spec: PageSpec, job: MakeJob, new_hashes: dict[str, str]) -> str:
    th = job.template_hashes.get(spec.template)
    if th is None:  # once per template and process: parsing a template is slow
        sources = job.theme.template_source_hash(job.env, referenced_templates(job.env, spec.template))
        th = job.template_hashes[spec.template] = new_hashes[spec.template] = template_digest(job.code, sources)
    return th


def make_family(family: Family, job: MakeJob) -> Made:
    """Plan ``family``'s pages, fingerprint them and render and stage those that changed.

    A template failure is returned as the family's `Made.problem` (located by
    `theme_error`), never raised: the builder reports the first one.
    """
    new_hashes: dict[str, str] = {}
    rendered: list[str] = []
    written: list[str] = []
    fps: list[str] = []
    members: list[tuple[str, Any]] = []
    specs = family.make()
    for spec in specs:
        try:
            fp = fingerprint(_template_hash(spec, job, new_hashes), spec.context)
            html = None
            if job.previous.get(spec.path) != fp or not os.path.isfile(f"{job.out}/{spec.path}"):
                html = job.env.get_template(spec.template).render(spec.context)
        except Exception as exc:  # any template failure becomes a located ThemeError
            return Made(family.id, family.key, (), (), problem=theme_error(exc, spec.template).problems[0])
        fps.append(fp)
        data = None if html is None else html.encode("utf-8")
        if data is not None:
            rendered.append(spec.path)
            if job.writer.put(spec.path, data):
                written.append(spec.path)
        if job.member is not None and (found := job.member(spec.path, data, job.out)) is not None:
            members.append((spec.path, found))
    pages = tuple((s.path, s.template, s.owner) for s in specs)
    return Made(family.id, family.key, pages, tuple(fps), tuple(rendered), tuple(written), None, new_hashes, tuple(members))


@dataclass(frozen=True)
class FixedPages:
    """A family's ``make`` for pages planned already (the comparison index, the search page): picklable."""

    pages: tuple[PageSpec, ...]

    def __call__(self) -> list[PageSpec]:
        return list(self.pages)
