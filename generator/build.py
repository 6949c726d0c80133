"""All stages: the `Builder` runs load → parse → model → plan → render → write.

`build` and `serve` both call `Builder.build`; there is no second rendering
path. The builder collects problems from every stage and writes nothing when
any of them is an error, so a failed build leaves the previous output as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import urls
from .config import SiteConfig, load_config
from .errors import ConfigError, Kind, LiangshaiError, Problem, ThemeError, error, sort_problems
from .history import read_history
from .markup import MarkupRenderer
from .model import Post, RenderedBody, SiteModel, Unit
from .parse import UNIT_FILE, FileFacts, parse_post, parse_unit
from .plan import FileSpec, PageSpec, Planner, file_specs, sort_posts
from .sources import discover
from .theme import make_env, resolve_theme, theme_error
from .write import Writer


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    drafts: bool = False
    as_of: dt.date | None = None

    @property
    def output(self) -> Path:
        return (self.out_dir or self.site_dir / "build").resolve()


@dataclass(frozen=True)
class BuildResult:
    problems: tuple[Problem, ...]
    rendered: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    outputs: int = 0
    seconds: float = 0.0
    model: SiteModel | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


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
    """Everything the parse and model stages produced (no HTML pages yet)."""

    model: SiteModel | None
    problems: tuple[Problem, ...]


class Builder:
    """One warm builder per site; `serve` keeps it and calls `build` again."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.site_dir = options.site_dir.resolve()
        self._markup: MarkupRenderer | None = None

    @property
    def markup(self) -> MarkupRenderer:
        if self._markup is None:
            self._markup = MarkupRenderer()
        return self._markup

    # -- parse + model --------------------------------------------------

    def load(self) -> Loaded:
        problems: list[Problem] = []
        try:
            config = load_config(self.site_dir)
        except ConfigError as exc:
            return Loaded(None, exc.problems)
        sources = discover(self.site_dir)
        problems.extend(sources.problems)

        units: dict[str, Unit] = {}
        for slug in sources.units:
            rel = f"content/{slug}/{UNIT_FILE}"
            if slug in urls.RESERVED_TOP or urls.collision_key(slug) in {urls.collision_key(r) for r in urls.RESERVED_TOP}:
                problems.append(error(rel, 1, f"单位文件夹名“{slug}”与网站自身的页面路径冲突（保留名：{'、'.join(urls.RESERVED_TOP)}），请改名。"))
                continue
            unit, probs = parse_unit((self.site_dir / rel).read_bytes(), rel, slug, config)
            problems.extend(probs)
            if unit:
                units[slug] = unit

        posts: list[Post] = []
        for rel in sources.posts:
            unit_slug = rel.split("/")[1]
            unit = units.get(unit_slug)
            if unit is None:
                continue  # its unit folder already has an error
            try:
                raw = (self.site_dir / rel).read_bytes()
            except OSError as exc:
                problems.append(error(rel, 1, f"无法读取文件：{exc.strerror}。"))
                continue
            post, probs = parse_post(raw, rel, unit, config, sources.files)
            problems.extend(probs)
            if post is not None:
                posts.append(post)

        # one slug per unit: two files would publish to one page
        seen: dict[tuple[str, str], Post] = {}
        kept: list[Post] = []
        for p in posts:
            key = (p.unit, urls.collision_key(p.slug))
            if key in seen:
                other = seen[key]
                problems.append(
                    error(p.source, 1, f"文章网址名“{p.slug}”与 {other.source} 重复：同一单位内文件名（文章包则为文件夹名）不能相同，请改名其中一个。")
                )
                continue
            if p.slug in urls.RESERVED_UNIT or p.slug in {s.key for s in config.sections}:
                problems.append(error(p.source, 1, f"文件名“{p.slug}”与单位页面的栏目或支部网址冲突（保留名：{'、'.join([*urls.RESERVED_UNIT, *(s.key for s in config.sections)])}），请改名。"))
                continue
            seen[key] = p
            kept.append(p)

        published = [p for p in kept if self.options.drafts or not p.draft]
        bodies: dict[str, RenderedBody] = {}
        final: list[Post] = []
        for p in published:
            body, resources, probs = self.markup.render(p, sources.files)
            problems.extend(probs)
            bodies[p.source] = body
            final.append(replace(p, extra_files=resources) if resources else p)

        history = read_history(self.site_dir, config.tz)
        as_of = resolve_as_of(self.options.as_of, config)
        model = SiteModel(
            config=config,
            units=tuple(sorted(units.values(), key=lambda u: (u.order, u.slug))),
            posts=tuple(sort_posts(final)),
            bodies=bodies,
            history=history,
            as_of=as_of,
        )
        return Loaded(model, sort_problems(problems))

    def check(self) -> tuple[Problem, ...]:
        loaded = self.load()
        if loaded.model is None:
            return loaded.problems
        problems = list(loaded.problems)
        _, _, probs = self._plan(loaded.model)
        problems.extend(probs)
        return sort_problems(problems)

    # -- plan -----------------------------------------------------------

    def _assets(self, theme) -> tuple[dict[str, str], list[FileSpec]]:
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

    def _plan(self, model: SiteModel) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
        from .compare import compare_outputs
        from .feeds import feed_outputs
        from .search import search_outputs

        theme = resolve_theme(self.site_dir, model.config.theme)
        assets, asset_specs = self._assets(theme)
        planner = Planner(model, assets)
        pages = planner.plan()
        compare_pages, compare_files = compare_outputs(model, planner)
        pages.extend(compare_pages)
        files = [*asset_specs, *file_specs(model, self.site_dir), *compare_files]
        problems: list[Problem] = []
        for extra in (feed_outputs, search_outputs):
            more_pages, more_files, more_problems = extra(model, planner)
            pages.extend(more_pages)
            files.extend(more_files)
            problems.extend(more_problems)
        claims: dict[str, list[str]] = defaultdict(list)
        for spec in (*pages, *files):
            claims[urls.collision_key(spec.path)].append(f"{spec.owner}（{spec.path}）")
        for key, owners in sorted(claims.items()):
            if len(owners) > 1:
                first = owners[0].split("（")[0]
                where = first if first.startswith("content/") else (owners[1].split("（")[0] if owners[1].startswith("content/") else "content")
                problems.append(error(where, 1, f"两个输出使用同一路径（不区分大小写）：{' 与 '.join(sorted(set(owners)))}。请给其中一个改名。"))
        return pages, files, problems

    # -- build ----------------------------------------------------------

    def build(self) -> BuildResult:
        start = time.perf_counter()
        loaded = self.load()
        if loaded.model is None:
            return BuildResult(loaded.problems, seconds=time.perf_counter() - start)
        model = loaded.model
        problems = list(loaded.problems)
        try:
            pages, files, probs = self._plan(model)
        except LiangshaiError as exc:
            return BuildResult(sort_problems([*problems, *exc.problems]), seconds=time.perf_counter() - start, model=model)
        problems.extend(probs)
        if any(p.is_error for p in problems):
            return BuildResult(sort_problems(problems), seconds=time.perf_counter() - start, model=model)

        out = self.options.output
        out.mkdir(parents=True, exist_ok=True)
        writer = Writer(out)
        theme = resolve_theme(self.site_dir, model.config.theme)
        env = make_env(theme)
        rendered: list[str] = []
        try:
            for spec in pages:
                try:
                    html = env.get_template(spec.template).render(spec.context)
                except Exception as exc:  # any template failure becomes a located ThemeError
                    raise theme_error(exc, spec.template) from None
                writer.put(spec.path, html.encode("utf-8"))
                rendered.append(spec.path)
            for f in files:
                if f.data is not None:
                    writer.put(f.path, f.data)
                elif f.source is not None:
                    writer.put_file(f.path, f.source)
        except ThemeError as exc:
            writer.abort()
            return BuildResult(sort_problems([*problems, *exc.problems]), seconds=time.perf_counter() - start, model=model)
        except BaseException:
            writer.abort()
            raise
        from .state import load_state, save_state

        planned = {s.path for s in pages} | {f.path for f in files}
        previous = load_state(out)
        report = writer.commit(planned, previous)
        save_state(out, planned)
        from .search import index_output

        problems.extend(index_output(out, any(p.endswith(".html") for p in (*report.written, *report.deleted))))
        return BuildResult(
            sort_problems(problems),
            rendered=tuple(rendered),
            written=report.written,
            deleted=report.deleted,
            outputs=len(planned),
            seconds=time.perf_counter() - start,
            model=model,
        )


__all__ = ["Builder", "BuildOptions", "BuildResult", "Kind", "FileFacts"]
