"""Write stage: the build state saved next to the output.

Versioned JSON. A missing, unreadable or older state means "nothing is known":
the next build renders everything and prunes nothing it did not write itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from .write import atomic_write

STATE_FILE = ".liangshai-state.json"
STATE_VERSION = 1


def load_state(out_dir: Path) -> set[str]:
    try:
        data = json.loads((out_dir / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("outputs"), list):
        return set()
    return {p for p in data["outputs"] if isinstance(p, str)}


def save_state(out_dir: Path, outputs: set[str]) -> None:
    data = {"version": STATE_VERSION, "outputs": sorted(outputs)}
    atomic_write(out_dir / STATE_FILE, json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8"))
