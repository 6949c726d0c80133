"""Plan stage: the comparison index (对标) pages and downloads."""

from __future__ import annotations

from .model import SiteModel
from .plan import FileSpec, PageSpec, Planner


def compare_outputs(model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec]]:
    return [], []
