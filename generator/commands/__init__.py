"""Commands over the build: ``publish``, ``stats``, ``new``, ``init`` and ``units import`` / ``units export``."""
