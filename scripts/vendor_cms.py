#!/usr/bin/env python3
"""Vendor Decap CMS (the editor behind ``/admin/``) from its npm package, at a pinned version.

The browser editor is never loaded from a CDN: its files ship inside the
package (``generator/render/decap/``, package data) and are published with the
site. This script is how they got there, so anyone can check or repeat it:

    python3 scripts/vendor_cms.py            # npm pack, verify the sha256, unpack into generator/render/decap/
    python3 scripts/vendor_cms.py --check    # the vendored files are exactly those of the pinned tarball

It runs ``npm pack decap-cms@VERSION`` (the npm registry, through npm itself),
refuses a tarball whose sha256 is not ``SHA256``, and takes from it only the
browser bundle: ``dist/decap-cms.js``, the chunks it loads on demand
(``dist/<n>.decap-cms.js``, code-editor modes), the two WebAssembly image
encoders, and the bundled third-party licences. The npm package carries no
LICENSE file of its own; ``LICENSE`` here is the MIT text of the Decap CMS
repository. ``VENDOR.md`` lists every file with its sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.16.3"
TARBALL = f"decap-cms-{VERSION}.tgz"
SHA256 = "f1c0055411ebdbd5b7c77a835a68b92b5467622585838f8496223b27eee116d1"
DEST = Path(__file__).resolve().parent.parent / "generator" / "render" / "decap"

# What the browser needs: the bundle, its lazily loaded chunks and wasm, the licences it bundles.
_TAKEN = re.compile(r"^package/dist/(decap-cms\.js|decap-cms\.js\.LICENSE\.txt|\d+\.decap-cms\.js|[0-9a-f]{20}\.wasm)$")

LICENSE = """Copyright (c) 2016 Netlify <decap@p-m.si>

MIT License

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def fetch_tarball(workdir: Path) -> bytes:
    """``npm pack`` the pinned version into ``workdir``; the bytes, after the sha256 check."""
    subprocess.run(["npm", "pack", f"decap-cms@{VERSION}", "--pack-destination", str(workdir)], check=True, capture_output=True)
    data = (workdir / TARBALL).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{TARBALL} 的 sha256 是 {digest}，不是登记的 {SHA256}：拒绝使用。")
    return data


def bundle_files(tarball: bytes) -> dict[str, bytes]:
    """The files the browser needs, by their name in DEST."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and _TAKEN.match(member.name):
                handle = tar.extractfile(member)
                assert handle is not None
                files[member.name.rsplit("/", 1)[1]] = handle.read()
    files["LICENSE"] = LICENSE.encode()
    return files


def vendor_md(files: dict[str, bytes]) -> str:
    lines = [
        "# Decap CMS, vendored",
        "",
        f"- package: `decap-cms@{VERSION}` (npm), licence MIT (`LICENSE`; bundled third-party licences in `decap-cms.js.LICENSE.txt`)",
        f"- source tarball: `{TARBALL}`, sha256 `{SHA256}`",
        "- made by `python3 scripts/vendor_cms.py`; `python3 scripts/vendor_cms.py --check` proves these files are the tarball's",
        "",
        "| file | bytes | sha256 |",
        "|---|---:|---|",
    ]
    lines += [f"| `{name}` | {len(data)} | `{hashlib.sha256(data).hexdigest()}` |" for name, data in sorted(files.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="只核对，不写入")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        files = bundle_files(fetch_tarball(Path(tmp)))
    files_md = vendor_md(files)
    if args.check:
        present = {p.name for p in DEST.iterdir() if p.name not in ("VENDOR.md",)}
        wrong = sorted(n for n, d in files.items() if not (DEST / n).is_file() or (DEST / n).read_bytes() != d)
        extra = sorted(present - set(files))
        if wrong or extra or (DEST / "VENDOR.md").read_text(encoding="utf-8") != files_md:
            print(f"与 {TARBALL} 不一致：{wrong or ''} {extra or ''}", file=sys.stderr)
            return 1
        print(f"{len(files)} 个文件与 {TARBALL} 一致。")
        return 0
    DEST.mkdir(parents=True, exist_ok=True)
    for old in DEST.iterdir():
        old.unlink()
    for name, data in files.items():
        (DEST / name).write_bytes(data)
    (DEST / "VENDOR.md").write_text(files_md, encoding="utf-8")
    print(f"已写入 {len(files)} 个文件到 {DEST}。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
