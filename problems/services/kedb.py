"""The known error database: publishing a problem's known error, editing it, and applying its workaround
to an incident."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import workflow as incident_workflow
from incidents.models import Incident
from incidents.permissions import IncidentPolicy
from incidents.services import incident_comment, incident_transition
from servicedesk import concurrency
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import KnownError, Problem, WorkaroundApplication
from ..permissions import ProblemPolicy
from ..selectors import problem_of_incident
from .lifecycle import problem_link_incident, problem_publish

# A problem whose error is known: recorded as such, or past it.
KNOWN = (wf.KNOWN_ERROR, wf.RESOLVED, wf.CLOSED)
EDITABLE = ("title", "symptoms", "root_cause", "workaround")


def known_error_publish(*, actor: User, problem: Problem, status: str) -> KnownError:
    """Set the known error of `problem` to `status` (draft, published to agents or to the portal, retired),
    making it from the problem's symptoms, root cause, workaround, service and CIs the first time. Only
    problem managers publish; a problem publishes once its error is known. Recorded on the problem's
    timeline and published as `known_error_published` (or `_retired`)."""
    if not ProblemPolicy.is_manager(actor):
        raise PermissionDenied(_("Only problem managers publish known errors."))
    if status not in KnownError.Status.values:
        raise ValidationError({"status": _("Choose one of the listed values.")})
    with transaction.atomic():
        problem = concurrency.lock(problem)
        if problem.status not in KNOWN and status != KnownError.Status.RETIRED:
            raise Conflict(
                _("Record the known error of %(number)s first (its root cause and workaround).")
                % {"number": problem.number},
                code="not_known_yet",
            )
        known_error = KnownError.objects.select_for_update().filter(problem=problem).first()
        if known_error is None:
            known_error = KnownError.objects.create(
                problem=problem,
                title=problem.title,
                # Never the description: it is the desk's (or an incident's requester's) words.
                symptoms=problem.symptoms,
                root_cause=problem.root_cause,
                workaround="" if problem.no_workaround else problem.workaround,
            )
            if problem.service_id:
                known_error.services.set([problem.service_id])
            known_error.cis.set(problem.affected_cis.all())
        before = known_error.status
        if before == status:
            return known_error
        now = timezone.now()
        known_error.status = status
        fields = ["status"]
        if status in (KnownError.Status.AGENTS, KnownError.Status.PORTAL):
            known_error.published_at = known_error.published_at or now
            known_error.retired_at = None
            fields += ["published_at", "retired_at"]
        elif status == KnownError.Status.RETIRED:
            known_error.retired_at = now
            fields.append("retired_at")
        concurrency.save_changed(known_error, fields)
        data = {"known_error": known_error.pk, "from": before, "to": status}
        entry = timeline_add(
            record=problem, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False,
            data={"known_error_status": data},
        )  # fmt: skip
        audit_record(actor=actor, action="knownerror.status_changed", target=known_error, data=data)
        event = "known_error_retired" if status == KnownError.Status.RETIRED else "known_error_published"
        if status != KnownError.Status.DRAFT:
            problem_publish(record=problem, event=event, actor=actor, data=data, entry=entry)
        return known_error


def known_error_update(
    *, actor: User, known_error: KnownError, expected_version: int | None = None, **changes
) -> KnownError:
    """Edit the known error's words (`EDITABLE`), its services and CIs. Problem managers only;
    StaleWrite for an out-of-date `expected_version`."""
    unknown = set(changes) - {*EDITABLE, "services", "cis"}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    if not ProblemPolicy.can_edit_known_error(actor, known_error):
        raise PermissionDenied(_("Only problem managers edit known errors."))
    with transaction.atomic():
        known_error = concurrency.lock(known_error, expected=expected_version)
        if "title" in changes:
            changes["title"] = (changes["title"] or "").strip()
            if not changes["title"]:
                raise ValidationError({"title": _("This field cannot be blank.")})
        relations = {name: changes.pop(name) for name in ("services", "cis") if name in changes}
        diff = apply_changes(known_error, changes)
        for name, rows in relations.items():
            manager = getattr(known_error, name)
            before = sorted(manager.values_list("pk", flat=True))
            after = sorted(row.pk for row in rows)
            if before != after:
                manager.set(rows)
                diff[name] = {"from": before, "to": after}
        if diff:
            concurrency.save_changed(known_error, [name for name in diff if name not in relations])
            audit_record(actor=actor, action="knownerror.updated", target=known_error, data=diff)
        return known_error


def workaround_apply(
    *, actor: User, incident: Incident, known_error: KnownError, resolve: bool = False
) -> WorkaroundApplication:
    """Apply `known_error`'s workaround to `incident`: a work note with the workaround, the incident
    linked to the known error's problem (unless it has that link already; another problem's link is a
    Conflict), counted once per incident, and with `resolve` the incident resolved with the resolution
    code "workaround". Raises PermissionDenied unless the actor works the incident, NotFound-like
    ValidationError for a known error that is not published to agents or has no workaround."""
    if not ProblemPolicy.can_apply_workaround(actor) or not IncidentPolicy.can_edit(actor, incident):
        raise PermissionDenied(_("You may not apply workarounds to this record."))
    if not ProblemPolicy.agent_known_errors().filter(pk=known_error.pk).exists():
        raise ValidationError({"known_error": _("This known error is not published.")})
    if not known_error.has_workaround:
        raise ValidationError({"known_error": _("This known error has no workaround.")})
    problem = known_error.problem
    with transaction.atomic():
        incident = concurrency.lock(incident)
        application, created = WorkaroundApplication.objects.get_or_create(
            known_error=known_error,
            incident=incident,
            defaults={"applied_by": actor, "reopen_count_then": incident.reopen_count},
        )
        if not created:
            raise Conflict(
                _("The workaround of %(number)s was applied to %(incident)s already.")
                % {"number": problem.number, "incident": incident.number},
                code="already_applied",
            )
        linked = problem_of_incident(incident)
        if linked is None:
            problem_link_incident(actor=actor, problem=problem, incident=incident)
        elif linked.pk != problem.pk:
            raise Conflict(
                _("%(incident)s belongs to %(other)s; unlink it first to apply another problem's workaround.")
                % {"incident": incident.number, "other": linked.number},
                code="other_problem",
            )
        note = _("Applied the workaround of %(number)s “%(title)s”:") % {
            "number": problem.number,
            "title": known_error.title,
        }
        incident_comment(
            record=incident,
            actor=actor,
            body=f"{note}\n\n{known_error.workaround}",
            is_public=False,
            data={"known_error": known_error.pk, "problem": problem.number},
        )
        if resolve:
            incident.refresh_from_db()
            incident_transition(
                record=incident,
                actor=actor,
                to=incident_workflow.RESOLVED,
                resolution_code=Incident.ResolutionCode.WORKAROUND,
                resolution_notes=known_error.workaround,
            )
        data = {"known_error": known_error.pk, "incident": incident.number, "resolved": resolve}
        audit_record(actor=actor, action="knownerror.applied", target=known_error, data=data)
        problem_publish(record=problem, event="workaround_applied", actor=actor, data=data)
        return application
