"""Render stage: the Jinja environment and the theme fallback chain (`theme`), page families rendered
against their fingerprints (`pages`), fingerprinted theme assets (`assets`) and the files published
beside the pages, cleaned of EXIF/GPS (`files`)."""
