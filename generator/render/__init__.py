"""Render stage: the Jinja environment and the theme fallback chain (`theme`)."""
