from django.db import models
from django.utils.translation import gettext_lazy as _


class Revisioned(models.Model):
    """A resource that people and integrations edit: `revision` rises with every write through a service.

    `"<pk>-<revision>"` is its ETag; a write sent with an older one (If-Match, or the hidden value of a
    form) is refused with 412 or merged field by field (`servicedesk.concurrency`). Records have the same
    contract under the name `version` (`Ticket`), which a CI's software version already takes here.
    """

    concurrency_field = "revision"

    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.revision}"'
