"""E-mail intake for incidents and requests: the kernel's (`servicedesk.intake.records`), with their own
filing and replies; registered in records.py."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from servicedesk.intake.records import RecordMailIntake
from servicedesk.models import TimelineEntry
from servicedesk.services.timeline import timeline_add


@dataclass(frozen=True)
class IncidentMailIntake(RecordMailIntake):
    """Files records of `kind` ("incident" or "request") from e-mail and adds replies to them."""

    kind: str

    def file(self, *, requester, title, body, uploads, mailbox=None):
        """File the record as the requester would from the portal, with channel "email".

        A request takes the active request type marked as the e-mail default; without one the message
        files an incident, with a note saying so.
        """
        from .models import Incident, RequestType
        from .services import incident_create

        kind, request_type = self.kind, None
        if kind == Incident.Kind.REQUEST:
            request_type = RequestType.objects.filter(is_email_default=True, is_active=True).first()
            if request_type is None:
                kind = Incident.Kind.INCIDENT
        record = incident_create(
            actor=requester,
            kind=kind,
            title=title,
            description=body,
            request_type=request_type,
            channel=Incident.Channel.EMAIL,
            uploads=uploads,
        )
        if kind != self.kind:
            timeline_add(
                record=record,
                kind=TimelineEntry.Kind.SYSTEM,
                body=_(
                    "This message arrived at a request mailbox, but no active request type is the "
                    "default for e-mail, so it was filed as an incident."
                ),
                data={"event": "email_no_default_request_type"},
            )
        return record

    def reply(self, *, record, author, body, uploads, data=None):
        """The author's public comment; a requester's reply resumes or reopens the record as in the portal."""
        from .services import incident_comment

        return incident_comment(
            record=record, actor=author, body=body, is_public=True, uploads=uploads, data=data
        )
