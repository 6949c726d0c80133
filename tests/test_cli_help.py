"""Issue 15: the command line speaks Chinese — help, usage and argparse's own messages."""

from __future__ import annotations

import argparse
import re

import pytest
from conftest import run_cli

from generator.cli import build_parser

# argparse's English, as it would appear if any of its strings were left untranslated
ENGLISH = (
    "usage:",
    "positional arguments",
    "options:",
    "optional arguments",
    "show this help",
    "show program's version",
    "choose from",
    "required",
    "invalid choice",
    "expected",
    "unrecognized",
    "argument",
    "error:",
)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    top = build_parser()
    return [("liangshai", top), *_subparsers(top).items()]


def _no_english(text: str) -> None:
    lowered = text.lower()
    for word in ENGLISH:
        assert word not in lowered, (word, text)


def test_every_command_has_a_chinese_help() -> None:
    commands = [name for name in _subparsers(build_parser()) if name.isascii()]
    assert {"build", "check", "new", "import", "publish"} <= set(commands)
    for args in ([], *([name] for name in commands)):
        proc = run_cli(*args, "--help")
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.startswith("用法：liangshai"), (args, proc.stdout)
        assert "选项：\n  -h, --help" in proc.stdout and "显示这段说明并退出" in proc.stdout, args
        assert "例如：" in proc.stdout, args  # examples at the end
        _no_english(proc.stdout)


def test_every_option_is_described() -> None:
    for name, parser in _all_parsers():
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:
                continue
            assert action.help and re.search(r"[\u4e00-\u9fff]", action.help), (name, action.option_strings or action.dest)


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("liangshai（晾晒）")
    assert "-V, --version  显示版本号并退出" in run_cli("--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("new",), "liangshai: 用法错误：缺少必需的参数：--unit, --section"),
        (("stats", "--format", "html"), "liangshai: 用法错误：参数 --format：无效的选项 'html'（可选：'table', 'csv', 'json', 'xlsx'）"),
        (("build", "--bogus"), "liangshai: 用法错误：无法识别的参数：--bogus"),
        (("build", "--as-of"), "liangshai: 用法错误：参数 --as-of：需要一个值"),
        (("stats", "--year", "明年"), "liangshai: 用法错误：参数 --year：“明年”不是整数"),
        (("frobnicate",), "liangshai: 用法错误：参数 命令：无效的选项 'frobnicate'（可选：'build', 'check', 'codeowners', 'new', '新建', 'stats', 'serve', 'import', '导入', 'publish', 'init', 'units'）"),
    ],
)
def test_usage_errors_in_chinese(args: tuple[str, ...], message: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("用法：liangshai") and lines[-1] == message, proc.stderr
    _no_english(proc.stderr)
