"""Render stage: the theme's static files, CSS and JavaScript under fingerprinted names.

``style.css`` is published as ``assets/style.<digest>.css``
(`core.digests.asset_digest`), so a browser may cache it for ever and a new
theme version is a new URL; other static files keep their names.
"""

from __future__ import annotations

from generator.core import urls
from generator.core.digests import asset_digest
from generator.plan.pages import FileSpec
from generator.render.theme import Theme


def fingerprint_assets(theme: Theme) -> tuple[dict[str, str], list[FileSpec]]:
    """name in the theme → published path; and the files to publish."""
    assets: dict[str, str] = {}
    specs: list[FileSpec] = []
    for name, path in theme.static_files().items():
        data = path.read_bytes()
        stem, dot, ext = name.rpartition(".")
        if ext in ("css", "js") and dot:
            out = f"{urls.ASSETS}/{stem}.{asset_digest(data)}.{ext}"
        else:
            out = f"{urls.ASSETS}/{name}"
        assets[name] = out
        specs.append(FileSpec(out, "主题", data=data))
    return assets, specs
