"""Plan stage: Atom feeds, sitemap.xml and robots.txt (stub, see issue 8)."""

from __future__ import annotations

from .errors import Problem
from .model import SiteModel
from .plan import FileSpec, PageSpec, Planner


def feed_outputs(model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
    return [], [], []
