"""Trend detection (issue 15, item 6): recurring incidents that share a CI, a service or a category, not
yet linked to a problem, proposed as problem candidates; a problem manager accepts one (a problem is raised
with its incidents) or dismisses it (not proposed again for that group unless the group grows).

Detection is set-based: per basis, one query groups the window's unlinked incidents and keeps the groups
at or over the threshold (with their newest incidents), whatever the size of the table.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from incidents import workflow as incident_wf
from incidents.models import Category, Incident
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import RecordLink, User
from servicedesk.services import audit_record

from ..links import PROBLEM_INCIDENTS
from ..models import Problem, ProblemCandidate
from ..permissions import ProblemPolicy
from .lifecycle import MAX_INCIDENTS, problem_create

Basis = ProblemCandidate.Basis
# A candidate lists (and its problem links) at most this many of its group's incidents: the newest.
MAX_LISTED = MAX_INCIDENTS
# Serialises detection runs (a beat run and a manager's "detect now"): an arbitrary, fixed lock key.
_LOCK_KEY = 15_006


def trend_days() -> int:
    return settings.ITSM_PROBLEM_TREND_DAYS


def trend_threshold() -> int:
    return settings.ITSM_PROBLEM_TREND_THRESHOLD


# Reads ---------------------------------------------------------------------------------------------


def _linked(incident_ref: str):
    """A link of `incident_ref` (an incident's id) to a problem."""
    return RecordLink.objects.filter(
        link_type=PROBLEM_INCIDENTS,
        target_type=ContentType.objects.get_for_model(Incident),
        target_id=OuterRef(incident_ref),
    )


def unlinked_incidents(incidents: QuerySet) -> QuerySet:
    """`incidents` less those linked to a problem."""
    return incidents.exclude(Exists(_linked("pk")))


def _recurring_filter(prefix: str, *, start, end) -> dict:
    """Incidents (not requests, not cancelled, not merged away) raised in the window."""
    return {
        f"{prefix}kind": Incident.Kind.INCIDENT,
        f"{prefix}created_at__gte": start,
        f"{prefix}created_at__lte": end,
        f"{prefix}merged_into__isnull": True,
    }


def _sources(*, start, end) -> dict[str, tuple[QuerySet, str, str, str]]:
    """Per basis: the rows to group, the grouping key, the incident's id and its creation time."""
    incidents = unlinked_incidents(
        Incident.objects.filter(**_recurring_filter("", start=start, end=end)).exclude(
            status=incident_wf.CANCELLED
        )
    )
    through = Incident.affected_cis.through
    ci_rows = (
        through.objects.filter(**_recurring_filter("incident__", start=start, end=end))
        .exclude(incident__status=incident_wf.CANCELLED)
        .exclude(Exists(_linked("incident_id")))
    )
    return {
        Basis.CI: (ci_rows, "configurationitem_id", "incident_id", "incident__created_at"),
        Basis.SERVICE: (incidents.filter(service__isnull=False), "service_id", "id", "created_at"),
        Basis.CATEGORY: (incidents.filter(category__isnull=False), "category_id", "id", "created_at"),
    }


def _groups(rows: QuerySet, key: str, incident: str, created: str, *, threshold: int) -> dict:
    """{key: (size, [incident ids, newest first, at most MAX_LISTED])} for the groups of `rows` by `key`
    holding `threshold` incidents or more: one query (window functions over the window's rows)."""
    partition = [F(key)]
    ranked = (
        rows.order_by()
        .annotate(
            group_size=Window(Count(incident), partition_by=partition),
            rank=Window(
                RowNumber(), partition_by=partition, order_by=[F(created).desc(), F(incident).desc()]
            ),
        )
        .filter(group_size__gte=threshold, rank__lte=MAX_LISTED)
        .values_list(key, incident, "group_size", "rank")
    )
    groups: dict[int, tuple[int, list[int]]] = {}
    for group, incident_id, size, _rank in sorted(ranked, key=lambda row: (row[0], row[3])):
        groups.setdefault(group, (size, []))[1].append(incident_id)
    return groups


def _labels(found: dict) -> dict:
    """The name of each group's CI, service or category, from one query per basis."""
    cis = {key for (basis, key) in found if basis in (Basis.CI, Basis.SERVICE)}
    categories = {key for (basis, key) in found if basis == Basis.CATEGORY}
    ci_names = dict(ConfigurationItem.objects.filter(pk__in=cis).values_list("pk", "name")) if cis else {}
    category_names = (
        dict(Category.objects.filter(pk__in=categories).values_list("pk", "name")) if categories else {}
    )
    return {
        (basis, key): (category_names if basis == Basis.CATEGORY else ci_names).get(key, str(key))[:300]
        for (basis, key) in found
    }


def recurring_groups(*, now=None, days: int | None = None, threshold: int | None = None) -> dict:
    """{(basis, key): (size, [incident ids])}: the groups of unlinked incidents raised in the last `days`
    days that share a CI, a service or a category, `threshold` of them or more (the settings'
    ITSM_PROBLEM_TREND_DAYS and ITSM_PROBLEM_TREND_THRESHOLD unless given)."""
    end = now or timezone.now()
    start = end - timedelta(days=days or trend_days())
    threshold = max(1, threshold or trend_threshold())
    found = {}
    for basis, (rows, key, incident, created) in _sources(start=start, end=end).items():
        for group, value in _groups(rows, key, incident, created, threshold=threshold).items():
            found[(basis, group)] = value
    return found


# Detection -----------------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _dismissed_sizes(found: dict) -> dict:
    """The size of each found group when it was last dismissed."""
    sizes = {}
    rows = (
        ProblemCandidate.objects.filter(
            status=ProblemCandidate.Status.DISMISSED,
            basis__in={basis for basis, _key in found},
            key__in={key for _basis, key in found},
        )
        .order_by("decided_at", "id")
        .values_list("basis", "key", "incident_count")
    )
    for basis, key, count in rows:
        sizes[(basis, key)] = count  # the latest dismissal wins
    return sizes


def _set_incidents(candidates_ids: dict[int, list[int]]) -> None:
    """Replace the incident lists of these candidates (id -> incident ids), in two statements."""
    through = ProblemCandidate.incidents.through
    through.objects.filter(problemcandidate_id__in=list(candidates_ids)).delete()
    through.objects.bulk_create(
        through(problemcandidate_id=pk, incident_id=incident)
        for pk, incidents in candidates_ids.items()
        for incident in incidents
    )


def candidates_detect(*, now=None, days: int | None = None, threshold: int | None = None) -> dict:
    """Propose a candidate for each recurring group (`recurring_groups`) that has none proposed, refresh
    the proposed ones whose group changed, and withdraw those whose group fell under the threshold (its
    incidents linked to a problem meanwhile, or out of the window). A group dismissed before is proposed
    again only once it holds more incidents than when it was dismissed.

    Idempotent: a second run over the same incidents proposes and changes nothing. Runs are serialised
    (PostgreSQL advisory lock). Returns how many candidates were proposed, updated and withdrawn."""
    end = now or timezone.now()
    start = end - timedelta(days=days or trend_days())
    with transaction.atomic():
        _lock()
        found = recurring_groups(now=end, days=days, threshold=threshold)
        proposed = {
            (c.basis, c.key): c
            for c in ProblemCandidate.objects.filter(status=ProblemCandidate.Status.PROPOSED)
        }
        withdrawn = [c.pk for group, c in proposed.items() if group not in found]
        if withdrawn:
            ProblemCandidate.objects.filter(pk__in=withdrawn).delete()
        dismissed = _dismissed_sizes(found)
        current: dict[int, set[int]] = {}
        for candidate_id, incident_id in ProblemCandidate.incidents.through.objects.filter(
            problemcandidate__status=ProblemCandidate.Status.PROPOSED
        ).values_list("problemcandidate_id", "incident_id"):
            current.setdefault(candidate_id, set()).add(incident_id)
        labels = _labels(found)
        new, changed, lists = [], [], {}
        for group, (size, incidents) in found.items():
            candidate = proposed.get(group)
            if candidate is None:
                if group in dismissed and size <= dismissed[group]:
                    continue
                new.append((group, size, incidents))
            elif candidate.incident_count != size or current.get(candidate.pk, set()) != set(incidents):
                candidate.incident_count, candidate.label = size, labels[group]
                candidate.window_start, candidate.window_end = start, end
                candidate.updated_at = timezone.now()  # bulk_update leaves auto_now alone
                changed.append(candidate)
                lists[candidate.pk] = incidents
        created = ProblemCandidate.objects.bulk_create(
            ProblemCandidate(
                basis=basis, key=key, label=labels[(basis, key)], incident_count=size,
                window_start=start, window_end=end,
            )
            for (basis, key), size, _incidents in new
        )  # fmt: skip
        lists.update({c.pk: incidents for c, (_group, _size, incidents) in zip(created, new, strict=True)})
        if changed:
            ProblemCandidate.objects.bulk_update(
                changed, ["incident_count", "label", "window_start", "window_end", "updated_at"]
            )
        if lists:
            _set_incidents(lists)
        summary = {"proposed": len(created), "updated": len(changed), "withdrawn": len(withdrawn)}
        if created or changed or withdrawn:
            audit_record(actor=None, action="problem_candidate.detected", data=summary)
    return summary


# Decisions -----------------------------------------------------------------------------------------


def _decide(actor: User, candidate: ProblemCandidate) -> ProblemCandidate:
    """The candidate, locked, once the actor may decide it and it is still proposed."""
    if not ProblemPolicy.can_decide_candidates(actor):
        raise PermissionDenied(_("Only problem managers decide problem candidates."))
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != ProblemCandidate.Status.PROPOSED:
        raise Conflict(
            _("This candidate was %(status)s already.") % {"status": candidate.get_status_display().lower()},
            code="candidate_decided",
        )
    return candidate


def _classification(candidate: ProblemCandidate, incidents: list[Incident]) -> dict:
    """What the problem takes from the group it came from: its service, category or CI; grouped by
    category or CI, also the service all its incidents share, if they share one (the known error takes
    it, and the incident page's KEDB search starts from the incident's service)."""
    if candidate.basis == Basis.SERVICE:
        return {"service": ConfigurationItem.objects.filter(pk=candidate.key).first()}
    if candidate.basis == Basis.CATEGORY:
        found = {"category": Category.objects.filter(pk=candidate.key).first()}
    else:
        ci = ConfigurationItem.objects.filter(pk=candidate.key).first()
        found = {"affected_cis": [ci] if ci else []}
    services = {incident.service_id for incident in incidents}
    if len(services) == 1 and None not in services:
        found["service"] = ConfigurationItem.objects.filter(pk=services.pop()).first()
    return found


def candidate_accept(*, actor: User, candidate: ProblemCandidate, title: str = "", **fields) -> Problem:
    """Raise a problem for the candidate's incidents (`problem_create`: each link on both timelines),
    classified after the group's service, category or CI (and the service its incidents share) and titled
    after it unless `title` is given;
    incidents linked to another problem meanwhile are left out. Marks the candidate accepted.

    Raises PermissionDenied unless the actor is a problem manager, Conflict (`candidate_decided`) when it
    was decided already and (`candidate_incidents_linked`) when none of its incidents is left."""
    with transaction.atomic():
        candidate = _decide(actor, candidate)
        incidents = list(
            unlinked_incidents(candidate.incidents.all()).order_by("-created_at", "-id")[:MAX_INCIDENTS]
        )
        if not incidents:
            raise Conflict(
                _("Every incident of this candidate is linked to a problem already: dismiss it."),
                code="candidate_incidents_linked",
            )
        title = (title or "").strip() or _("Recurring incidents: %(label)s") % {"label": candidate.label}
        fields.setdefault(
            "description",
            _("Proposed by trend detection: %(count)d incidents (%(basis)s: %(label)s).")
            % {
                "count": candidate.incident_count,
                "basis": candidate.get_basis_display(),
                "label": candidate.label,
            },
        )
        for name, value in _classification(candidate, incidents).items():
            fields.setdefault(name, value)
        if len(title) > Problem._meta.get_field("title").max_length:
            raise ValidationError({"title": _("The title is too long.")})
        problem = problem_create(actor=actor, title=title, incidents=incidents, **fields)
        candidate.status = ProblemCandidate.Status.ACCEPTED
        candidate.problem, candidate.decided_by, candidate.decided_at = problem, actor, timezone.now()
        candidate.save(update_fields=["status", "problem", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action="problem_candidate.accepted",
            target=candidate,
            data={"problem": problem.number, "incidents": [i.number for i in incidents]},
        )
    return problem


def candidate_dismiss(*, actor: User, candidate: ProblemCandidate) -> ProblemCandidate:
    """Dismiss the candidate: its group is not proposed again unless it grows past its size now.

    Raises PermissionDenied unless the actor is a problem manager, Conflict (`candidate_decided`) when it
    was decided already."""
    with transaction.atomic():
        candidate = _decide(actor, candidate)
        candidate.status = ProblemCandidate.Status.DISMISSED
        candidate.decided_by, candidate.decided_at = actor, timezone.now()
        candidate.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action="problem_candidate.dismissed",
            target=candidate,
            data={"basis": candidate.basis, "key": candidate.key, "incidents": candidate.incident_count},
        )
    return candidate
