"""Receiving an artifact: streamed to a temporary file with its SHA-256 and size computed as each chunk is
written, and stopped as soon as it grows past `ITSM_DSL_MAX_BYTES`.

Only the artifact uploads install `DSLUploadHandler` (`request.upload_handlers = [...]` before anything
reads the body; such views are marked `servicedesk.inputs.reads_own_uploads`, so the NUL check of the
middleware leaves the body unread). The file then moves from its temporary file into the DSL
(`services.artifacts.artifact_upload`) without being read a second time.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

UPLOAD_FIELD = "file"


class DSLUploadHandler(TemporaryFileUploadHandler):
    """Every file of the request goes to disk (never memory), each with `sha256` (hex) and `size` set on
    the uploaded file. A file larger than the limit stops the upload (nothing more is written) and leaves
    `too_large` set: `check()` turns that into a 400 on the `file` field."""

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.ITSM_DSL_MAX_BYTES
        self.too_large = False
        self._digest = None
        self._received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._digest = hashlib.sha256()
        self._received = 0

    def receive_data_chunk(self, raw_data, start):
        self._received += len(raw_data)
        if self._received > self.max_bytes:
            self.too_large = True
            # Django closes and removes the temporary file (`upload_interrupted`); the rest of the body is
            # read and dropped, not written, so that the client gets the 400 rather than a reset connection.
            raise StopUpload(connection_reset=False)
        self._digest.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.sha256 = self._digest.hexdigest()
        return upload

    def check(self) -> None:
        """Raise ValidationError on `file` if the upload was stopped for its size."""
        if self.too_large:
            raise ValidationError(
                {
                    UPLOAD_FIELD: ValidationError(
                        _("The file is larger than %(limit)s, the most the library keeps.")
                        % {"limit": filesizeformat(self.max_bytes)},
                        code="file_too_large",
                    )
                }
            )
