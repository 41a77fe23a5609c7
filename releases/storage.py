"""Where the definitive software library keeps its files: a private folder (`ITSM_DSL_ROOT`), never under
MEDIA_URL, served only through the release's checked download view."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class DSLStorage(FileSystemStorage):
    """A file system storage under `ITSM_DSL_ROOT`, read when used (tests point it elsewhere)."""

    @property
    def base_location(self):
        return str(settings.ITSM_DSL_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise NotImplementedError("Artifacts have no public URL; use the artifact download view.")


_storage = DSLStorage()


def dsl_storage() -> DSLStorage:
    return _storage
