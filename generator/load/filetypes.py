"""Load stage: the file types an attachment can be, decided by its name.

Shared by the attachment readers (`attachments`, `office_text`, `pdf_text`) and
the image cleaning (`images`, `publishable`), so none of them imports another
for a constant.
"""

from __future__ import annotations

import posixpath

# Served from the site's own origin these would run script (or server code on a
# misconfigured server) for every reader: one unit could deface everyone's pages.
ACTIVE_EXTENSIONS = frozenset(
    {
        ".html", ".htm", ".xhtml", ".xht", ".shtml", ".shtm", ".mht", ".mhtml", ".svg", ".svgz",
        ".xml", ".xsl", ".xslt", ".js", ".mjs", ".swf", ".hta", ".php", ".asp", ".aspx", ".jsp", ".cgi",
    }
)
# Files whose text is read and scanned.
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".docx", ".xlsx", ".csv", ".txt"})
# Files published through `publishable_bytes` (metadata removed) and inspected first.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".avif"})
OFFICE_EXTENSIONS = frozenset({".docx", ".xlsx", ".pptx"})  # zip packages whose media/ images are cleaned
INSPECTED_EXTENSIONS = DOCUMENT_EXTENSIONS | IMAGE_EXTENSIONS | OFFICE_EXTENSIONS


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def is_active(name: str) -> bool:
    return extension(name) in ACTIVE_EXTENSIONS
