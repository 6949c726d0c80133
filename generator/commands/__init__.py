"""Commands over the build: ``publish``, ``stats`` and ``new``."""
