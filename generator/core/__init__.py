"""Shared by every stage: diagnostics (`errors`), the frozen site model (`model`) and the URL rules (`urls`)."""
