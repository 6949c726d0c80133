"""Build, inputs phase: the no-op key (`input_key`) and the git history's identity (`history_key`).

`Builder._inputs` reads ``site.toml`` once (`site_config`) for both the
attachment limits of the source discovery and the input key: a no-op build
is mostly this module, so nothing here is done twice.
"""

from __future__ import annotations

from pathlib import Path

from generator.build.records import BuildOptions, resolve_as_of
from generator.core.digests import build_input_key, history_id
from generator.core.errors import LiangshaiError
from generator.core.model import UNIT_FILE, History
from generator.load.config import SiteConfig, load_config
from generator.load.sources import Sources
from generator.render.theme import resolve_theme

STATE_KEY_VERSION = "1"


def site_config(site_dir: Path) -> SiteConfig | None:
    """``site.toml`` as the no-op check reads it; None while it is broken (the build then stops at its own error)."""
    try:
        return load_config(site_dir)
    except LiangshaiError:
        return None


def input_key(site_dir: Path, options: BuildOptions, config: SiteConfig | None, sources: Sources, head: str, code: str) -> str | None:
    """A hash of every input a build reads, or None when it cannot be known.

    Equal keys mean equal outputs: the code, the options, the as-of day,
    site.toml, every theme file and every content file (by stamp), and the
    git commit the history comes from. It lets a no-op build stop before
    planning, which at 10,000 posts is most of its time. ``code``: the
    builder's `core.digests.code_digest`, the code every other key hashes too.
    """
    if sources.problems or config is None:
        return None
    try:
        theme = resolve_theme(site_dir, config.theme)
    except LiangshaiError:
        return None
    themes: list[tuple[str, int, int]] = []
    for d in (*theme.template_dirs, *theme.static_dirs):
        if d.is_dir():
            themes.extend((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(d.rglob("*")) if f.is_file())
    site_toml = site_dir / "site.toml"
    config_stamp = (site_toml.stat().st_size, site_toml.stat().st_mtime_ns) if site_toml.exists() else None
    stamps = sorted((rel, s.size, s.mtime_ns) for rel, s in sources.stamps.items())
    units = sorted((slug, (site_dir / "content" / slug / UNIT_FILE).stat().st_mtime_ns) for slug in sources.units)
    as_of = resolve_as_of(options.as_of, config)
    return build_input_key(STATE_KEY_VERSION, code, options.drafts, options.keep_going, as_of, config_stamp, themes, stamps, units, head)


def history_key(head: str, tz: object, history: History) -> str:
    """The identity of the git history read at ``head`` (the state keeps the history under it)."""
    return history_id(head, tz, history, history.available)


def saved_history_key(head: str, tz: object, history: History) -> str | None:
    """What the state records of the history: its identity, or None without a commit or a readable history."""
    return history_key(head, tz, history) if head and history.available else None


__all__ = ["STATE_KEY_VERSION", "history_key", "input_key", "saved_history_key", "site_config"]
