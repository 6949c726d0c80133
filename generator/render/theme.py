"""Render stage: the Jinja environment and the theme fallback chain.

``theme = "x"`` looks for each template in the site's ``themes/x/templates``,
then the site's ``themes/default/templates``, then the default theme shipped
with liangshai, template by template: a school overrides one file without
copying the theme. Static files fall back the same way, file by file.
Autoescape is on and undefined names are errors (StrictUndefined), so a typo in
a template fails the build with the template's name and line.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.errors import Kind, ThemeError, error
from generator.core.urls import href

if TYPE_CHECKING:  # Jinja is imported where a template is compiled or its error read: a no-op build
    import jinja2  # only resolves the theme's folders (build.inputs), and Jinja's import is ~0.02 s of it


def _bundled_themes() -> Path:
    """The themes shipped with liangshai: inside the package when installed from a
    wheel (``generator/_themes``, see pyproject.toml), else the checkout's ``themes/``."""
    here = Path(__file__).resolve().parent.parent  # the package root (generator/)
    shipped = here / "_themes"
    return shipped if (shipped / "default" / "templates").is_dir() else here.parent / "themes"


BUNDLED_THEMES = _bundled_themes()


@dataclass(frozen=True)
class Theme:
    name: str
    template_dirs: tuple[Path, ...]
    static_dirs: tuple[Path, ...]

    def template_source_hash(self, env: jinja2.Environment, names: tuple[str, ...]) -> str:
        h = hashlib.sha256()
        for name in names:
            source, _filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            h.update(name.encode() + b"\0" + source.encode() + b"\0")
        return h.hexdigest()

    def static_files(self) -> dict[str, Path]:
        """name (relative, posix) → file, earlier theme dirs win."""
        out: dict[str, Path] = {}
        for d in reversed(self.static_dirs):
            if d.is_dir():
                for f in sorted(d.rglob("*")):
                    if f.is_file() and not f.name.startswith("."):
                        out[f.relative_to(d).as_posix()] = f
        return dict(sorted(out.items()))


def resolve_theme(site_dir: Path, name: str) -> Theme:
    candidates: list[Path] = []
    for base in (site_dir / "themes" / name, site_dir / "themes" / "default", BUNDLED_THEMES / "default"):
        if base.is_dir() and base.resolve() not in [c.resolve() for c in candidates]:
            candidates.append(base)
    if name != "default" and not (site_dir / "themes" / name).is_dir():
        raise ThemeError([error("site.toml", 1, f"找不到主题“{name}”：应当有文件夹 themes/{name}/。不写 theme 则使用默认主题。", Kind.THEME)])
    return Theme(name, tuple(c / "templates" for c in candidates), tuple(c / "static" for c in candidates))


def _json_filter(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def search_terms(text: object) -> str:
    """Every 1-, then 2-, then 3-character chunk of ``text``, each followed by a space.

    The post template's hidden ``terms`` meta (see post.html). One Python loop
    instead of a Jinja loop of ~120 chunks, each escaped and yielded on its
    own (a fifth of a post page's render time); escaping the joined string
    gives the same bytes, since escaping works character by character.
    """
    s = str(text)
    chunks = [s[i : i + n] for n in (1, 2, 3) for i in range(len(s) - n + 1)]
    joined = " ".join(chunks) + " " if chunks else ""
    if hasattr(text, "__html__"):  # Markup in, Markup out: the loop wrote a Markup value's slices unescaped
        from markupsafe import Markup

        return Markup(joined)
    return joined


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates shared between builds (Jinja's per-user folder in the system temp dir).

    Compiling the theme costs ~0.06 s per process, part of every one-post
    edit. Jinja keys entries by the template file and checks them against its
    source; how a template compiles also depends on the environment's options
    and filters (this file) and on Jinja's version, so those are in the file
    names too. A stale entry is never used; none is in the output.
    """
    import jinja2

    flavour = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"__liangshai_{flavour}_%s.cache")
    except (OSError, RuntimeError):  # no usable temp folder: compile every time
        return None


def make_env(theme: Theme) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in theme.template_dirs if d.is_dir()]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["u"] = href
    env.filters["tojson_attr"] = _json_filter
    env.filters["search_terms"] = search_terms
    return env


def referenced_templates(env: jinja2.Environment, name: str) -> tuple[str, ...]:
    """``name`` and every template it extends, includes or imports (transitively)."""
    from jinja2 import meta

    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        source, _, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
        for ref in meta.find_referenced_templates(env.parse(source)):
            if ref:
                todo.append(ref)
    return tuple(sorted(seen))


def theme_error(exc: Exception, template: str) -> ThemeError:
    """Turn a Jinja exception into a located, Chinese ThemeError."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = exc.filename or exc.name or template
        return ThemeError([error(_short(where), exc.lineno or 1, f"模板语法错误：{exc.message}", Kind.THEME)])
    if isinstance(exc, jinja2.TemplateNotFound):
        return ThemeError([error(f"themes/{template}", 1, f"找不到模板“{exc.name}”。", Kind.THEME)])
    if isinstance(exc, jinja2.UndefinedError):
        return ThemeError([error(f"templates/{template}", _jinja_line(exc), f"模板使用了未定义的变量：{exc.message}", Kind.THEME)])
    return ThemeError([error(f"templates/{template}", _jinja_line(exc), f"模板渲染失败：{type(exc).__name__}: {exc}", Kind.THEME)])


def _short(path: str) -> str:
    m = re.search(r"(themes/.*)$", path.replace("\\", "/"))
    return m.group(1) if m else path


def _jinja_line(exc: Exception) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
