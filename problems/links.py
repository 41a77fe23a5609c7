"""The links problems offer through the kernel (DESIGN.md §3): a problem's incidents. An incident has at
most one problem; a problem any number of incidents. The incident page shows its problem through this
registration, never by importing this app."""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.links import LinkType, register_link_type

PROBLEM_INCIDENTS = "problem_incident"


def _problem_open(source, target):
    """Incidents join a problem that is still open; a final one takes no more."""
    from .permissions import ProblemPolicy

    problem = source if source._meta.model_name == "problem" else target
    if ProblemPolicy.is_final(problem):
        return _("%(number)s is closed: it takes no more incidents.") % {"number": problem.number}
    return None


INCIDENT_LINK = LinkType(
    code=PROBLEM_INCIDENTS,
    source_kind="problem",
    target_kind="incident",
    label=_("Incidents"),
    reverse_label=_("Problem"),
    target_many=False,
    guard=_problem_open,
)


def register_problem_links() -> None:
    register_link_type(INCIDENT_LINK)
