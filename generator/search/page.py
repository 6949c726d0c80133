"""Search stage, planned with the other pages: the search page ``search/index.html``.

Its script (``search.js``) reads ``<root>pagefind/units.json`` and loads
Pagefind's JS API from the first shard's index, merging the others as
searches need them, so search works offline and under any sub-path. The
page's context holds the display order of the filter values (units, columns,
meeting types as the site configures them), nothing per post.
"""

from __future__ import annotations

from generator.core import urls
from generator.core.errors import Problem
from generator.core.model import SiteModel
from generator.plan.pages import FileSpec, PageSpec, Planner


def search_outputs(model: SiteModel, planner: Planner) -> tuple[list[PageSpec], list[FileSpec], list[Problem]]:
    cfg = model.config
    ctx = planner.base(urls.SEARCH, "搜索", [("搜索", None)])
    ctx["filter_order"] = {
        "unit": [u.name for u in model.units],
        "column": [s.name for s in cfg.sections],
        "meeting": [m.name for m in cfg.meetings],
    }
    return [PageSpec(urls.SEARCH, "search.html", ctx, "站点")], [], []
