"""Build: the records a build takes and returns, and the rules on held-back posts.

`BuildOptions` in, `BuildResult` out (`Builder.build`; both in `build.result`,
light enough for the quick no-op check, and re-exported here); `Loaded` is
what the load, parse and model phases hand to planning. All frozen: nothing
is filled in later.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.build.result import SOURCE_FOLDERS, BuildOptions, BuildResult, blocking, held_back, output_folder_problem, owner_post
from generator.core.errors import Problem
from generator.core.model import UNIT_FILE, SiteModel
from generator.load.config import SiteConfig
from generator.write.state import OUTPUTS_FILE, STATE_FILE, BuildState, CachedPost, SavedState, Signature, file_signature


@dataclass(frozen=True)
class Unsaved:
    """A ``defer_save`` build's state, and how to save it (with its no-op key).

    It describes the folder while no other build has touched it: every build
    rewrites the outputs record (`record_outputs`) before its commit, so that
    file's signature, taken after this build's commit, tells (`current`).
    """

    state: BuildState
    save: Callable[[BuildState], SavedState]  # called with `state` (the fast render may have thinned it)
    out_dir: Path
    record: Signature | None

    def current(self) -> bool:
        return file_signature(self.out_dir / OUTPUTS_FILE) == self.record and not (self.out_dir / STATE_FILE).exists()


def resolve_as_of(option: dt.date | None, config: SiteConfig) -> dt.date:
    """--as-of, else SOURCE_DATE_EPOCH, else today in the site timezone."""
    if option is not None:
        return option
    if fixed_as_of(None):
        return dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), config.tz).date()
    return dt.datetime.now(config.tz).date()


def fixed_as_of(option: dt.date | None) -> bool:
    """Whether `resolve_as_of` answers a set day (--as-of, SOURCE_DATE_EPOCH) rather than today's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return option is not None or bool(epoch and epoch.strip().isdigit())


@dataclass(frozen=True)
class Loaded:
    """What the load, parse and model phases produced (no HTML pages yet). Never changed after:
    once ``fresh_html`` is in the body store, the planner's `build.parsing.BodyLoader` reads it there."""

    model: SiteModel | None
    problems: tuple[Problem, ...]
    cache: dict[str, CachedPost] = field(default_factory=dict)
    fresh_html: dict[str, str] = field(default_factory=dict)  # body digest → HTML rendered in this run
    parsed: tuple[str, ...] = ()
    documents: dict[str, Any] = field(default_factory=dict)  # PDF/DOCX text by path, for the state
    tokens: dict[str, str] = field(default_factory=dict)  # post source → `core.digests.post_token` (plan.Family keys)
    settings: str = ""  # `core.digests.parse_settings`: the parser/Markdown versions and site.toml
    list_tokens: dict[str, str] = field(default_factory=dict)  # post source → plan.list_token
    held: tuple[str, ...] = ()  # keep_going: posts held back for their own errors (`held_back`)


def touched(options: BuildOptions, problem: Problem) -> bool:
    """A selective check reports the selected posts (and files in their bundles), their
    units' _unit.toml and folders, `BuildOptions.touched`, and everything outside the
    unit folders (site.toml, the theme)."""
    only = options.only
    if only is None or not problem.path.startswith("content/") or problem.path in only or problem.path in options.touched:
        return True
    parts = problem.path.split("/")
    if len(parts) == 3 and parts[2] == UNIT_FILE:
        return any(rel.split("/")[1] == parts[1] for rel in only)
    # a folder on a selected post's path (a unit folder without _unit.toml), or a file in its bundle
    return any(rel.startswith(problem.path + "/") or (rel.endswith("/index.md") and problem.path.startswith(rel[: -len("index.md")])) for rel in only)


__all__ = [
    "SOURCE_FOLDERS",
    "BuildOptions",
    "BuildResult",
    "Loaded",
    "Unsaved",
    "blocking",
    "fixed_as_of",
    "held_back",
    "output_folder_problem",
    "owner_post",
    "resolve_as_of",
    "touched",
]
