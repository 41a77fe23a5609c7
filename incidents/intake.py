"""E-mail intake for incidents and requests: a `servicedesk.intake.MailIntake`, registered in records.py."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.models import TimelineEntry
from servicedesk.records.services import record_lock, record_save
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from . import workflow as wf


@dataclass(frozen=True)
class IncidentMailIntake:
    """Files records of `kind` ("incident" or "request") from e-mail and adds replies to them."""

    kind: str

    def create(self, *, requester, title, body, uploads, mailbox=None, follow_up_of=None):
        """File the record as the requester would from the portal, with channel "email".

        A request takes the active request type marked as the e-mail default; without one the message
        files an incident, with a note saying so. With `follow_up_of`, both records get a link entry.
        """
        from .models import Incident, RequestType
        from .services import incident_create

        kind, request_type = self.kind, None
        if kind == Incident.Kind.REQUEST:
            request_type = RequestType.objects.filter(is_email_default=True, is_active=True).first()
            if request_type is None:
                kind = Incident.Kind.INCIDENT
        with transaction.atomic():
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
            if follow_up_of is not None:
                _link_follow_up(record=record, previous=follow_up_of, actor=requester)
            return record

    def reply(self, *, record, author, body, uploads, data=None):
        """The author's public comment; a requester's reply resumes or reopens the record as in the portal."""
        from .services import incident_comment

        return incident_comment(
            record=record, actor=author, body=body, is_public=True, uploads=uploads, data=data
        )

    def note(self, *, record, body, uploads, data):
        """A work note by nobody, flagged by `data`: agents read it; it tells nobody by e-mail, counts as
        no response and moves no status (webhooks hear of it as a work note). ValidationError when the
        message has neither text nor a file."""
        from .services.events import incident_event

        body = (body or "").strip()
        if not body and not uploads:
            raise ValidationError({"body": _("Write something or attach a file.")})
        with transaction.atomic():
            record = record_lock(record)
            entry = timeline_add(
                record=record,
                kind=TimelineEntry.Kind.WORK_NOTE,
                body=body,
                is_public=False,
                data=data,
                uploads=uploads,
            )
            record_save(record, [])
            audit_record(
                actor=None,
                action="incident.email_unverified_noted",
                target=record,
                data={"entry": entry.pk, "sender": data.get("email", {}).get("sender", "")},
            )
            incident_event(
                record=record, event="work_noted", actor=None, entry=entry, data={"entry": entry.pk}
            )
            return entry

    def is_final(self, record) -> bool:
        return record.status in wf.FINAL_STATUSES


def _link_follow_up(*, record, previous, actor) -> None:
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.LINK,
        author=actor,
        is_public=True,
        data={"link": "follow_up_of", "number": previous.number},
    )
    timeline_add(
        record=previous,
        kind=TimelineEntry.Kind.LINK,
        author=actor,
        is_public=True,
        data={"link": "followed_up_by", "number": record.number},
    )
