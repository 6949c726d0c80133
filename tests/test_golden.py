"""Golden output of a small fixture site, byte for byte.

The expected files live in tests/golden/expected/. They change only on purpose:
after a deliberate template or output change, regenerate them with

    LIANGSHAI_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py

and review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from generator.build.builder import Builder, BuildOptions

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "golden"
EXPECTED = HERE / "golden" / "expected"


def _tree(root: Path) -> dict[str, bytes]:
    # pagefind/ is Pagefind's own binary index: proven in test_search.py, not pinned here.
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".liangshai") and not p.relative_to(root).as_posix().startswith("pagefind/")
    }


def test_golden_output(tmp_path: Path) -> None:
    # Copy out of the repository so git history (last-changed dates) cannot leak in.
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=dt.date(2026, 3, 31), jobs=1)).build()
    assert result.ok, [p.format() for p in result.problems]
    actual = _tree(out)
    if os.environ.get("LIANGSHAI_REGEN_GOLDEN") == "1":
        if EXPECTED.exists():
            shutil.rmtree(EXPECTED)
        for rel, data in actual.items():
            (EXPECTED / rel).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / rel).write_bytes(data)
    expected = _tree(EXPECTED)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    for rel in expected:
        assert actual[rel] == expected[rel], f"{rel} differs from tests/golden/expected/{rel}"
