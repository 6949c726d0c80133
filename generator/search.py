"""Plan + write stage: the search page and the Pagefind index (stub, see issue 8)."""

from __future__ import annotations

from pathlib import Path

from .errors import Problem
from .model import SiteModel
from .plan import FileSpec, PageSpec, Planner


def search_outputs(model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
    return [], [], []


def index_output(out_dir: Path, changed: bool) -> list[Problem]:
    """Run after the output is committed; ``changed`` is False when no HTML changed."""
    return []
