"""The reports the organisation department hands on (issue 20): the CSV files are
UTF-8 with a BOM, ``--as-of`` takes the date forms front-matter takes, and the
``stats --format xlsx`` workbook carries the numbers of ``data/compare.json``.

Real builds and the real CLI (``python -m generator``) in temporary sites.
"""

from __future__ import annotations

import argparse
import csv
import io

import pytest

from generator.cli import _date
from generator.csvout import csv_bytes

from conftest import post_text, run_cli, write_site


def test_csv_bytes_start_with_a_bom_and_read_back_with_utf8_sig() -> None:
    raw = csv_bytes([["单位", "覆盖率(%)"], ["=1+2", "87.5"]])
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [["单位", "覆盖率(%)"], ["'=1+2", "87.5"]]


@pytest.mark.parametrize(
    "written",
    ["2026-06-30", "2026/6/30", "2026.6.30", "2026年6月30日", "２０２６-０６-３０", "2026-06-30 14:30", "2026-06-30T01:30+08:00"],
)
def test_as_of_accepts_the_front_matter_date_forms(written: str) -> None:
    # the day as written, never shifted by a time or an offset
    assert _date(written) == __import__("datetime").date(2026, 6, 30)


@pytest.mark.parametrize(("written", "why"), [("2026-02-30", "只有 28 天"), ("2026-13-01", "月份应当在 1 到 12 之间"), ("明天", "格式不对")])
def test_as_of_refuses_other_text_in_chinese_listing_the_forms(written: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        _date(written)
    assert why in str(info.value) and "2026年6月30日" in str(info.value) and "2026/6/30" in str(info.value)


def test_stats_csv_has_a_bom_and_as_of_in_chinese_form(tmp_path) -> None:
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text(branch="jx-jg1", meeting="支部委员会")})
    iso = run_cli("stats", str(site), "--as-of", "2026-11-27", "--format", "csv")
    chinese = run_cli("stats", str(site), "--as-of", "2026年11月27日", "--format", "csv")
    assert iso.returncode == 0 and chinese.returncode == 0, iso.stderr + chinese.stderr
    assert iso.stdout.startswith("\ufeff") and iso.stdout == chinese.stdout
    bad = run_cli("stats", str(site), "--as-of", "2026-11-31", "--format", "csv")
    assert bad.returncode == 2 and "只有 30 天" in bad.stderr and "2026年6月30日" in bad.stderr and "Traceback" not in bad.stderr
