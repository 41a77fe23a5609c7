"""Where attachments live: a private folder, never under MEDIA_URL, served only through a checked view."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class AttachmentStorage(FileSystemStorage):
    """A file system storage under `ITSM_ATTACHMENT_ROOT`, read when used (tests point it elsewhere)."""

    @property
    def base_location(self):
        return str(settings.ITSM_ATTACHMENT_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise NotImplementedError("Attachments have no public URL; use the attachment download view.")


_storage = AttachmentStorage()


def attachment_storage() -> AttachmentStorage:
    return _storage
