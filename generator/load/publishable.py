"""Load stage: the bytes of an attachment that may be published.

`publishable_bytes` returns a JPEG, PNG, WebP, GIF or TIFF without its EXIF,
XMP and comment blocks (a phone photo carries the GPS position of where it was
taken), and a .docx/.xlsx/.pptx with the images inside it cleaned the same
way. JPEG/PNG/WebP/GIF data is copied byte for byte, never re-encoded unless it
is damaged. What cannot be cleaned raises `Unpublishable`: it is never
published as it is.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from collections.abc import Callable

from generator.load.config import DEFAULT_LIMITS, LimitsConfig
from generator.load.filetypes import IMAGE_EXTENSIONS, OFFICE_EXTENSIONS, extension
from generator.load.images import Malformed, clean_gif, clean_jpeg, clean_png, clean_webp, image_size, sniff_image


class Unpublishable(Exception):
    """A file that cannot be published without its metadata; the message (Chinese)
    says why and what to do, to follow the file's name."""


def _unchanged(data: bytes) -> bytes:
    return data  # a BMP has no metadata blocks


# How each format loses its metadata without being decoded; the rest (TIFF) is re-encoded.
_CLEANERS: dict[str, Callable[[bytes], bytes]] = {"JPEG": clean_jpeg, "PNG": clean_png, "WEBP": clean_webp, "GIF": clean_gif, "BMP": _unchanged}


def publishable_bytes(name: str, data: bytes, limits: LimitsConfig = DEFAULT_LIMITS) -> bytes:
    """The bytes to publish for attachment ``name``: images lose EXIF/XMP/GPS, others unchanged.

    Decided by content, not only by extension, so a PNG saved as ``.jpg`` is
    cleaned too; .docx/.xlsx/.pptx files are rewritten with their images
    cleaned. Raises `Unpublishable` for an image that cannot be cleaned (damaged,
    over the pixel budget, HEIC) rather than ever publishing it as it is.
    """
    kind = sniff_image(data[:32])
    if kind is None:
        if extension(name) in OFFICE_EXTENSIONS and data[:2] == b"PK":
            return _clean_package(data, limits)
        if extension(name) in IMAGE_EXTENSIONS:
            raise Unpublishable("不是能识别的图片（文件可能已损坏，或扩展名与内容不符），无法确认其中没有位置信息（GPS）等元数据。请用看图软件重新导出为 JPG 或 PNG")
        return data
    if kind == "HEIF":
        raise Unpublishable("是 HEIC/HEIF/AVIF 格式，晾晒无法去除其中的位置信息（GPS）等元数据，而且很多浏览器不能显示。请在手机或电脑上转换为 JPG 后再上传")
    size = image_size(data)
    if size is None:
        raise Unpublishable(f"是 {kind} 图片，但读不出它的尺寸（文件可能已损坏），无法去除其中的位置信息（GPS）等元数据。请用看图软件重新导出为 JPG 或 PNG")
    w, h = size
    if w * h > limits.image_megapixels * 1_000_000:
        raise Unpublishable(
            f"的尺寸是 {w}×{h}（约 {w * h / 1_000_000:.0f} 百万像素），超过上限 {limits.image_megapixels} 百万像素（site.toml [limits] image_megapixels）。"
            "请缩小后再上传（网页上 2000 像素宽已足够清晰）"
        )
    cleaner = _CLEANERS.get(kind)
    if cleaner is not None:
        try:
            return cleaner(data)
        except (Malformed, IndexError, struct.error):
            pass
    return _reencode(data, kind)


def _reencode(data: bytes, kind: str) -> bytes:
    """A TIFF, or a damaged JPEG/PNG/WebP/GIF: decoded and saved without metadata, or refused.

    Only reached after the header's pixel count passed the budget, so decoding
    is bounded; Pillow's own decompression-bomb guard stays on as a second check.
    """
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow is a declared dependency
        raise Unpublishable("无法处理：缺少 Pillow（pip install Pillow）") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                if fmt not in ("JPEG", "PNG", "WEBP", "TIFF", "GIF"):
                    raise Unpublishable(f"的内容是 {fmt} 格式，与扩展名不符，请重新导出为 JPG 或 PNG")
                frames = []
                for index in range(getattr(im, "n_frames", 1)):
                    im.seek(index)
                    im.load()
                    # a fresh image carries none of the file's tags, EXIF or XMP
                    frames.append(ImageOps.exif_transpose(im).copy())
                buf = io.BytesIO()
                first = frames[0]
                if fmt == "JPEG":
                    first.convert("RGB" if first.mode not in ("L", "RGB", "CMYK") else first.mode).save(buf, "JPEG", quality=92)
                elif fmt == "TIFF":
                    first.save(buf, "TIFF", compression="tiff_lzw", save_all=len(frames) > 1, append_images=frames[1:])
                else:
                    first.save(buf, fmt)
                return buf.getvalue()
    except Unpublishable:
        raise
    except Exception as exc:
        why = "尺寸过大" if "DecompressionBomb" in type(exc).__name__ else f"{type(exc).__name__}"
        raise Unpublishable(f"是已损坏的 {kind} 图片（{why}），无法去除其中的位置信息（GPS）等元数据，所以不能发布。请用看图软件重新导出为 JPG 或 PNG") from None



def _clean_package(data: bytes, limits: LimitsConfig) -> bytes:
    """A .docx/.xlsx/.pptx with every embedded image cleaned; the same bytes when none needed it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return data  # not a package at all: its text reader says so
    cap = limits.document_unpacked_mb * 1024 * 1024
    with zf:
        if sum(i.file_size for i in zf.infolist()) > 4 * cap:
            # rewriting would unpack every member into memory
            raise Unpublishable(f"解压后超过 {4 * limits.document_unpacked_mb} MB（site.toml [limits] document_unpacked_mb 的 4 倍），无法检查其中的图片是否带有位置信息（GPS）")
        members: list[tuple[zipfile.ZipInfo, bytes]] = []
        changed = False
        for info in zf.infolist():
            if not _package_image(info):
                members.append((info, b""))
                continue
            if info.file_size > cap:
                raise Unpublishable(f"中的图片 {info.filename} 解压后超过 {limits.document_unpacked_mb} MB（site.toml [limits] document_unpacked_mb），无法检查")
            try:
                body = zf.read(info)
            except Exception:
                raise Unpublishable(f"中的 {info.filename} 已损坏，无法检查其中的位置信息（GPS）等元数据") from None
            try:
                clean = publishable_bytes(info.filename, body, limits)
            except Unpublishable as exc:
                raise Unpublishable(f"中的图片 {info.filename} {exc}") from None
            changed = changed or clean != body
            members.append((info, clean))
        if not changed:
            return data
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for info, body in members:
                if not _package_image(info):
                    body = zf.read(info)
                copy = zipfile.ZipInfo(info.filename, info.date_time)  # same names and stamps: deterministic
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                out.writestr(copy, body)
        return buf.getvalue()


def _package_image(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and ("/media/" in info.filename or extension(info.filename) in IMAGE_EXTENSIONS)


def needs_cleaning(name: str, head: bytes) -> bool:
    """Whether a file goes through `publishable_bytes` before it is published."""
    return extension(name) in IMAGE_EXTENSIONS or extension(name) in OFFICE_EXTENSIONS or sniff_image(head) is not None


def media_problem(data: bytes, limits: LimitsConfig) -> str | None:
    """Why the images inside an office file cannot be published without their metadata."""
    try:
        publishable_bytes("x.docx", data, limits)
    except Unpublishable as exc:
        return str(exc)
    return None
