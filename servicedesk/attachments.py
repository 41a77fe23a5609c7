"""What a file must be to be attached to a record: small enough, of an allowed type, and truly that type.

The extension says what a file claims to be; its first bytes (magic numbers) must agree. Text formats have
no magic number, so they must decode as UTF-8 and hold no NUL byte.
"""

import codecs
import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# extension -> (media type served, extensions the sniffed content may have)
BINARY_TYPES = {
    "png": ("image/png", {"png"}),
    "jpg": ("image/jpeg", {"jpg"}),
    "jpeg": ("image/jpeg", {"jpg"}),
    "gif": ("image/gif", {"gif"}),
    "webp": ("image/webp", {"webp"}),
    "pdf": ("application/pdf", {"pdf"}),
    "zip": ("application/zip", {"zip"}),
    "gz": ("application/gzip", {"gz"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx", "zip"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx", "zip"}),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", {"pptx", "zip"}),
    "odt": ("application/vnd.oasis.opendocument.text", {"odt", "zip"}),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {"ods", "zip"}),
}
TEXT_TYPES = {
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "md": "text/markdown",
    "eml": "message/rfc822",
}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class UploadInfo:
    name: str  # shown to people
    storage_name: str  # random, on disk
    media_type: str
    size: int
    sha256: str


def allowed_extensions() -> list[str]:
    return sorted([*BINARY_TYPES, *TEXT_TYPES])


def clean_file_name(name: str) -> str:
    """The file's own name without folders or control characters, at most 255 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[-255:] or "file"


def _refuse(message: str, code: str):
    raise ValidationError({"attachments": [ValidationError(message, code=code)]})


def validate_upload(upload) -> UploadInfo:
    """Check one uploaded file (a Django `UploadedFile` or any named binary file object).

    Raises ValidationError on the `attachments` field: empty, too large, a type not allowed, or content
    that does not match its extension.
    """
    name = clean_file_name(getattr(upload, "name", ""))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    limit = settings.ITSM_ATTACHMENT_MAX_BYTES
    if size == 0:
        _refuse(_("“%(name)s” is empty.") % {"name": name}, "empty_file")
    if size > limit:
        _refuse(
            _("“%(name)s” is larger than %(limit)s.") % {"name": name, "limit": filesizeformat(limit)},
            "file_too_large",
        )
    if extension not in BINARY_TYPES and extension not in TEXT_TYPES:
        _refuse(
            _("Files of type “%(extension)s” cannot be attached. Allowed: %(allowed)s.")
            % {"extension": extension or "?", "allowed": ", ".join(allowed_extensions())},
            "file_type_not_allowed",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    sniffed = filetype.guess(head)
    if extension in BINARY_TYPES:
        media_type, accepted = BINARY_TYPES[extension]
        if sniffed is None or sniffed.extension not in accepted:
            _refuse(
                _("“%(name)s” is not really a %(extension)s file.") % {"name": name, "extension": extension},
                "file_content_mismatch",
            )
    else:
        media_type = TEXT_TYPES[extension]
        # The whole file, not only the sniffed window: a NUL byte or bad UTF-8 may come later.
        if sniffed is not None or not _is_utf8_text(upload):
            _refuse(
                _("“%(name)s” is not a text file.") % {"name": name},
                "file_content_mismatch",
            )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return UploadInfo(
        name=name,
        storage_name=f"{uuid.uuid4().hex}.{extension}",
        media_type=media_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _is_utf8_text(upload) -> bool:
    """The whole file decodes as UTF-8 and holds no NUL byte (read in chunks, whatever its size)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    upload.seek(0)
    try:
        for chunk in iter(lambda: upload.read(1024 * 1024), b""):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
