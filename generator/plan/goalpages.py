"""Plan stage: the 目标管理 pages (issue 18) — plan, school matrix, projects, annual summary.

Stub: the pages are planned here from the one `GoalsMetrics` (`plan.goals.compute`)."""

from __future__ import annotations

from generator.core.model import SiteModel
from generator.plan.goals import GoalsMetrics
from generator.plan.pages import PageSpec, Planner


def goal_pages(gm: GoalsMetrics, model: SiteModel, planner: Planner) -> list[PageSpec]:
    """Every 目标管理 page with its whole template context."""
    return []
