"""Load stage: image formats read from their bytes, and their metadata removed.

`sniff_image` names the format a file's first bytes announce; `image_size` reads
the dimensions from the header before anything is decoded; the `clean_*`
functions copy a JPEG, PNG, WebP or GIF byte for byte without its EXIF, XMP and
comment blocks, keeping only the EXIF orientation (so a photo is not shown
sideways). They raise `Malformed` when the structure is not what the signature
promised; `publishable` then re-encodes the image or refuses it.

A photo over ``[images] max_kb`` (`web_sized`) is published as a web-sized copy
(`web_copy`: at most ``max_px`` on its longest side, turned upright, re-encoded
by Pillow, so no metadata survives) under its own name, and the original,
cleaned as above, under `original_name` as a download.
"""

from __future__ import annotations

import io
import posixpath
import struct
import warnings
import zlib
from collections.abc import Callable

from generator.core.settings import ImagesConfig

# The photos published as a smaller copy when they are large: formats every browser shows
# and Pillow writes. A GIF may be animated and a TIFF is not shown by browsers: left as they are.
WEB_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
ORIGINAL_SUFFIX = "-原图"


def web_sized(name: str, size: int, images: ImagesConfig) -> bool:
    """Whether the file ``name`` of ``size`` bytes is published as a web-sized copy (and its original as a download)."""
    return name.lower().endswith(WEB_EXTENSIONS) and size > images.max_kb * 1024


def original_name(name: str) -> str:
    """Where the original of a web-sized photo is published: ``photo.jpg`` → ``photo-原图.jpg``."""
    stem, ext = posixpath.splitext(name)
    return f"{stem}{ORIGINAL_SUFFIX}{ext}"


def published_as(name: str, size: int, images: ImagesConfig) -> tuple[tuple[str, int | None], ...]:
    """The names file ``name`` is published under beside its post, each with the longest side of
    its web-sized copy (None: the file itself): a large photo twice, the original second."""
    if not web_sized(name, size, images):
        return ((name, None),)
    return ((name, images.max_px), (original_name(name), None))


def web_copy(data: bytes, max_px: int) -> bytes | None:
    """A copy of the photo ``data`` at most ``max_px`` on its longest side, in its own format,
    upright and without EXIF, XMP or comments; None when Pillow cannot make one (then the
    cleaned original is published instead)."""
    from PIL import Image, ImageOps

    fmt = sniff_image(data[:32])
    if fmt not in ("JPEG", "PNG", "WEBP"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.draft("RGB", (max_px, max_px))  # a JPEG is decoded at a reduced scale: fast and small
                upright = ImageOps.exif_transpose(im)
                upright.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                if fmt == "JPEG":
                    upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
                elif fmt == "PNG":
                    upright.save(out, "PNG", optimize=True)
                else:
                    upright.save(out, "WEBP", quality=85)
                return out.getvalue()
    except Exception:  # damaged, or too large to decode: the original (cleaned) is published as it is
        return None


class Malformed(Exception):
    """The container structure is not what its signature promised."""


_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis")


def sniff_image(head: bytes) -> str | None:
    """The image format the first bytes announce, whatever the file is called."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None



def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header only, before any decoding; None if unreadable."""
    reader = _SIZE_READERS.get(sniff_image(data[:32]) or "")
    if reader is None:
        return None
    try:
        return reader(data)
    except (struct.error, IndexError):
        return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            pos += 1  # stray bytes between segments: decoders skip them, so must the size check
            continue
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return w, h
        if marker in (0xDA, 0xD9) or length < 2:
            return None
        pos += 2 + length
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def _gif_size(data: bytes) -> tuple[int, int] | None:
    w, h = struct.unpack("<HH", data[6:10])
    return w, h


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    w, h = struct.unpack("<ii", data[18:26])
    return abs(w), abs(h)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        b = int.from_bytes(data[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """The largest image in the file (multi-page TIFF), not only the first."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    biggest: tuple[int, int] | None = None
    for _ in range(64):
        if not 8 <= ifd < len(data):
            break
        (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
        dims: dict[int, int] = {}
        for i in range(count):
            at = ifd + 2 + 12 * i
            tag, typ = struct.unpack(order + "HH", data[at : at + 4])
            if tag in (256, 257):
                dims[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), data[at + 8 : at + (10 if typ == 3 else 12)])[0]
        if len(dims) < 2:
            return None
        if biggest is None or dims[256] * dims[257] > biggest[0] * biggest[1]:
            biggest = (dims[256], dims[257])
        (ifd,) = struct.unpack(order + "I", data[ifd + 2 + 12 * count : ifd + 6 + 12 * count])
        if ifd == 0:
            break
    return biggest


_SIZE_READERS: dict[str, Callable[[bytes], tuple[int, int] | None]] = {
    "JPEG": _jpeg_size, "PNG": _png_size, "GIF": _gif_size, "BMP": _bmp_size, "WEBP": _webp_size, "TIFF": _tiff_size,
}


def _orientation(tiff: bytes) -> int | None:
    """The Orientation tag (0x0112) of IFD0 in a TIFF structure, or None."""
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            at = ifd + 2 + 12 * i
            tag, typ, _n = struct.unpack(order + "HHI", tiff[at : at + 8])
            if tag == 0x0112 and typ == 3:
                (value,) = struct.unpack(order + "H", tiff[at + 8 : at + 10])
                return value if 1 <= value <= 8 else None
    except (KeyError, struct.error, IndexError):
        return None
    return None


def _orientation_tiff(value: int) -> bytes:
    """A TIFF structure holding only IFD0 with one Orientation entry (nothing else survives)."""
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, value, 0, 0)


_JPEG_KEEP_APP = {0xE0: (b"JFIF\0", b"JFXX\0"), 0xE2: (b"ICC_PROFILE\0",), 0xEE: (b"Adobe",)}


def clean_jpeg(data: bytes) -> bytes:
    out = bytearray(b"\xff\xd8")
    pos = 2
    orientation: int | None = None
    inserted = False
    while pos < len(data):
        marker, pos = _jpeg_marker(data, pos)
        if marker is None:
            break
        if marker == 0xD9:  # EOI: anything after it (MPF previews, appended files) is dropped
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        segment, whole, pos = _jpeg_segment(data, pos)
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xE1 and segment.startswith(b"Exif\0\0"):
                orientation = _orientation(segment[6:]) or orientation
            if any(segment.startswith(sig) for sig in _JPEG_KEEP_APP.get(marker, ())):
                out += whole
            continue  # EXIF, XMP, IPTC, comments, MPF and unknown application data go
        if not inserted and orientation is not None and orientation != 1:
            payload = b"Exif\0\0" + _orientation_tiff(orientation)
            out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
        inserted = True
        out += whole
        if marker == 0xDA:
            pos = _copy_scan(data, pos, out)
            if pos < 0:
                return bytes(out)
    return bytes(out)


def _jpeg_marker(data: bytes, pos: int) -> tuple[int | None, int]:
    """The marker at ``pos`` and where its segment starts; None at the end of the data."""
    n = len(data)
    if data[pos] != 0xFF:
        raise Malformed
    while pos < n and data[pos] == 0xFF:  # fill bytes
        pos += 1
    if pos >= n:
        return None, pos
    return data[pos], pos + 1


def _jpeg_segment(data: bytes, pos: int) -> tuple[bytes, bytes, int]:
    """(payload, the whole segment with its marker, where the next one starts)."""
    n = len(data)
    if pos + 2 > n:
        raise Malformed
    (length,) = struct.unpack(">H", data[pos : pos + 2])
    if length < 2 or pos + length > n:
        raise Malformed
    return data[pos + 2 : pos + length], data[pos - 2 : pos + length], pos + length


def _copy_scan(data: bytes, pos: int, out: bytearray) -> int:
    """Copy the entropy-coded data after a start of scan up to the next real marker and
    return where that marker is; -1 when the file ends first (what is there is kept)."""
    n = len(data)
    start = pos
    while True:
        nxt = data.find(b"\xff", pos)
        if nxt < 0 or nxt + 1 >= n:
            out += data[start:]  # truncated file: keep what is there
            return -1
        follower = data[nxt + 1]
        if follower == 0x00 or 0xD0 <= follower <= 0xD7 or follower == 0xFF:
            pos = nxt + 1 if follower == 0xFF else nxt + 2
            continue
        out += data[start:nxt]
        return nxt


_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
}


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def clean_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    orientation: int | None = None
    wrote_exif = False
    n = len(data)
    while pos + 8 <= n:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise Malformed
        body = data[pos + 8 : pos + 8 + length]
        chunk = data[pos:end]
        pos = end
        if kind == b"eXIf":
            orientation = _orientation(body)
            continue
        if kind in (b"IDAT", b"fdAT", b"IEND") and not wrote_exif:
            wrote_exif = True
            if orientation is not None and orientation != 1:
                out += _png_chunk(b"eXIf", _orientation_tiff(orientation))
        if kind in _PNG_KEEP:
            out += chunk
        if kind == b"IEND":
            return bytes(out)
    raise Malformed  # no IEND: structure broken


def clean_webp(data: bytes) -> bytes:
    pos = 12
    n = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks: list[bytearray] = []
    while pos + 8 <= n:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > n:
            raise Malformed
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(bytearray(data[pos:end]))
        pos = end
    if not chunks or pos + 1 < n:
        raise Malformed  # truncated or padded with garbage: not a WebP we understand
    for c in chunks:
        if c[:4] == b"VP8X" and len(c) > 8:
            c[8] &= ~(0x08 | 0x04) & 0xFF  # clear the "has EXIF" and "has XMP" flags
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body



def clean_gif(data: bytes) -> bytes:
    """A GIF without comment and application blocks (XMP hides in one); the loop block stays."""
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:pos])
    n = len(data)

    def sub_blocks(at: int) -> int:
        while True:
            if at >= n:
                raise Malformed
            size = data[at]
            at += 1 + size
            if size == 0:
                return at

    while pos < n:
        block = data[pos]
        if block == 0x3B:  # trailer: anything after it goes
            out += b"\x3b"
            return bytes(out)
        if block == 0x2C:  # image: descriptor, local colour table, LZW data
            f = data[pos + 9]
            start = pos
            pos += 10 + (3 * 2 ** ((f & 7) + 1) if f & 0x80 else 0) + 1
            pos = sub_blocks(pos)
            out += data[start:pos]
        elif block == 0x21:
            label = data[pos + 1]
            start = pos
            end = sub_blocks(pos + 2)
            keep = label in (0xF9, 0x01) or (label == 0xFF and data[pos + 3 : pos + 14] in (b"NETSCAPE2.0", b"ANIMEXTS1.0"))
            if keep:
                out += data[start:end]
            pos = end
        else:
            raise Malformed
    raise Malformed  # no trailer
