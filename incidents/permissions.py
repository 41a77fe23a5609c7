"""Who may see and do what with incidents and requests (the transitions' rules are in workflow.py)."""

from django.db.models import Q, QuerySet

from . import workflow as wf
from .models import Incident


class IncidentPolicy:
    """Agents see every record; a requester sees their own, and their organisation's where it shares them."""

    @staticmethod
    def visible_to(user) -> QuerySet[Incident]:
        if not wf.is_person(user):
            return Incident.objects.none()
        if user.has_perm("incidents.view_incident"):
            return Incident.objects.all()
        return Incident.objects.filter(IncidentPolicy.followed_by(user))

    @staticmethod
    def shared_organisation(user):
        """The user's organisation when it lets its members follow each other's records, else None."""
        organisation = getattr(user, "organisation", None)
        if organisation is not None and organisation.shares_records and organisation.is_active:
            return organisation
        return None

    @staticmethod
    def followed_by(user) -> Q:
        """The records a requester follows: their own, and their organisation's where it shares them."""
        mine = Q(requester=user)
        organisation = IncidentPolicy.shared_organisation(user)
        if organisation is not None:
            mine |= Q(requester__organisation=organisation)
        return mine

    @staticmethod
    def can_see(user, record: Incident) -> bool:
        """Whether `user` may see `record`: the rule of `visible_to`, for a record already in hand."""
        if not wf.is_person(user):
            return False
        if user.has_perm("incidents.view_incident") or record.requester_id == user.pk:
            return True
        return IncidentPolicy.visible_to(user).filter(pk=record.pk).exists()

    @staticmethod
    def is_agent(user) -> bool:
        return wf.is_agent(user)

    @staticmethod
    def can_file(user) -> bool:
        return wf.is_person(user) and user.has_perm("incidents.add_incident")

    @staticmethod
    def can_file_for_others(user) -> bool:
        """Agents record calls on behalf of a requester (phone, walk-in) and integrations file for people."""
        return IncidentPolicy.can_file(user) and IncidentPolicy.is_agent(user)

    @staticmethod
    def can_see_internal(user, record: Incident | None = None) -> bool:
        """Work notes, internal attachments and field history are for agents."""
        return IncidentPolicy.is_agent(user)

    @staticmethod
    def can_comment(user, record: Incident) -> bool:
        """Whoever sees an unfinished record may reply; a closed or cancelled one takes no more comments."""
        return record.status not in wf.FINAL_STATUSES and IncidentPolicy.can_see(user, record)

    @staticmethod
    def can_add_work_note(user, record: Incident) -> bool:
        return IncidentPolicy.is_agent(user)

    @staticmethod
    def can_edit(user, record: Incident) -> bool:
        """Agents change the working fields while the record is not final."""
        return IncidentPolicy.is_agent(user) and record.status not in wf.FINAL_STATUSES

    @staticmethod
    def can_assign(user, record: Incident) -> bool:
        return IncidentPolicy.can_edit(user, record)

    @staticmethod
    def can_declare_major(user, record: Incident) -> bool:
        return (
            wf.is_person(user)
            and user.has_perm("incidents.declare_major_incident")
            and record.kind == Incident.Kind.INCIDENT
            and record.status not in wf.FINAL_STATUSES
        )

    @staticmethod
    def can_link(user, record: Incident) -> bool:
        """Link parent and child, and merge duplicates."""
        return (
            wf.is_person(user)
            and user.has_perm("incidents.merge_incident")
            and record.status not in wf.FINAL_STATUSES
        )

    @staticmethod
    def can_rate(user, record: Incident) -> bool:
        """The requester rates a resolved or closed record once."""
        return (
            wf.is_requester(record, user)
            and record.status in (wf.RESOLVED, wf.CLOSED)
            and record.merged_into_id is None
            and record.csat_score is None
        )
